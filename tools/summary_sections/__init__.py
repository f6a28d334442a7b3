"""One module per layer of the stack; see tools/summary.py."""
