"""Whole public pages for readers without a session (consult/web/public_cache.py), on SQLite and
PostgreSQL: the disclosure board and its dashboard are answered without Flask for a reader who
brings no session cookie, and never stale — a publication in this process or another, a new
day, a renamed community; never for a reader with a session, a signed-in one, an argument the
page does not take, or an unknown community; shared between workers through files, which may
be torn or foreign without harm; and bounded.

The middleware reads each page's state on its own connection, which sees only what is
committed; the tests' data lives in a transaction rolled back at the end, so the fixture below
gives it the tests' connection instead (the one thing that differs from production).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection

from consult import clock
from consult.actor import Actor
from consult.disclosure import board_cache
from consult.disclosure import service as disclosures
from consult.disclosure.models import Disclosure, DisclosureState
from consult.extensions import db
from consult.registry.enrolment import actor_for
from consult.web import public_cache
from consult.web.public_cache import PublicPageCache
from tests.conftest import World, login
from tests.integration.test_web_disclosure_board import (
    PUBLISHED_AT,
    _approve,
    _as_another_process,
    _draft,
    _not_again,
    _published,
    _table,
    _titles,
    text_of,
)

pytestmark = pytest.mark.integration

BOARD = "/c/heping/disclosures"


@pytest.fixture
def people(world: World) -> dict[str, Actor]:
    return {
        "staff": actor_for(world.users["staff"], world.community.id),
        "supervisor": actor_for(world.users["supervisor"], world.community.id),
    }


@pytest.fixture
def at_publication() -> Iterator[None]:
    clock.freeze(PUBLISHED_AT)
    yield
    clock.reset()


def _tests_connection() -> AbstractContextManager[Connection]:
    return nullcontext(db.session.connection())


@pytest.fixture
def kept(app: Flask, db_session: Any) -> Iterator[PublicPageCache]:
    cache = app.extensions["consult.public_cache"]
    assert isinstance(cache, PublicPageCache)
    connect, fresh_for = cache.connect, cache.fresh_for
    cache.connect = _tests_connection
    cache.fresh_for = 0  # every request reads the state (the time it is kept: its own test)
    cache.clear()
    board_cache.pages.clear()
    yield cache
    cache.connect, cache.fresh_for = connect, fresh_for
    cache.clear()
    board_cache.pages.clear()


def _fresh(app: Flask) -> FlaskClient:
    """A reader's first visit: no cookie at all."""
    return app.test_client(use_cookies=False)


