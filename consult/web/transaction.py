"""One transaction per request: commit when the response succeeded, roll back otherwise."""

from __future__ import annotations

from flask import Flask, Response

from consult.extensions import db


def register_unit_of_work(app: Flask) -> None:
    @app.after_request
    def _commit_or_rollback(response: Response) -> Response:
        if response.status_code < 400:
            db.session.commit()
        else:
            db.session.rollback()
        return response

    @app.teardown_request
    def _rollback_on_exception(exc: BaseException | None) -> None:
        if exc is not None:
            db.session.rollback()
