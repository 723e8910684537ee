"""Domain errors. They say what went wrong in the domain's terms; the edge maps them to HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    code = "error"

    def __init__(self, message: str, details: Any = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details
        if code is not None:
            self.code = code


class NotFound(DomainError):
    code = "not_found"


class NotAllowed(DomainError):
    """The actor may not do this (403), or is not signed in at all (see Unauthenticated)."""

    code = "forbidden"


class Unauthenticated(NotAllowed):
    code = "unauthenticated"


class Conflict(DomainError):
    """The request conflicts with the current state (409)."""

    code = "conflict"


class Invalid(DomainError):
    """Well-formed input that breaks a rule (422); details say per field or per line."""

    code = "invalid"


class TooMany(DomainError):
    """Rate limited (429)."""

    code = "rate_limited"
