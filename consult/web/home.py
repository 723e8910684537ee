"""The home page: the communities, and for a signed-in user their community's dashboard."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, redirect, render_template, request, session, url_for

from consult.accounts.policy import PUBLIC
from consult.extensions import db
from consult.registry.models import Community
from consult.registry.service import list_communities
from consult.web.permissions import permission

bp = Blueprint("home", __name__)


@bp.route("/")
@permission(PUBLIC)
def index() -> Any:
    communities = list_communities()
    own = None
    if g.actor.is_authenticated and g.actor.community_id is not None:
        own = db.session.get(Community, g.actor.community_id)
    return render_template("home.html", communities=communities, own=own)


@bp.route("/prefs", methods=["POST"])
@permission(PUBLIC)
def prefs() -> Any:
    """Language and text size: kept in the session, works without JavaScript."""
    from consult.accounts.forms import EmptyForm

    form = EmptyForm()
    if form.validate_on_submit():
        lang = request.form.get("lang")
        if lang in ("zh_Hans", "en"):
            session["lang"] = lang
        if "large_text" in request.form:
            session["large_text"] = request.form.get("large_text") == "1"
    back = request.form.get("next") or url_for("home.index")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("home.index")
    return redirect(back)
