"""Bad input to /api/v1 is answered in JSON with the right status, never 500 or an HTML page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.api_support import error_of, headers_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("world")]

ROLES = "/api/v1/communities/heping/roles"


@pytest.fixture
def staff(world: Any) -> dict[str, str]:
    return headers_for(world, "staff")


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"email": "a@b.c", ',
        b"",
        b"   ",
        b"\xff\xfe\x00garbage",
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a": 1' + b"1" * 5000 + b"}",
    ],
    ids=["broken", "truncated", "empty", "blank", "not-utf8", "deep", "huge-number"],
)
def test_malformed_json_is_400(client, staff, body):
    response = client.post(ROLES, data=body, headers={**staff, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["code"] == "bad_request"


@pytest.mark.parametrize(
    "body", [b"[]", b'"staff"', b"42", b"null", b"true", b'[{"role": "chair"}]']
)
def test_json_that_is_not_an_object_is_400(client, staff, body):
    response = client.post(ROLES, data=body, headers={**staff, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["details"] == {"body": "not an object"}


def test_missing_and_mistyped_fields_are_listed_together(client, staff):
    response = client.post(ROLES, json={"email": True}, headers=staff)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert error["details"] == {"email": "must be a string", "role": "required"}


def test_a_json_body_without_a_content_type_is_still_read(client, world, staff):
    body = b'{"email": "resident@example.org", "role": "chair"}'
    response = client.post(ROLES, data=body, headers=staff)  # as `curl -d` without -H
    assert response.status_code == 201


def test_a_form_upload_to_a_json_operation_is_415(client, staff):
    response = client.post(ROLES, data={"email": "x", "role": "chair"}, headers=staff)
    assert response.status_code in {400, 415}
    assert error_of(response)["code"] in {"bad_request", "unsupported_media_type"}


def test_a_body_over_the_limit_is_413_on_json_operations_too(app, client, staff):
    body = b'{"email": "' + b"a" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    response = client.post(ROLES, data=body, headers={**staff, "Content-Type": "application/json"})
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"


@pytest.mark.parametrize(
    "path", ["/api/v1/nothing-here", "/api/v1/communities/heping/nothing", "/api/v2/communities"]
)
def test_unknown_api_routes_are_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/auth/token"),
        ("PUT", "/api/v1/communities"),
        ("DELETE", "/api/v1/communities/heping"),
        ("GET", "/api/v1/communities/heping/residents/import"),
    ],
)
def test_a_wrong_method_is_405_json(client, method, path):
    response = client.open(path, method=method)
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


@pytest.mark.parametrize(
    "header", ["Bearer", "Bearer ", "Bearer \x00", "bearer x" * 1000, "Bearer ☃"]
)
def test_odd_bearer_headers_are_401_never_500(client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_sql_metacharacters_in_fields_are_just_text(client, staff):
    body = {"email": "x'; DROP TABLE users; --@example.org", "role": "chair"}
    response = client.post(ROLES, json=body, headers=staff)
    assert response.status_code == 422
    assert error_of(response)["details"] == {"email": "no such account"}
    assert client.get(ROLES, headers=staff).status_code == 200


def test_nul_in_a_path_is_404_not_500(client, staff):
    response = client.get("/api/v1/communities/he%00ping/residents", headers=staff)
    assert response.status_code == 404
