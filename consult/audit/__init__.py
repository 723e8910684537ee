"""The audit trail: one append-only entry per state change, in the same transaction."""
