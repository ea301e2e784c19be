"""Benchmarks that print ratios to raw baselines measured in the same run: `make bench`."""
