"""The guards every disclosure change shares (kept apart so the ledger and the queries use them
without importing the workflow)."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select

from consult import clock
from consult.errors import Conflict
from consult.extensions import db
from consult.registry.models import Community
from consult.rules import disclosure as rules

from .models import EDITABLE, Disclosure, DisclosureQuery, LedgerEntry

#: Categories whose disclosure carries a ledger (finance, and government funds and donations).
LEDGER_CATEGORIES = (rules.Category.FINANCE, rules.Category.GOVERNMENT_FUNDS)


def require_editable(disclosure: Disclosure) -> None:
    if disclosure.disclosure_state not in EDITABLE:
        raise Conflict(
            "this disclosure can no longer be changed: "
            + (
                "a correction is a new version"
                if disclosure.is_public
                else "it is under review or being signed"
            ),
            details={"state": disclosure.state},
            code="not_editable",
        )


def lock(disclosure: Disclosure) -> Disclosure:
    """The row again, locked until commit (PostgreSQL): two staff cannot submit, sign or edit
    the same version at once."""
    db.session.execute(
        select(Disclosure.id).where(Disclosure.id == disclosure.id).with_for_update()
    ).all()
    db.session.refresh(disclosure)
    return disclosure


def has_ledger(disclosure: Disclosure) -> bool:
    return disclosure.category in {c.value for c in LEDGER_CATEGORIES}


def local_today(community: Community) -> date:
    """Today where the community is: due dates and the board are counted in its days."""
    return clock.now().astimezone(ZoneInfo(community.timezone)).date()


# The permission gate finds the community of a URL's object with these (consult.web.permissions).
COMMUNITY_ID_OF_DISCLOSURE = (
    select(Disclosure.community_id).where(Disclosure.id == bindparam("object_id")).scalar_subquery()
)
COMMUNITY_ID_OF_QUERY = (
    select(DisclosureQuery.community_id)
    .where(DisclosureQuery.id == bindparam("object_id"))
    .scalar_subquery()
)
COMMUNITY_ID_OF_LEDGER_ENTRY = (
    select(Disclosure.community_id)
    .join(LedgerEntry, LedgerEntry.disclosure_id == Disclosure.id)
    .where(LedgerEntry.id == bindparam("object_id"))
    .scalar_subquery()
)
