"""Benchmark suites in modules of their own: each module here registers its suites with
`bench.suite.register("name")` and `python -m bench` imports every one of them.

A suite is `def run(bench: Bench) -> dict[str, Metric]`: it measures the service and its
baseline in the same run and returns one Metric (value, unit, baseline, target) per name.
Check `bench.sizes.quick` to stay within `make bench-quick`'s two minutes.
"""
