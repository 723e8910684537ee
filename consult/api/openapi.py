"""GET /api/v1/openapi.json: the hand-written spec, with each operation's permission read from
the route that serves it."""

from __future__ import annotations

import copy
import re
from typing import Any

from flask import Flask, current_app, jsonify

from consult.accounts.policy import PUBLIC
from consult.api import (
    bp,
    spec,
    spec_attachments,
    spec_candidates,
    spec_charters,
    spec_disclosures,
    spec_meetings,
    spec_minutes,
    spec_votes,
)
from consult.web.permissions import permission, route_permission

PREFIX = "/api/v1"
_CONVERTED = re.compile(r"<(?:[^<>:]+:)?([A-Za-z_][A-Za-z0-9_]*)>")
_IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
#: The spec modules, each with PATHS and optionally SCHEMAS, PARAMETERS and TAGS.
_MODULES: tuple[Any, ...] = (
    spec,
    spec_meetings,
    spec_attachments,
    spec_charters,
    spec_candidates,
    spec_votes,
    spec_minutes,
    spec_disclosures,
)


def _merged(name: str) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for module in _MODULES:
        merged.update(getattr(module, name, {}))
    return merged


def openapi_path(rule: str) -> str:
    """Flask's `/x/<int(max=9):id>` is OpenAPI's `/x/{id}`."""
    return _CONVERTED.sub(r"{\1}", rule)


def api_routes(app: Flask) -> dict[tuple[str, str], str]:
    """(OpenAPI path, lower-case method) -> endpoint, for every /api/v1 route of `app`."""
    found: dict[tuple[str, str], str] = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        for method in sorted((rule.methods or set()) - _IGNORED_METHODS):
            found[(openapi_path(rule.rule), method.lower())] = rule.endpoint
    return found


def document(app: Flask) -> dict[str, Any]:
    paths = copy.deepcopy(_merged("PATHS"))
    for (path, method), endpoint in api_routes(app).items():
        op = paths.get(path, {}).get(method)
        if op is not None:
            op["x-permission"] = route_permission(app, endpoint, method)
    return {
        "openapi": "3.1.0",
        "info": spec.INFO,
        "jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
        "tags": [tag for module in _MODULES for tag in getattr(module, "TAGS", [])],
        "paths": paths,
        "components": {
            "schemas": _merged("SCHEMAS"),
            "responses": spec.RESPONSES,
            "parameters": _merged("PARAMETERS"),
            "securitySchemes": spec.SECURITY_SCHEMES,
        },
    }


@bp.route("/openapi.json", methods=["GET"])
@permission(PUBLIC)
def openapi_document() -> Any:
    return jsonify(document(current_app))
