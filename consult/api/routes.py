"""API operations (INTERFACES.md §3)."""
