"""Benchmarks and quality reports (not tests): ``python -m bench.run``, ``python -m bench.quality``."""
