"""The statute engine: pure functions over plain values. Standard library only."""
