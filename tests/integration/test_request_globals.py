"""`g` with deferred values (consult.web.globals): the gate of an API call on an object with a
bearer token reads the token's user and the community as columns, and they are loaded only
when a view reads them — a ballot reads neither."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask, g  # noqa: TID251 - the test inspects the request globals

from consult import clock
from consult.accounts.models import User
from consult.actor import Actor, Role
from consult.extensions import db
from consult.meetings import service as meetings
from consult.registry import enrolment
from consult.registry.models import Community
from consult.voting.service import COMMUNITY_ID_OF_VOTE
from consult.web.globals import RequestGlobals
from tests.conftest import World
from tests.factories import make_meeting
from tests.integration.api_support import headers_for

pytestmark = pytest.mark.integration


def test_the_app_uses_them(app: Flask) -> None:
    assert app.app_ctx_globals_class is RequestGlobals


def test_a_deferred_value_is_loaded_once_when_first_read(app: Flask, world: World) -> None:
    with app.test_request_context("/"):
        g.defer("community", world.community.id)
        assert "community" in g
        assert "community" not in vars(g)  # not loaded yet
        community = g.community
        assert isinstance(community, Community)
        assert community.code == "heping"
        assert vars(g)["community"] is community
        assert "_deferred_community" not in vars(g)
        assert g.get("community") is community
        g.defer("api_user", world.users["staff"].id)
        user = g.get("api_user")
        assert isinstance(user, User)
        assert user.email == "staff@example.org"


def test_setting_a_value_replaces_its_deferral(app: Flask, world: World) -> None:
    with app.test_request_context("/"):
        g.defer("community", world.community.id)
        g.community = None
        assert g.community is None
        assert "_deferred_community" not in vars(g)
        g.community = world.other
        g.defer("community", world.community.id)  # the later one wins
        assert g.community.code == "heping"


def test_it_is_otherwise_flasks_g(app: Flask) -> None:
    with app.test_request_context("/"):
        assert "nothing" not in g
        assert g.get("nothing") is None
        assert g.get("nothing", 5) == 5
        with pytest.raises(AttributeError):
            _ = g.nothing
        g.something = 1
        assert "something" in g
        assert g.something == 1
        assert g.pop("something") == 1
        with pytest.raises(ValueError, match="cannot be deferred"):
            g.defer("actor", 1)


@pytest.fixture
def open_vote(world: World) -> Any:
    """An open secret vote at a meeting in session, the world's resident signed in."""
    clock.freeze(datetime(2026, 6, 1, 1, 0, tzinfo=UTC))
    meeting = make_meeting(world.community, state="in_session")
    system = Actor.system("tests")
    meetings.record_attendance(
        system, meeting, resident_id=world.residents["resident"].id, status="present"
    )
    db.session.commit()
    return meeting


def test_a_ballot_through_the_api_loads_neither_the_user_nor_the_community(
    app: Flask, world: World, open_vote: Any
) -> None:
    api = app.test_client()
    staff = headers_for(world, "staff")
    made = api.post(
        f"/api/v1/agenda-items/{open_vote.agenda[0].id}/votes", headers=staff, json={"secret": True}
    )
    url = f"/api/v1/votes/{made.get_json()['id']}"
    assert api.post(f"{url}/open", headers=staff).status_code == 200
    cast = api.post(f"{url}/ballots", headers=headers_for(world, "resident"), json={"choice": "no"})
    assert cast.status_code == 201, cast.get_data(as_text=True)
    # The test's app context outlives the request: `g` still holds what the gate left.
    left = vars(g)
    assert left["_deferred_community"] == world.community.id
    assert left["_deferred_api_user"] == world.users["resident"].id
    assert "community" not in left
    assert "api_user" not in left
    # The actor was made from the gate's columns all the same.
    assert g.actor.user_id == world.users["resident"].id
    assert g.actor.resident_id == world.residents["resident"].id
    assert g.actor.community_id == world.community.id
    assert g.actor.roles == frozenset({Role.RESIDENT})
    # On PostgreSQL that gate went straight through psycopg, compiled once.
    dialect = db.session.get_bind().dialect
    compiled = enrolment._TOKEN_GATE_SQL[(id(COMMUNITY_ID_OF_VOTE), dialect.name, dialect.driver)]
    assert (compiled is not None) == (dialect.name == "postgresql")


def test_a_view_that_reads_them_gets_them(app: Flask, world: World) -> None:
    api = app.test_client()
    listed = api.get("/api/v1/communities/heping/bodies", headers=headers_for(world, "staff"))
    assert listed.status_code == 200, listed.get_data(as_text=True)
    assert vars(g)["community"].id == world.community.id
    # Staff of heping are refused in the other community, as before.
    refused = api.post(
        "/api/v1/communities/other/bodies",
        headers=headers_for(world, "staff"),
        json={"kind": "residents_meeting", "name": "居民会议"},
    )
    assert refused.status_code == 403, refused.get_data(as_text=True)
    unknown = api.get("/api/v1/communities/nowhere/bodies", headers=headers_for(world, "staff"))
    assert unknown.status_code == 404
    revoked = api.get(
        "/api/v1/communities/heping/bodies", headers={"Authorization": "Bearer cst_nonsense"}
    )
    assert revoked.status_code == 401