def test_a_reader_without_a_session_gets_the_kept_page_without_flask(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = _published(people, world)
    first = _fresh(app).get(BOARD)
    assert first.status_code == 200
    assert "Set-Cookie" not in first.headers  # no session for a reader of a public page
    assert kept.served == 0
    # The second reader is answered from the kept response: Flask's request never runs.
    monkeypatch.setattr(disclosures, "board", _not_again)
    monkeypatch.setattr(board_cache.pages, "get", _not_again)
    second = _fresh(app).get(BOARD)
    assert kept.served == 1
    assert second.status_code == 200
    assert second.get_data() == first.get_data()
    assert _titles(text_of(second)) == [found.title]
    # With the same headers: the security policy, the type, the length.
    for name in ("Content-Security-Policy", "X-Frame-Options", "Content-Type", "Content-Length"):
        assert second.headers[name] == first.headers[name]
    assert "Set-Cookie" not in second.headers
    assert 'name="csrf_token"' not in text_of(second)


def test_the_dashboard_is_kept_too(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _published(people, world)
    first = _fresh(app).get(f"{BOARD}/due")
    monkeypatch.setattr(disclosures, "dashboard", _not_again)
    assert _fresh(app).get(f"{BOARD}/due").get_data() == first.get_data()
    assert kept.served == 1


def test_a_publication_is_on_the_kept_board_at_once(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
) -> None:
    first = _published(people, world)
    assert _titles(text_of(_fresh(app).get(BOARD))) == [first.title]
    # Published in this process…
    second = _published(people, world, category="decisions", period="2026-Q3", title="决定")
    assert _titles(text_of(_fresh(app).get(BOARD))) == [second.title, first.title]
    assert kept.served == 0
    # …or by another (plain SQL: no ORM event here, only the database knows).
    third = _approve(
        people, _draft(people, world, category="facilities", period="2026-Q3", title="设施情况")
    )
    db.session.commit()
    assert len(_titles(text_of(_fresh(app).get(BOARD)))) == 2  # this process wrote: rendered
    assert len(_titles(text_of(_fresh(app).get(BOARD)))) == 2
    assert kept.served == 1
    table = _table(Disclosure)
    now = clock.now() + timedelta(minutes=5)
    _as_another_process(
        table.update()
        .where(table.c.id == third.id)
        .values(state=DisclosureState.PUBLISHED.value, published_at=now)
    )
    assert _titles(text_of(_fresh(app).get(BOARD))) == [third.title, second.title, first.title]
    assert kept.served == 1


def test_a_state_is_read_again_after_a_second_or_this_processs_own_write(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _published(people, world)
    now = [1000.0]
    monkeypatch.setattr(kept, "monotonic", lambda: now[0])
    kept.fresh_for = 1.0
    reads = []
    connect = kept.connect

    def counted() -> AbstractContextManager[Connection]:
        reads.append(now[0])
        return connect()

    kept.connect = counted
    assert _titles(text_of(_fresh(app).get(BOARD))) == [first.title]
    # Another worker publishes (plain SQL: this process hears nothing of it)…
    third = _approve(
        people, _draft(people, world, category="facilities", period="2026-Q3", title="设施情况")
    )
    db.session.commit()
    _fresh(app).get(BOARD)  # this process wrote (the draft): its state is read again at once
    assert len(reads) == 2
    table = _table(Disclosure)
    _as_another_process(
        table.update()
        .where(table.c.id == third.id)
        .values(state=DisclosureState.PUBLISHED.value, published_at=clock.now())
    )
    # …within the second, readers without a session still get the page as it was…
    now[0] += 0.5
    assert _titles(text_of(_fresh(app).get(BOARD))) == [first.title]
    assert len(reads) == 2
    # …and after it, the new one.
    now[0] += 0.6
    assert _titles(text_of(_fresh(app).get(BOARD))) == [third.title, first.title]
    assert len(reads) == 3


def test_a_new_day_and_a_new_name_are_new_pages(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
) -> None:
    found = _published(people, world)
    # 20 November is the last day on the board in Beijing.
    clock.freeze(datetime(2026, 11, 20, 15, 0, tzinfo=UTC))
    assert _titles(text_of(_fresh(app).get(BOARD))) == [found.title]
    clock.freeze(datetime(2026, 11, 20, 15, 59, tzinfo=UTC))
    assert _titles(text_of(_fresh(app).get(BOARD))) == [found.title]
    assert kept.served == 1
    clock.freeze(datetime(2026, 11, 20, 16, 0, tzinfo=UTC))  # midnight in Beijing
    assert _titles(text_of(_fresh(app).get(BOARD))) == []
    table = _table(type(world.community))
    _as_another_process(
        table.update().where(table.c.id == world.community.id).values(name="和平里新社区")
    )
    assert "<h1>公开栏：和平里新社区</h1>" in text_of(_fresh(app).get(BOARD))
    assert kept.served == 1


def test_readers_with_a_session_or_an_account_are_never_answered_from_it(
    app: Flask,
    client: FlaskClient,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
) -> None:
    _published(people, world)
    _fresh(app).get(BOARD)
    # A reader who chose English has a session: Flask answers, in English.
    client.get("/prefs?lang=en")
    assert "<h1>Disclosure board: " in text_of(client.get(BOARD))
    # A signed-in resident: Flask answers, with the resident's own header.
    login(client, world.users["resident"].email)
    page = text_of(client.get(BOARD))
    assert "/logout" in page
    assert kept.served == 0
    # The page kept for readers without a session is still everyone else's.
    assert "<h1>公开栏：" in text_of(_fresh(app).get(BOARD))
    assert kept.served == 1


@pytest.mark.parametrize(
    "query",
    ["?lang=en", "?page=2", "?category=decisions&category=finance", "?x=" + "y" * 300],
)
def test_an_argument_the_page_does_not_take_is_never_kept(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
    query: str,
) -> None:
    _published(people, world)
    for _ in range(2):
        _fresh(app).get(BOARD + query)
    assert kept.served == 0
    assert len(kept.kept) == 0


def test_each_filter_is_its_own_page(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
) -> None:
    found = _published(people, world)
    assert _titles(text_of(_fresh(app).get(BOARD + "?category=decisions"))) == []
    assert _titles(text_of(_fresh(app).get(BOARD + "?category=finance"))) == [found.title]
    assert _titles(text_of(_fresh(app).get(BOARD + "?category=decisions"))) == []
    assert kept.served == 1
    # The order of the arguments does not make another page.
    _fresh(app).get(BOARD + "?category=finance&period=2026-10")
    _fresh(app).get(BOARD + "?period=2026-10&category=finance")
    assert kept.served == 2


def test_an_escaped_argument_is_not_another_pages_key(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
) -> None:
    found = _published(people, world)
    # One argument whose value holds "&period=": the board says the category is unknown…
    odd = text_of(_fresh(app).get(BOARD + "?category=finance%26period%3D2026-10"))
    assert _titles(odd) == [found.title]  # an unknown category is dropped, with its reason
    # …and the two real arguments are another page, rendered for them.
    page = _fresh(app).get(BOARD + "?category=finance&period=2026-10")
    assert kept.served == 0
    assert text_of(page) != odd


def test_an_unknown_community_is_flasks_404_and_nothing_is_kept(
    app: Flask, world: World, kept: PublicPageCache
) -> None:
    for _ in range(2):
        assert _fresh(app).get("/c/nowhere/disclosures").status_code == 404
    assert len(kept.kept) == 0


def test_an_unreadable_state_sends_the_reader_to_flask(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
) -> None:
    found = _published(people, world)

    def broken() -> AbstractContextManager[Connection]:
        from sqlalchemy.exc import OperationalError

        raise OperationalError("SELECT 1", {}, Exception("the server went away"))

    kept.connect = broken
    response = _fresh(app).get(BOARD)
    assert response.status_code == 200
    assert _titles(text_of(response)) == [found.title]
    assert kept.served == 0


def test_workers_share_kept_pages_through_files(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = _published(people, world)
    first = _fresh(app).get(BOARD).get_data()
    assert kept.folder is not None
    files = [p for p in kept.folder.iterdir() if not p.name.startswith(".")]
    assert len(files) == 1
    # Another worker: its own memory is empty, the file answers (no rendering).
    kept.kept.clear()
    monkeypatch.setattr(disclosures, "board", _not_again)
    monkeypatch.setattr(board_cache.pages, "get", _not_again)
    assert _fresh(app).get(BOARD).get_data() == first
    assert kept.served == 1
    monkeypatch.undo()
    # A torn or foreign file is not an answer: the page is rendered and the file rewritten.
    files[0].write_bytes(b"\x00\x00\x00\x09not json!<html>")
    kept.kept.clear()
    response = _fresh(app).get(BOARD)
    assert _titles(text_of(response)) == [found.title]
    assert response.get_data() == first
    assert files[0].read_bytes().endswith(first)


def test_the_shared_folder_is_bounded(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _published(people, world)
    monkeypatch.setattr(public_cache, "MAX_FILES", 3)
    monkeypatch.setattr(public_cache, "PRUNE_EVERY", 1)
    assert kept.folder is not None
    kept.folder.mkdir(parents=True, exist_ok=True)
    for n in range(10):
        (kept.folder / f"{n:064x}").write_bytes(b"old")
    for month in range(1, 5):
        _fresh(app).get(f"{BOARD}?period=2026-{month:02d}")
    names = [p.name for p in kept.folder.iterdir() if not p.name.startswith(".")]
    assert len(names) == 3
    assert not any(re.fullmatch(r"0+[0-9]", name) for name in names)  # the oldest went first


def test_a_file_that_cannot_be_written_leaves_nothing_behind(
    app: Flask,
    world: World,
    people: dict[str, Actor],
    at_publication: None,
    kept: PublicPageCache,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full disk or a folder turned read-only: the reader still gets the page, and no
    half-written file stays in the folder."""
    found = _published(people, world)

    def refused(source: str, target: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(public_cache.os, "replace", refused)
    response = _fresh(app).get(BOARD)
    assert response.status_code == 200
    assert _titles(text_of(response)) == [found.title]
    assert kept.folder is not None
    assert list(kept.folder.iterdir()) == []


def test_a_different_build_never_serves_anothers_page(tmp_path: Path) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    page = templates / "board.html"
    page.write_text("<h1>{{ title }}</h1>")
    before = public_cache._fingerprint((templates,))
    public_cache._fingerprint.cache_clear()
    page.write_text("<h1>{{ title }}!</h1>")
    assert public_cache._fingerprint((templates,)) != before
    public_cache._fingerprint.cache_clear()


def test_a_worker_compiles_the_public_pages_when_it_boots(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consult.web.warm_up import PUBLIC_TEMPLATES, warm_up

    app.jinja_env.cache.clear()  # type: ignore[union-attr]
    warm_up(app)
    loader = app.jinja_env.loader
    assert loader is not None

    def compiled_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("read and compiled again: warm_up did not compile it")

    monkeypatch.setattr(loader, "get_source", compiled_again)
    for name in PUBLIC_TEMPLATES:
        assert app.jinja_env.get_template(name).name == name
