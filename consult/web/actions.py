"""A button's round trip at the edge: run the service call, say what happened, go back.

A refusal (DomainError) rolls the request's transaction back and is flashed in the words the
page's blueprint gives it; success is flashed as given. Either way the answer is a 303 to `back`.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect
from werkzeug.wrappers import Response

from consult.errors import DomainError
from consult.extensions import db


def act(
    action: Callable[[], object],
    *,
    back: str,
    done: str,
    problem: Callable[[DomainError], str],
) -> Response:
    try:
        action()
    except DomainError as exc:
        db.session.rollback()
        flash(problem(exc), "error")
        return redirect(back, 303)
    flash(done, "success")
    return redirect(back, 303)
