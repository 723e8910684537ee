"""consult.db.insert_rows: COPY on PostgreSQL, executemany elsewhere — the same rows either way."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, cast

import pytest
from sqlalchemy import Table, select

from consult.db import insert_rows
from consult.registry.models import Resident
from tests.factories import make_community, make_resident

pytestmark = pytest.mark.integration


def test_rows_arrive_with_their_types_and_awkward_text_intact(db_session: Any) -> None:
    community = make_community("copy", name="复制社区")
    template = make_resident(community, name="模板", household="H1")
    db_session.flush()
    at = datetime(2026, 3, 1, 8, 30, tzinfo=timezone(timedelta(hours=8)))
    awkward = 'tab\there, back\\slash, "quotes", comma, 换行\nline, 中文'
    base = {
        "community_id": community.id,
        "household_id": template.household_id,
        "group_id": template.group_id,
        "gender": "F",
        "registration": "household_register",
        "id_number_index": None,
        "phone_encrypted": None,
        "id_number_encrypted": None,
        "id_number_masked": None,
        "is_deprived_of_political_rights": False,
        "version": 1,
        "created_at": at,
        "updated_at": at,
    }
    rows = [
        {**base, "name": awkward, "birth_date": date(1950, 1, 2), "registered_since": None},
        {
            **base,
            "name": "李四",
            "birth_date": date(2000, 12, 31),
            "registered_since": date(2025, 3, 1),
            "is_deprived_of_political_rights": True,
            "phone_encrypted": "v1:abc\\def",
        },
    ]
    insert_rows(db_session, cast(Table, Resident.__table__), rows)
    found = {
        r.name: r
        for r in db_session.execute(
            select(Resident).where(
                Resident.community_id == community.id, Resident.id != template.id
            )
        ).scalars()
    }
    assert set(found) == {awkward, "李四"}
    first, second = found[awkward], found["李四"]
    assert first.birth_date == date(1950, 1, 2)
    assert first.registered_since is None
    assert first.created_at == at.astimezone(UTC)
    assert first.created_at.tzinfo is not None
    assert first.is_deprived_of_political_rights is False
    assert second.is_deprived_of_political_rights is True
    assert second.registered_since == date(2025, 3, 1)
    assert second.phone_encrypted == "v1:abc\\def"
