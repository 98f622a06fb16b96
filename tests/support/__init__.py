"""Test support: data builders and log checkers; benchmarks may import them, never the reverse."""
