"""/api/v1 communities: anyone reads them; only a platform administrator creates one."""

from __future__ import annotations

import pytest

from tests.integration.api_support import error_of, headers_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("world")]

NEW = {"code": "dongcheng-01", "name": "东城社区", "kind": "urban"}


def test_an_admin_creates_a_community_that_anyone_can_read(client, world):
    response = client.post("/api/v1/communities", json=NEW, headers=headers_for(world, "admin"))
    assert response.status_code == 201
    assert response.get_json() == {
        "code": "dongcheng-01",
        "name": "东城社区",
        "kind": "urban",
        "timezone": "Asia/Shanghai",
        "rule_set": "urban-2026",
    }
    assert response.headers["Location"].endswith("/api/v1/communities/dongcheng-01")
    read = client.get("/api/v1/communities/dongcheng-01")
    assert read.status_code == 200
    assert read.get_json() == response.get_json()
    # Its certificate authority for signed minutes is made with it, and published.
    ca = client.get("/c/dongcheng-01/ca.pem")
    assert ca.status_code == 200
    assert b"BEGIN CERTIFICATE" in ca.get_data()


def test_a_village_gets_the_village_rule_set_and_may_choose_its_zone(client, world):
    body = {"code": "xiaocun", "name": "小村", "kind": "village", "timezone": "Asia/Urumqi"}
    response = client.post("/api/v1/communities", json=body, headers=headers_for(world, "admin"))
    assert response.status_code == 201
    assert response.get_json()["rule_set"] == "village-2026"
    assert response.get_json()["timezone"] == "Asia/Urumqi"


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("staff", 403), ("resident", 403)]
)
def test_only_an_admin_creates_communities(client, world, role, status):
    response = client.post("/api/v1/communities", json=NEW, headers=headers_for(world, role))
    assert response.status_code == status
    assert client.get("/api/v1/communities/dongcheng-01").status_code == 404


def test_a_taken_code_is_409(client, world):
    body = {**NEW, "code": "heping"}
    response = client.post("/api/v1/communities", json=body, headers=headers_for(world, "admin"))
    assert response.status_code == 409
    assert error_of(response)["code"] == "conflict"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kind": "town"}, "kind"),
        ({"kind": None}, "kind"),
        ({"code": "has space"}, "code"),
        ({"code": "x" * 41}, "code"),
        ({"code": ""}, "code"),
        ({"name": 12}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "two\nlines"}, "name"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"timezone": "../../etc/passwd"}, "timezone"),
        ({"rule_set": "anything-goes"}, "rule_set"),
    ],
)
def test_an_invalid_community_is_422_with_the_field(client, world, change, field):
    body = {**NEW, **change}
    response = client.post("/api/v1/communities", json=body, headers=headers_for(world, "admin"))
    assert response.status_code == 422
    assert field in error_of(response)["details"]


def test_communities_are_listed_a_page_at_a_time(client, world):
    everyone = client.get("/api/v1/communities").get_json()
    assert everyone["total"] == 2
    assert [c["code"] for c in everyone["items"]] == ["heping", "other"]
    second = client.get("/api/v1/communities?page=2&per_page=1").get_json()
    assert second == {
        "items": [everyone["items"][1]],
        "page": 2,
        "per_page": 1,
        "total": 2,
    }
    past = client.get("/api/v1/communities?page=3&per_page=1").get_json()
    assert past["items"] == []
    assert client.get("/api/v1/communities?per_page=0").status_code == 422


def test_an_unknown_community_is_404_json(client, world):
    response = client.get("/api/v1/communities/nowhere")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_a_community_code_may_be_chinese(client, world):
    body = {**NEW, "code": "和平里"}
    headers = headers_for(world, "admin")
    assert client.post("/api/v1/communities", json=body, headers=headers).status_code == 201
    assert client.get("/api/v1/communities/和平里").get_json()["name"] == "东城社区"
