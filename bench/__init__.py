"""Benchmarks for customocr: the synthetic document generator and the accuracy/speed harness."""
