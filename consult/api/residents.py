"""The register: import a CSV, page and search it, read one resident, enrol residents' accounts."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from consult.api import bp
from consult.api.common import ID, Field, created, paged, paging, query_string, read_body
from consult.api.render import (
    account_json,
    community_today,
    resident_detail_json,
    resident_json,
)
from consult.registry import enrolment
from consult.registry import service as registry
from consult.web.permissions import permission

#: What a register upload may be sent as (INTERFACES.md §4: text/csv).
CSV_TYPES = frozenset({"text/csv", "application/csv"})


@bp.route("/communities/<code>/residents/import", methods=["POST"])
@permission("registry:residents:import")
def import_residents(code: str) -> Any:
    if request.mimetype not in CSV_TYPES:
        raise UnsupportedMediaType("send the register as text/csv (INTERFACES.md §4)")
    data = request.get_data(cache=False)  # over MAX_CONTENT_LENGTH: 413
    result = registry.import_residents(
        g.actor, g.community, data, current_app.extensions["consult.field_cipher"]
    )  # any bad line: 422 with details [{"line", "error"}] and nothing imported
    return jsonify(
        {
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
            "batch_id": result.batch_id,
        }
    )


@bp.route("/communities/<code>/residents", methods=["GET"])
@permission("registry:residents:read")
def list_residents(code: str) -> Any:
    page, per_page = paging()
    found = registry.search_residents(
        g.actor,
        g.community,
        query=query_string("q"),
        group=query_string("group", max_length=40),
        page=page,
        per_page=per_page,
    )
    today = community_today(g.community)
    items = [resident_json(g.community, r, today) for r in found.items]
    return paged(items, found.page, found.per_page, found.total)


@bp.route(f"/communities/<code>/residents/<{ID}:resident_id>", methods=["GET"])
@permission("registry:residents:read")
def get_resident(code: str, resident_id: int) -> Any:
    resident = registry.get_resident(g.actor, g.community, resident_id)
    return jsonify(resident_detail_json(g.community, resident, community_today(g.community)))


_NEW_ACCOUNT = {
    "email": Field(max_length=254),
    "password": Field(max_length=1024, single_line=False),
}


@bp.route(f"/communities/<code>/residents/<{ID}:resident_id>/account", methods=["POST"])
@permission("accounts:residents:verify")
def create_resident_account(code: str, resident_id: int) -> Any:
    body = read_body(_NEW_ACCOUNT)
    user = enrolment.create_resident_account(
        g.actor, g.community, resident_id, body["email"], body["password"]
    )
    return created(account_json(user))


@bp.route(f"/communities/<code>/residents/<{ID}:resident_id>/verification-codes", methods=["POST"])
@permission("accounts:residents:verify")
def issue_verification_code(code: str, resident_id: int) -> Any:
    row, secret = enrolment.issue_verification_code(
        g.actor,
        g.community,
        resident_id,
        valid_days=current_app.config["VERIFICATION_CODE_DAYS"],
    )
    return created(
        {
            "code": enrolment.format_code(secret),
            "resident_id": row.resident_id,
            "expires_at": row.expires_at.isoformat(),
        }
    )
