"""Rate limits only where a route asks for one.

Flask-Limiter checks every request for limits even when, as here, only a few routes have any
(the sign-in forms and token endpoints): resolving a route's limits costs about a tenth of a
millisecond per request, on every request — a ballot in the last hour's rush included. Routes
with a limit are declared with `rate_limited` (Flask-Limiter's own decorator, marked), and
Flask-Limiter's hooks return at once on every other request (register_rate_limit_filter).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial, wraps
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
    """Flask-Limiter's hooks on `app` run only on routes with a limit.

    The request filter alone still let its hooks resolve every request's limits before asking
    the filter, and inject headers and release a context afterwards: together a few percent of
    a ballot's CPU in the rush. So each of its three hooks is wrapped to return at once on the
    other routes. The filter stays (registered once: the limiter is shared by every app of the
    process): it still exempts a view that a bare `limiter.limit` decorates, which checks its
    limits itself."""
    if not _registered:
        limiter.request_filter(_no_limit_here)
        _registered.append(True)
    hooks = (
        (app.before_request_funcs, _is_limiter_check),
        (app.after_request_funcs, _is_limiter_headers),
        (app.teardown_request_funcs, _is_limiter_release),
    )
    for registry, is_limiter_hook in hooks:
        functions: list[Any] = registry.get(None, [])
        for index, function in enumerate(functions):
            if is_limiter_hook(function):
                functions[index] = _only_where_limited(function)


def _only_where_limited(hook: Callable[..., Any]) -> Callable[..., Any]:
    hook_returns_response = _is_limiter_headers(hook)

    @wraps(hook)
    def where_limited(*args: Any) -> Any:
        if _no_limit_here():
            # before_request: go on; after_request: the response as it is; teardown: nothing.
            return args[0] if hook_returns_response else None
        return hook(*args)

    where_limited.only_where_limited = True  # type: ignore[attr-defined]
    return where_limited


def _is_limiter_check(function: Any) -> bool:
    return bool(function == limiter._check_request_limit)


def _is_limiter_headers(function: Any) -> bool:
    # Registered as partial(Limiter.__inject_headers, limiter).
    return isinstance(function, partial) and function.args[:1] == (limiter,)


def _is_limiter_release(function: Any) -> bool:
    return bool(function == getattr(limiter, "_Limiter__release_context", None))
