"""Benchmarks of bucketport against baselines measured in the same run on the same machine.

`python -m bench run [--quick]` prints a table and writes bench/results/latest.json and a plot.
"""
