"""Benchmarks at Chorus Pro's size: `make benchmark` (see benchmarks/run.py)."""
