"""Helpers shared by the tests and the benchmarks (real photos fetched from packages)."""
