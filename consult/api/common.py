"""Shared edge helpers for the JSON API: reading bodies and query strings, writing responses.

Bad input never reaches a service as a surprise: a body that is not JSON is 400, a JSON body that
is not an object is 400, a missing or mistyped field is 422 with per-field details
(INTERFACES.md §3). Strings never carry NUL (PostgreSQL refuses it) and single-line fields carry
no control characters at all.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Response, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from consult.errors import DomainError, Invalid

#: Ids in URLs: 32-bit, so a huge number is a 404 rather than an overflow in the database.
ID = "int(max=2147483647)"
MAX_PAGE = 2_147_483_647
DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500

T = TypeVar("T")


class Malformed(DomainError):
    """The request cannot be read at all (400)."""

    code = "bad_request"


@dataclass(frozen=True)
class Field:
    """One member of a JSON request body."""

    kind: type = str
    required: bool = True
    max_length: int | None = 200
    single_line: bool = True


_JSON_TYPES = {
    str: "a string",
    int: "an integer",
    bool: "true or false",
    list: "a list",
    dict: "an object",
}

#: Content types a JSON body may arrive with (curl -d sends form-urlencoded by default).
_JSON_FRIENDLY = {"", "application/json", "application/x-www-form-urlencoded", "text/plain"}


def json_object() -> dict[str, Any]:
    """The request body as a JSON object, or 400 (415 for a body that is plainly not JSON)."""
    mimetype = request.mimetype or ""
    if mimetype not in _JSON_FRIENDLY and not mimetype.endswith("+json"):
        raise UnsupportedMediaType(f"send application/json, not {mimetype}")
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise Malformed("the request needs a JSON object body", details={"body": "empty"})
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError and UnicodeDecodeError too
        raise Malformed("the body is not valid JSON", details={"body": str(exc)[:200]}) from None
    if not isinstance(value, dict):
        raise Malformed("the body must be a JSON object", details={"body": "not an object"})
    return value


def _string_problem(value: str, spec: Field) -> str | None:
    if "\x00" in value:
        return "must not contain NUL characters"
    if spec.single_line and any(ch < " " or ch == "\x7f" for ch in value):
        return "must not contain line breaks or control characters"
    if spec.max_length is not None and len(value) > spec.max_length:
        return f"at most {spec.max_length} characters"
    return None


def read_body(fields: dict[str, Field]) -> dict[str, Any]:
    """The JSON object body checked against `fields`: 422 with per-field details if it is not
    right. Members not named in `fields` are ignored; optional members left out are None."""
    body = json_object()
    details: dict[str, str] = {}
    out: dict[str, Any] = {}
    for name, spec in fields.items():
        value = body.get(name)
        if value is None:
            if spec.required:
                details[name] = "required"
            out[name] = None
            continue
        is_bool = isinstance(value, bool)
        if not isinstance(value, spec.kind) or (is_bool and spec.kind is not bool):
            details[name] = f"must be {_JSON_TYPES.get(spec.kind, spec.kind.__name__)}"
            continue
        if isinstance(value, str):
            problem = _string_problem(value, spec)
            if problem:
                details[name] = problem
                continue
        out[name] = value
    if details:
        raise Invalid("the request is not valid", details=details)
    return out


def query_string(name: str, max_length: int = 100) -> str | None:
    value = request.args.get(name)
    if value is None or value == "":
        return None
    problem = _string_problem(value, Field(max_length=max_length))
    if problem:
        raise Invalid("the query is not valid", details={name: problem})
    return value


def _positive_int(name: str, default: int, maximum: int) -> tuple[int | None, str | None]:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default, None
    text = raw.strip()
    if not text.isdecimal() or not text.isascii() or len(text) > 10:
        return None, "must be a whole number from 1"
    value = int(text)
    if value < 1 or value > maximum:
        return None, "must be a whole number from 1"
    return value, None


def paging(default_per_page: int = DEFAULT_PER_PAGE) -> tuple[int, int]:
    """`page` (from 1) and `per_page` (1..500; more is read as 500) from the query, or 422."""
    page, page_problem = _positive_int("page", 1, MAX_PAGE)
    per_page, per_page_problem = _positive_int("per_page", default_per_page, MAX_PAGE)
    details = {
        name: problem
        for name, problem in (("page", page_problem), ("per_page", per_page_problem))
        if problem
    }
    if details:
        raise Invalid("the paging parameters are not valid", details=details)
    assert page is not None
    assert per_page is not None
    return page, min(per_page, MAX_PER_PAGE)


def page_of(items: Sequence[T], page: int, per_page: int, render: Callable[[T], Any]) -> Response:
    """A page of an in-memory list, in the shape every list endpoint uses."""
    start = (page - 1) * per_page
    chosen = items[start : start + per_page] if start < len(items) else []
    return paged([render(item) for item in chosen], page, per_page, len(items))


def paged(items: list[Any], page: int, per_page: int, total: int) -> Response:
    return jsonify({"items": items, "page": page, "per_page": per_page, "total": total})


def created(body: dict[str, Any], location: str | None = None) -> tuple[Response, int]:
    response = jsonify(body)
    if location:
        response.headers["Location"] = location
    return response, 201


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
