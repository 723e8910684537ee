"""Users, roles, API tokens, verification codes, and the permission policy."""
