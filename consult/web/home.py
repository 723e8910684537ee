"""The home page: the communities, and for a signed-in user their community's dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for
from flask.blueprints import BlueprintSetupState
from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from consult import clock
from consult.accounts.policy import PUBLIC, can
from consult.actor import Role
from consult.extensions import db
from consult.registry.models import Community, Resident
from consult.registry.service import list_communities
from consult.rules.eligibility import VOTING_AGE, Registration, add_months, required_months
from consult.web.actor import request_user
from consult.web.labels import register_labels
from consult.web.permissions import permission

bp = Blueprint("home", __name__)


@bp.record_once
def _labels(state: BlueprintSetupState) -> None:
    register_labels(state.app)


@bp.app_context_processor
def _nav_community() -> dict[str, Any]:
    """The community whose pages the header links to: the one in the URL, else the user's own."""
    community = g.get("community")
    actor = g.get("actor")
    if community is None and actor is not None and actor.community_id is not None:
        try:
            community = db.session.get(Community, actor.community_id)
        except SQLAlchemyError:  # an error page after a failed transaction: no navigation
            community = None
    return {"nav_community": community}


@dataclass(frozen=True)
class Counts:
    residents: int
    households: int
    groups: int
    eligible: int


def latest_birth_date_for_age(age: int, on: date) -> date:
    """The latest birth date of someone `age` or older on `on` (rules.eligibility.age_on):
    born on 29 February counts as born on 1 March in a year without one."""
    year = on.year - age
    try:
        return date(year, on.month, on.day)
    except ValueError:  # `on` is 29 February and `year` has none
        return date(year, 2, 28)


def latest_start_for_months(months: int, on: date) -> date:
    """The latest `registered_since` with add_months(since, months) <= on (URC25-08, VC25-04)."""
    month_index = on.month - 1 - months
    year, month = on.year + month_index // 12, month_index % 12 + 1
    candidate = date(year, month, min(on.day, 28))
    # add_months clamps to the month's end, so a few later days may still qualify.
    while add_months(candidate + timedelta(days=1), months) <= on:
        candidate += timedelta(days=1)
    return candidate


def count_eligible(community: Community, on: date) -> int:
    """One COUNT query with exactly the rule of rules.eligibility.eligibility():
    18 or older on `on`, not deprived of political rights, and registered long enough."""
    kind = community.community_kind
    by_category = []
    for registration in Registration:
        months = required_months(kind, registration)
        if months == 0:
            by_category.append(Resident.registration == registration.value)
        else:
            by_category.append(
                and_(
                    Resident.registration == registration.value,
                    Resident.registered_since.is_not(None),
                    Resident.registered_since <= latest_start_for_months(months, on),
                )
            )
    return db.session.execute(
        select(func.count(Resident.id)).where(
            Resident.community_id == community.id,
            Resident.is_deprived_of_political_rights.is_(False),
            Resident.birth_date <= latest_birth_date_for_age(VOTING_AGE, on),
            or_(*by_category),
        )
    ).scalar_one()


def community_counts(community: Community, on: date) -> Counts:
    residents, households, groups = db.session.execute(
        select(
            func.count(Resident.id),
            func.count(func.distinct(Resident.household_id)),
            func.count(func.distinct(Resident.group_id)),
        ).where(Resident.community_id == community.id)
    ).one()
    return Counts(residents, households, groups, count_eligible(community, on))


@bp.route("/")
@permission(PUBLIC)
def index() -> Any:
    communities = list_communities()
    own = None
    counts = None
    user = request_user()
    if g.actor.is_authenticated and g.actor.community_id is not None:
        own = db.session.get(Community, g.actor.community_id)
        if own is not None and can(g.actor, "communities:dashboard:read", own.id):
            counts = community_counts(own, clock.today())
    needs_verification = (
        user is not None and not user.is_verified and not user.is_admin and not g.actor.roles
    )
    roles = sorted((r.value for r in g.actor.roles), key=lambda r: list(Role).index(Role(r)))
    return render_template(
        "home.html",
        communities=communities,
        own=own,
        counts=counts,
        roles=roles,
        needs_verification=needs_verification,
    )


@bp.route("/prefs", methods=["GET", "POST"])
@permission(PUBLIC)
def prefs() -> Any:
    """Language and text size: kept in the session, works without JavaScript.

    The header's form sends a GET: what it changes is how pages look to this visitor, as
    `?lang=` on any page does, so a forged request can do no harm — and a POST would need a
    CSRF token on every page, hence a session cookie for every anonymous reader, which makes
    every public page personal (consult.web.public_cache keeps only pages without one). A POST
    (older pages, scripts) is still taken, with its token checked."""
    from consult.accounts.forms import EmptyForm

    values = request.values
    if request.method == "GET" or EmptyForm().validate_on_submit():
        lang = values.get("lang")
        if lang in ("zh_Hans", "en"):
            session["lang"] = lang
        if "large_text" in values:
            session["large_text"] = values.get("large_text") == "1"
    back = values.get("next") or url_for("home.index")
    if not back.startswith("/") or back.startswith(("//", "/\\")):
        back = url_for("home.index")
    return redirect(back)
