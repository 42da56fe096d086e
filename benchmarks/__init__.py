"""Benchmark definitions, the latency budgets and the CI gate (``python -m benchmarks.gate``)."""
