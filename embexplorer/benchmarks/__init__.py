"""Benchmarks behind ``embexplorer bench``: each compares us with a named reference in one run."""
