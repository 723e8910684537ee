"""/api/v1 roles: staff grant and end roles; the committee and supervisors read who holds them."""

from __future__ import annotations

import pytest

from tests.integration.api_support import error_of, headers_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("world")]

BASE = "/api/v1/communities/heping/roles"


def test_staff_grant_list_and_end_a_role(client, world):
    staff = headers_for(world, "staff")
    body = {"email": "Resident@Example.org", "role": "representative"}
    granted = client.post(BASE, json=body, headers=staff)
    assert granted.status_code == 201
    assignment = granted.get_json()
    assert assignment["email"] == "resident@example.org"
    assert assignment["role"] == "representative"
    assert assignment["community"] == "heping"
    assert assignment["revoked_at"] is None
    listed = client.get(BASE, headers=staff).get_json()
    assert assignment in listed["items"]
    assert listed["total"] == 4  # representative, staff, supervisor, and the new one
    me = client.get("/api/v1/me", headers=headers_for(world, "resident")).get_json()
    assert me["communities"][0]["roles"] == ["representative", "resident"]

    ended = client.post(f"{BASE}/{assignment['id']}/revoke", headers=staff)
    assert ended.status_code == 200
    assert ended.get_json()["revoked_at"] is not None
    assert assignment["id"] not in {
        a["id"] for a in client.get(BASE, headers=staff).get_json()["items"]
    }
    again = client.post(f"{BASE}/{assignment['id']}/revoke", headers=staff)
    assert again.status_code == 409


def test_the_same_role_twice_is_409(client, world):
    staff = headers_for(world, "staff")
    body = {"email": "supervisor@example.org", "role": "supervisor"}
    response = client.post(BASE, json=body, headers=staff)
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "resident@example.org", "role": "resident"}, "role"),
        ({"email": "resident@example.org", "role": "king"}, "role"),
        ({"email": "resident@example.org", "role": "admin"}, "role"),
        ({"email": "nobody@example.org", "role": "chair"}, "email"),
        ({"email": "resident@example.org"}, "role"),
        ({"email": ["resident@example.org"], "role": "chair"}, "email"),
    ],
)
def test_a_bad_grant_is_422_with_the_field(client, world, body, field):
    response = client.post(BASE, json=body, headers=headers_for(world, "staff"))
    assert response.status_code == 422
    assert field in error_of(response)["details"]


@pytest.mark.parametrize(
    ("role", "read", "grant"),
    [
        ("anonymous", 401, 401),
        ("resident", 403, 403),
        ("representative", 403, 403),
        ("other_resident", 403, 403),
        ("supervisor", 200, 403),
        ("staff", 200, 201),
        ("admin", 200, 201),
    ],
)
def test_who_may_read_and_grant_roles(client, world, role, read, grant):
    headers = headers_for(world, role)
    assert client.get(BASE, headers=headers).status_code == read
    body = {"email": "resident@example.org", "role": "chair"}
    assert client.post(BASE, json=body, headers=headers).status_code == grant


def test_staff_of_one_community_cannot_touch_another(client, world):
    staff = headers_for(world, "staff")
    body = {"email": "resident@example.org", "role": "chair"}
    assert (
        client.post("/api/v1/communities/other/roles", json=body, headers=staff).status_code == 403
    )
    assert client.get("/api/v1/communities/other/roles", headers=staff).status_code == 403


def test_a_role_of_another_community_cannot_be_ended_through_this_one(client, world):
    admin = headers_for(world, "admin")
    body = {"email": "resident@example.org", "role": "chair"}
    elsewhere = client.post("/api/v1/communities/other/roles", json=body, headers=admin).get_json()
    response = client.post(f"{BASE}/{elsewhere['id']}/revoke", headers=headers_for(world, "staff"))
    assert response.status_code == 404


def test_a_resident_cannot_end_roles(client, world):
    staff = headers_for(world, "staff")
    held = client.get(BASE, headers=staff).get_json()["items"][0]
    response = client.post(f"{BASE}/{held['id']}/revoke", headers=headers_for(world, "resident"))
    assert response.status_code == 403


def test_roles_page_like_every_list(client, world):
    staff = headers_for(world, "staff")
    first = client.get(f"{BASE}?per_page=2", headers=staff).get_json()
    assert (len(first["items"]), first["total"], first["per_page"]) == (2, 3, 2)
    assert client.get(f"{BASE}?page=9", headers=staff).get_json()["items"] == []
    assert client.get(f"{BASE}?page=zero", headers=staff).status_code == 422
