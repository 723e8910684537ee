"""The OpenAPI 3.1 document at /api/v1/openapi.json describes every /api/v1 operation: a route
missing from the document (or an operation with no route) fails here."""

from __future__ import annotations

import re
from typing import Any

import pytest

from consult.accounts.policy import PERMISSIONS
from consult.web.permissions import route_permission

pytestmark = pytest.mark.integration

METHODS = {"get", "put", "post", "delete", "patch"}


@pytest.fixture
def document(client: Any) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.is_json
    return response.get_json()  # type: ignore[no-any-return]


def _routes(app: Any) -> dict[tuple[str, str], str]:
    """(OpenAPI path, method) -> endpoint, read straight from the app's URL map."""
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:[^<>]*:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            found[(path, method.lower())] = rule.endpoint
    return found


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (path, method): op
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        target: Any = document
        for part in ref[2:].split("/"):
            assert part in target, f"dangling {ref}"
            target = target[part]
        node = target
    return node


def test_the_document_lists_every_api_route_and_nothing_else(app, document):
    routes = _routes(app)
    operations = _operations(document)
    assert len(routes) >= 17
    assert sorted(set(routes) - set(operations)) == [], "routes missing from the OpenAPI document"
    assert sorted(set(operations) - set(routes)) == [], "documented operations with no route"


def test_it_is_openapi_3_1_with_bearer_auth(document):
    assert document["openapi"].startswith("3.1")
    assert document["info"]["title"]
    assert document["components"]["securitySchemes"]["bearerAuth"] == {
        **document["components"]["securitySchemes"]["bearerAuth"],
        "type": "http",
        "scheme": "bearer",
    }


def test_every_operation_is_fully_described(app, document):
    routes = _routes(app)
    ids = set()
    for (path, method), op in _operations(document).items():
        where = f"{method.upper()} {path}"
        assert op["summary"], where
        assert op["operationId"] not in ids, where
        ids.add(op["operationId"])
        assert op["responses"], where
        assert any(code.startswith("2") for code in op["responses"]), where
        # The permission in the document is the one the route enforces.
        assert op["x-permission"] == route_permission(app, routes[(path, method)]), where
        # Public: the gate's PUBLIC, or a named permission the policy gives to everyone.
        public = "public" in (op["x-permission"], PERMISSIONS.get(op["x-permission"]))
        if public:
            assert op["security"] == [{}], where
        else:
            assert {"bearerAuth": []} in op["security"], where
            assert "401" in op["responses"], where
            assert "403" in op["responses"], where
        # Path parameters are declared, and only those.
        declared = {
            p["name"]
            for p in (_resolve(document, p) for p in op.get("parameters", []))
            if p["in"] == "path"
        }
        assert declared == set(re.findall(r"{(\w+)}", path)), where
        if "{code}" in path:
            assert "404" in op["responses"], where
        # Every error answer uses the one error schema.
        for code, response in op["responses"].items():
            response = _resolve(document, response)
            assert response["description"], where
            if int(code) >= 400:
                schema = response["content"]["application/json"]["schema"]
                assert schema == {"$ref": "#/components/schemas/Error"}, (where, code)


def test_request_bodies_are_described(document):
    operations = _operations(document)
    for key in [
        ("/api/v1/auth/token", "post"),
        ("/api/v1/communities", "post"),
        ("/api/v1/communities/{code}/residents/{resident_id}/account", "post"),
        ("/api/v1/communities/{code}/roles", "post"),
        ("/api/v1/me/verify", "post"),
    ]:
        content = operations[key]["requestBody"]["content"]["application/json"]
        schema = _resolve(document, content["schema"])
        assert schema["required"], key
        assert "400" in operations[key]["responses"], key
        assert "422" in operations[key]["responses"], key
    upload = operations[("/api/v1/communities/{code}/residents/import", "post")]
    assert "text/csv" in upload["requestBody"]["content"]
    assert {"413", "415", "422"} <= set(upload["responses"])


def test_every_reference_resolves(document):
    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                _resolve(document, node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]


def test_a_route_left_out_of_the_document_is_caught(app, document):
    """The comparison above really would fail: drop one operation and look."""
    operations = _operations(document)
    operations.pop(("/api/v1/me", "get"))
    assert set(_routes(app)) - set(operations) == {("/api/v1/me", "get")}
