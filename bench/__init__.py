"""motovault benchmarks (not part of make test)."""
