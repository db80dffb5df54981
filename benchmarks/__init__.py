"""Benchmarks, run on demand with `make bench` (results recorded in RESULTS.md)."""
