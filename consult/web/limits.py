"""Rate limits only where a route asks for one.

Flask-Limiter checks every request for limits even when, as here, only a few routes have any
(the sign-in forms and token endpoints): resolving a route's limits costs about a tenth of a
millisecond per request, on every request — a ballot in the last hour's rush included. Routes
with a limit are declared with `rate_limited` (Flask-Limiter's own decorator, marked), and a
request filter lets every other request through before that work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app, request

from consult.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])


def rate_limited(limit: Callable[[], str] | str, **options: Any) -> Callable[[F], F]:
    """`limiter.limit(limit, **options)`, marked so the filter below knows the route has one."""

    def mark(view: F) -> F:
        limited = limiter.limit(limit, **options)(view)
        limited.rate_limited = True  # type: ignore[attr-defined]
        return limited  # type: ignore[return-value]

    return mark


def login_attempts() -> str:
    """The per-address limit of every form or call that checks a secret (a password, a
    verification code, a signing passphrase): CONSULT_LOGIN_RATE_LIMIT, on top of the per-account
    or per-key counts the services keep in the database (INTERFACES.md §3)."""
    return str(current_app.config["LOGIN_RATE_LIMIT"])


def _no_limit_here() -> bool:
    view = current_app.view_functions.get(request.endpoint or "")
    return not getattr(view, "rate_limited", False)


_registered: list[bool] = []


def register_rate_limit_filter(app: Flask) -> None:
    """Once per process: the limiter is a module-level extension shared by every app."""
    del app
    if not _registered:
        limiter.request_filter(_no_limit_here)
        _registered.append(True)
