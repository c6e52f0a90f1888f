"""Benchmarks (``make bench``): ratios against a bare route of the same app, never run as tests."""
