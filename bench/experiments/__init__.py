"""Experiments behind docs/performance.md's explanations of the goals still short: each one
bounds what is reachable here. Not part of `make bench`; run one with
`.venv/bin/python -m bench.experiments.<name>`."""
