"""/api/v1 register operations: CSV import (whole file or nothing), paging and search, one
resident, and staff enrolling residents' accounts; with the denials each one needs."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import current_app

from consult import clock
from consult.extensions import db
from consult.rules.idcard import make_id_number
from tests.factories import make_resident
from tests.integration.api_support import bearer, csv_body, error_of, headers_for, token_for

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("world")]

BASE = "/api/v1/communities/heping"
FIFTY_MB = 50 * 1024 * 1024

#: Built once for the whole module: a 50 MB upload.
_BIG_BODY: list[bytes] = []


def big_body() -> bytes:
    if not _BIG_BODY:
        line = b"H9," + "张".encode() * 20 + b",1960-01-01,M,G1,,\n"
        _BIG_BODY.append(csv_body() + line * (FIFTY_MB // len(line) + 1))
    return _BIG_BODY[0]


@pytest.fixture
def staff(world: Any) -> dict[str, str]:
    return headers_for(world, "staff")


def _import(client: Any, headers: dict[str, str], body: bytes, code: str = "heping") -> Any:
    return client.post(
        f"/api/v1/communities/{code}/residents/import",
        data=body,
        headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
    )


GOOD = (
    "H100,刘德华,1961-09-27,M,G2,13800000001,",
    "H100,朱丽倩,1966-04-06,F,G2,,",
    "H101,小明,2015-01-01,M,G3,,",
)


def _total(client: Any, headers: dict[str, str]) -> int:
    return int(client.get(f"{BASE}/residents", headers=headers).get_json()["total"])


# ---------------------------------------------------------------- import


def test_staff_import_a_register_and_reimporting_changes_nothing(client, staff):
    first = _import(client, staff, csv_body(*GOOD))
    assert first.status_code == 200, first.get_json()
    assert first.get_json() | {"batch_id": None} == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "rejected": [],
        "batch_id": None,
    }
    again = _import(client, staff, csv_body(*GOOD))
    assert (again.get_json()["created"], again.get_json()["unchanged"]) == (0, 3)
    moved = _import(client, staff, csv_body(GOOD[0].replace("G2", "G9"), *GOOD[1:]))
    assert (moved.get_json()["updated"], moved.get_json()["unchanged"]) == (1, 2)
    assert _total(client, staff) == 2 + 3


def test_a_bad_line_means_nothing_is_imported_and_every_bad_line_is_listed(client, staff):
    body = csv_body(
        GOOD[0], "H100,坏日期,1961-13-40,M,G2,,", GOOD[1], "H102,无性别,1970-01-01,X,G2,,"
    )
    response = _import(client, staff, body)
    assert response.status_code == 422
    error = error_of(response)
    assert error["code"] == "invalid"
    assert [d["line"] for d in error["details"]] == [3, 5]
    assert "birth_date" in error["details"][0]["error"]
    assert "gender" in error["details"][1]["error"]
    assert _total(client, staff) == 2  # only the world's two residents


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (b"", 1, "empty"),
        (b"name,household\nx,y\n", 1, "missing column"),
        (csv_body("H1,A,1970-01-01,M,G1,,", "H1,A,1970-01-01,M,G1,,"), 3, "same resident"),
        (
            "household,name,birth_date,gender,group,phone,id_number\nH1,张三".encode("gbk"),
            2,
            "UTF-8",
        ),
    ],
)
def test_bad_files_are_422_with_line_numbers(client, staff, body, line, words):
    response = _import(client, staff, body)
    assert response.status_code == 422
    details = error_of(response)["details"]
    assert details[0]["line"] == line
    assert words in details[0]["error"]


def test_html_and_sql_in_names_are_stored_as_text(client, staff):
    nasty = (
        "H1,<script>alert(1)</script>,1970-01-01,M,G1,,",
        "H2,Robert'); DROP TABLE residents;--,1970-01-01,M,G1,,",
    )
    assert _import(client, staff, csv_body(*nasty)).status_code == 200
    names = {r["name"] for r in client.get(f"{BASE}/residents", headers=staff).get_json()["items"]}
    assert {"<script>alert(1)</script>", "Robert'); DROP TABLE residents;--"} <= names


@pytest.mark.parametrize(
    "content_type", ["application/json", "multipart/form-data; boundary=x", "text/plain"]
)
def test_an_upload_that_is_not_csv_is_415(client, staff, content_type):
    response = client.post(
        f"{BASE}/residents/import",
        data=csv_body(*GOOD),
        headers={**staff, "Content-Type": content_type},
    )
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_50_mb_upload_is_413_json(client, staff):
    body = big_body()
    assert len(body) > FIFTY_MB > current_app.config["MAX_CONTENT_LENGTH"]
    response = _import(client, staff, body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "too_large"
    assert _total(client, staff) == 2


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("representative", 403),
        ("supervisor", 403),
        ("other_resident", 403),
    ],
)
def test_only_staff_import(client, world, role, status):
    response = _import(client, headers_for(world, role), csv_body(*GOOD))
    assert response.status_code == status
    assert error_of(response)["code"] in {"unauthenticated", "forbidden"}


def test_staff_cannot_import_into_another_community(client, staff):
    response = _import(client, staff, csv_body(*GOOD), code="other")
    assert response.status_code == 403


def test_an_admin_may_import_anywhere(client, world):
    response = _import(client, headers_for(world, "admin"), csv_body(*GOOD), code="other")
    assert response.status_code == 200


def test_importing_into_an_unknown_community_is_404(client, staff):
    response = _import(client, staff, csv_body(*GOOD), code="nowhere")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# ---------------------------------------------------------------- reading the register


def test_the_register_pages_with_the_promised_keys(client, staff):
    _import(client, staff, csv_body(*GOOD))
    first = client.get(f"{BASE}/residents?page=1&per_page=2", headers=staff).get_json()
    assert (first["page"], first["per_page"], first["total"]) == (1, 2, 5)
    assert len(first["items"]) == 2
    assert set(first["items"][0]) == {
        "id",
        "name",
        "household",
        "group",
        "birth_date",
        "gender",
        "registration",
        "eligible",
    }
    last = client.get(f"{BASE}/residents?page=3&per_page=2", headers=staff).get_json()
    assert len(last["items"]) == 1
    past = client.get(f"{BASE}/residents?page=99&per_page=2", headers=staff)
    assert past.status_code == 200
    assert past.get_json()["items"] == []
    assert past.get_json()["total"] == 5
    seen = {
        i["id"]
        for p in (1, 2, 3)
        for i in client.get(f"{BASE}/residents?page={p}&per_page=2", headers=staff).get_json()[
            "items"
        ]
    }
    assert len(seen) == 5


def test_eligibility_is_computed(client, staff):
    _import(client, staff, csv_body(*GOOD))
    items = client.get(f"{BASE}/residents?q=H101", headers=staff).get_json()["items"]
    assert [(i["name"], i["eligible"], i["household"], i["group"]) for i in items] == [
        ("小明", False, "H101", "G3")
    ]
    assert items[0]["birth_date"] == "2015-01-01"
    assert items[0]["registration"] == "household_register"


def test_search_by_name_and_group(client, staff):
    _import(client, staff, csv_body(*GOOD))
    by_name = client.get(f"{BASE}/residents", query_string={"q": "丽"}, headers=staff).get_json()
    assert [i["name"] for i in by_name["items"]] == ["朱丽倩"]
    by_group = client.get(f"{BASE}/residents?group=G2", headers=staff).get_json()
    assert {i["name"] for i in by_group["items"]} == {"刘德华", "朱丽倩"}
    wild = client.get(f"{BASE}/residents", query_string={"q": "%_'\\"}, headers=staff).get_json()
    assert wild["items"] == []


def test_per_page_above_the_maximum_is_read_as_500(client, staff):
    body = client.get(f"{BASE}/residents?per_page=100000", headers=staff).get_json()
    assert body["per_page"] == 500


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=-1",
        "per_page=0",
        "per_page=x",
        "page=1.5",
        "page=99999999999999999999999",
        "page=%D9%A3",
        "q=%00",
    ],
)
def test_bad_paging_is_422_never_500(client, staff, query):
    response = client.get(f"{BASE}/residents?{query}", headers=staff)
    assert response.status_code == 422
    assert error_of(response)["details"]


def test_the_last_possible_page_is_just_empty(client, staff):
    response = client.get(f"{BASE}/residents?page=2147483647&per_page=500", headers=staff)
    assert response.status_code == 200
    assert response.get_json()["items"] == []


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("anonymous", 401),
        ("resident", 403),
        ("representative", 403),
        ("other_resident", 403),
        ("supervisor", 200),
        ("staff", 200),
        ("admin", 200),
    ],
)
def test_who_may_read_the_register(client, world, role, status):
    response = client.get(f"{BASE}/residents", headers=headers_for(world, role))
    assert response.status_code == status
    if status == 200:
        assert response.get_json()["total"] == 2
    else:
        assert "items" not in response.get_json()


def test_a_resident_of_another_community_reads_nothing_of_heping(client, world):
    other = headers_for(world, "other_resident")
    resident_id = world.residents["resident"].id
    for path in (f"{BASE}/residents", f"{BASE}/residents/{resident_id}", f"{BASE}/roles"):
        response = client.get(path, headers=other)
        assert response.status_code in {403, 404}, path
        assert "张秀英" not in response.get_data(as_text=True)


def test_one_resident_shows_the_id_number_masked_and_why_they_may_vote(client, world, staff):
    number = make_id_number("110105", date(1970, 1, 1), 7, "M")
    _import(client, staff, csv_body(f"H200,赵六,1970-01-01,M,G1,,{number}"))
    found = client.get(f"{BASE}/residents?q=赵六", headers=staff).get_json()["items"][0]
    response = client.get(f"{BASE}/residents/{found['id']}", headers=staff)
    assert response.status_code == 200
    body = response.get_json()
    assert number not in response.get_data(as_text=True)
    assert body["id_number"] == number[:6] + "*" * 8 + number[-4:]
    assert body["eligible"] is True
    assert body["eligibility"]["reasons"] == []
    assert body["eligibility"]["rule"]["id"] == "URC25-08"
    assert "第十六条" in body["eligibility"]["rule"]["citation"]


def test_a_child_is_not_eligible_and_the_reason_is_given(client, world, staff):
    child = make_resident(world.community, name="小红", birth_date=date(2016, 5, 1))
    db.session.commit()
    body = client.get(f"{BASE}/residents/{child.id}", headers=staff).get_json()
    assert body["eligible"] is False
    assert body["eligibility"]["reasons"] == ["under_age"]
    assert body["id_number"] is None


def test_a_resident_of_another_community_is_404_through_this_one(client, world, staff):
    stranger = world.residents["other_resident"].id
    response = client.get(f"{BASE}/residents/{stranger}", headers=staff)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


@pytest.mark.parametrize("resident_id", ["999999", "99999999999999999999", "abc", "-1"])
def test_unknown_resident_ids_are_404(client, staff, resident_id):
    response = client.get(f"{BASE}/residents/{resident_id}", headers=staff)
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


# ---------------------------------------------------------------- accounts for residents


def _unlinked_resident(world: Any) -> Any:
    person = make_resident(world.community, name="钱七", household="H300")
    db.session.commit()
    return person


def test_staff_create_a_verified_account_for_a_resident(client, world, staff):
    person = _unlinked_resident(world)
    response = client.post(
        f"{BASE}/residents/{person.id}/account",
        json={"email": "Qian7@Example.org", "password": "long enough password"},
        headers=staff,
    )
    assert response.status_code == 201
    assert response.get_json() == {
        "id": response.get_json()["id"],
        "email": "qian7@example.org",
        "resident_id": person.id,
        "verified": True,
    }
    token = client.post(
        "/api/v1/auth/token",
        json={"email": "qian7@example.org", "password": "long enough password"},
    ).get_json()["token"]
    me = client.get("/api/v1/me", headers=bearer(token)).get_json()
    assert me["communities"][0]["code"] == "heping"
    assert me["communities"][0]["roles"] == ["resident"]
    twice = client.post(
        f"{BASE}/residents/{person.id}/account",
        json={"email": "another@example.org", "password": "long enough password"},
        headers=staff,
    )
    assert twice.status_code == 409


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "x@example.org", "password": "short"}, 422, "password"),
        ({"email": "not-an-address", "password": "long enough password"}, 422, "email"),
        ({"email": "staff@example.org", "password": "long enough password"}, 409, "email"),
        ({"password": "long enough password"}, 422, "email"),
        ({"email": "x@example.org", "password": 12345678}, 422, "password"),
    ],
)
def test_bad_account_requests(client, world, staff, body, status, field):
    person = _unlinked_resident(world)
    response = client.post(f"{BASE}/residents/{person.id}/account", json=body, headers=staff)
    assert response.status_code == status
    assert field in error_of(response)["details"]


@pytest.mark.parametrize(
    ("role", "status"),
    [("anonymous", 401), ("resident", 403), ("supervisor", 403), ("other_resident", 403)],
)
def test_only_staff_create_residents_accounts(client, world, role, status):
    person = _unlinked_resident(world)
    response = client.post(
        f"{BASE}/residents/{person.id}/account",
        json={"email": "q@example.org", "password": "long enough password"},
        headers=headers_for(world, role),
    )
    assert response.status_code == status


def test_staff_issue_a_verification_code(client, world, staff):
    person = _unlinked_resident(world)
    response = client.post(f"{BASE}/residents/{person.id}/verification-codes", headers=staff)
    assert response.status_code == 201
    body = response.get_json()
    assert len(body["code"]) == 11
    assert body["code"][5] == "-"
    assert body["expires_at"] > "2000"
    assert body["resident_id"] == person.id


def test_a_resident_cannot_issue_codes(client, world):
    person = _unlinked_resident(world)
    response = client.post(
        f"{BASE}/residents/{person.id}/verification-codes", headers=headers_for(world, "resident")
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_codes_for_a_resident_of_another_community_are_404(client, world, staff):
    stranger = world.residents["other_resident"].id
    response = client.post(f"{BASE}/residents/{stranger}/verification-codes", headers=staff)
    assert response.status_code == 404


def test_a_revoked_staff_token_cannot_import(client, world):
    token = token_for(world.users["staff"])
    assert client.delete("/api/v1/auth/token", headers=bearer(token)).status_code == 200
    assert _import(client, bearer(token), csv_body(*GOOD)).status_code == 401


def test_eligibility_is_judged_on_the_communitys_own_date(client, world, staff):
    # 17:00 UTC on 1 June is already 2 June in Beijing, the day this resident turns 18.
    clock.freeze(datetime(2026, 6, 1, 17, 0, tzinfo=UTC))
    person = make_resident(world.community, name="成年", birth_date=date(2008, 6, 2))
    db.session.commit()
    body = client.get(f"{BASE}/residents/{person.id}", headers=staff).get_json()
    assert body["eligibility"]["on"] == "2026-06-02"
    assert body["eligible"] is True
