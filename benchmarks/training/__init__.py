"""The training benchmark (`python -m benchmarks.training`); see benchmarks/README.md."""
