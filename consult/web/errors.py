"""Domain errors -> HTTP. The API always answers JSON (INTERFACES.md §3); pages get a page."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from consult.errors import (
    Conflict,
    DomainError,
    Invalid,
    NotAllowed,
    NotFound,
    TooMany,
    Unauthenticated,
)
from consult.web.labels import domain_message

STATUS = {
    Unauthenticated: 401,
    NotAllowed: 403,
    NotFound: 404,
    Conflict: 409,
    Invalid: 422,
    TooMany: 429,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
    500: "internal_error",
}


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def wants_json() -> bool:
    return request.path.startswith("/api/")


def json_error(status: int, message: str, details: Any = None, code: str | None = None) -> Any:
    body = {
        "error": {
            "code": code or HTTP_CODES.get(status, "error"),
            "message": message,
            "details": details,
        }
    }
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="consult"'
    return response


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def domain_error(exc: DomainError) -> Any:
        status = status_for(exc)
        if wants_json():
            return json_error(status, exc.message, exc.details, exc.code)
        if status == 401:
            return redirect(url_for("accounts.login", next=request.full_path))
        details = exc.details
        if isinstance(details, dict):
            details = {
                k: domain_message(v) if isinstance(v, str) else v for k, v in details.items()
            }
        return render_template(
            "error.html", status=status, message=domain_message(exc.message), details=details
        ), status

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> Any:
        if wants_json():
            return json_error(400, "CSRF token missing or invalid", code="csrf")
        return render_template(
            "error.html",
            status=400,
            message=_("This form has expired or was not sent from consult. Please try again."),
            details=None,
        ), 400

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if status == 429 and not wants_json():
            flash(_("Too many attempts. Please wait a while and try again."), "error")
        if wants_json():
            message = (
                exc.description if status != 429 else ("too many requests; wait and try again")
            )
            return json_error(status, str(message))
        # Werkzeug's stock descriptions are English; the page's translated title says enough.
        custom = exc.description if exc.description != type(exc).description else None
        return render_template("error.html", status=status, message=custom, details=None), status

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        if app.testing:
            raise exc  # tests want the traceback, not a polite page
        app.logger.exception("unhandled error")
        if wants_json():
            return json_error(500, "internal error")
        return render_template(
            "error.html", status=500, message=_("Something went wrong on our side."), details=None
        ), 500
