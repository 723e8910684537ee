"""API operations (INTERFACES.md §3): one module per resource, all attached to the api blueprint.

Every route names its permission (consult.web.permissions) and is described in spec.py.
"""

from consult.api import (
    attachments,
    auth,
    candidates,
    charters,
    communities,
    disclosures,
    meetings,
    minutes,
    openapi,
    residents,
    roles,
    votes,
)

__all__ = [
    "attachments",
    "auth",
    "candidates",
    "charters",
    "communities",
    "disclosures",
    "meetings",
    "minutes",
    "openapi",
    "residents",
    "roles",
    "votes",
]
