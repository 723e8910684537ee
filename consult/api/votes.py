"""Votes (INTERFACES.md §3): create on an agenda item, open, cast, close; the result, the
signed ledger (§5), turnout for the committee, and a receipt check for anyone."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Response, current_app, g, jsonify

from consult.api import bp
from consult.api.common import ID, Field, created, read_body
from consult.crypto.receipts import format_receipt
from consult.errors import Invalid
from consult.meetings import service as meetings
from consult.voting import paper
from consult.voting import service as voting
from consult.web.permissions import permission

_NEW_VOTE = {
    "secret": Field(kind=bool, required=False),
    "options": Field(kind=list, required=False),
    "opens_at": Field(required=False, max_length=40),
    "closes_at": Field(required=False, max_length=40),
    "seats": Field(kind=int, required=False),
    "supplementary": Field(kind=bool, required=False),
    "candidates": Field(kind=list, required=False),
}
_BALLOT = {
    "choice": Field(required=False, max_length=200),
    "marks": Field(kind=list, required=False),
    "receipt": Field(required=False, max_length=100),
    "on_behalf_of": Field(kind=int, required=False),
}


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise Invalid(
            "the time window is not valid",
            details={name: "an ISO 8601 date and time with its zone, e.g. 2026-12-20T19:30+08:00"},
        )
    return moment


@bp.route(f"/agenda-items/<{ID}:item_id>/votes", methods=["POST"])
@permission("votes:vote:manage")
def create_vote(item_id: int) -> Any:
    body = read_body(_NEW_VOTE)
    item = meetings.get_agenda_item(g.actor, item_id)
    vote = voting.create_vote(
        g.actor,
        item,
        secret=bool(body["secret"]),
        options=body["options"],
        opens_at=_moment(body["opens_at"], "opens_at"),
        closes_at=_moment(body["closes_at"], "closes_at"),
        seats=body["seats"],
        supplementary=bool(body["supplementary"]),
        candidates=_ids(body["candidates"], "candidates"),
    )
    return created(voting.vote_json(vote))


def _ids(values: list[Any] | None, name: str) -> list[int] | None:
    if values is None:
        return None
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise Invalid("the request is not valid", details={name: "a list of resident ids"})
    return [int(v) for v in values]


def _marks(values: list[Any] | None) -> list[str] | None:
    if values is None:
        return None
    if not all(isinstance(v, str) for v in values):
        raise Invalid("the request is not valid", details={"marks": "a list of candidates' names"})
    return [str(v) for v in values]


@bp.route(f"/agenda-items/<{ID}:item_id>/votes", methods=["GET"])
@permission("meetings:public:read")
def list_votes(item_id: int) -> Any:
    item = meetings.get_agenda_item(g.actor, item_id)
    return jsonify({"items": [voting.vote_json(v) for v in voting.votes_of_item(item)]})


@bp.route(f"/votes/<{ID}:vote_id>", methods=["GET"])
@permission("meetings:public:read")
def get_vote(vote_id: int) -> Any:
    return jsonify(voting.vote_json(voting.get_vote(g.actor, vote_id)))


@bp.route(f"/votes/<{ID}:vote_id>/open", methods=["POST"])
@permission("votes:vote:manage")
def open_vote(vote_id: int) -> Any:
    vote = voting.open_vote(g.actor, voting.get_vote(g.actor, vote_id))
    return jsonify(voting.vote_json(vote))


@bp.route(f"/votes/<{ID}:vote_id>/close", methods=["POST"])
@permission("votes:vote:manage")
def close_vote(vote_id: int) -> Any:
    vote = voting.close_vote(
        g.actor,
        voting.get_vote(g.actor, vote_id),
        current_app.extensions["consult.field_cipher"],
    )
    return jsonify({**voting.vote_json(vote), "result": voting.result_json(vote)})


@bp.route(f"/votes/<{ID}:vote_id>/ballots", methods=["POST"])
@permission("votes:ballot:cast")
def cast_ballot(vote_id: int) -> Any:
    body = read_body(_BALLOT)
    cast = voting.cast_ballot(
        g.actor,
        vote_id,  # read once, locked, by the service
        choice=body["choice"],
        marks=_marks(body["marks"]),
        receipt=body["receipt"],
        on_behalf_of=body["on_behalf_of"],
    )
    return created(
        {
            "receipt": cast.receipt,
            "receipt_display": format_receipt(cast.receipt),
            "vote_id": cast.vote_id,
            "on_behalf_of": cast.on_behalf_of,
        }
    )


@bp.route(f"/votes/<{ID}:vote_id>/turnout", methods=["GET"])
@permission("votes:turnout:read")
def turnout(vote_id: int) -> Any:
    vote = voting.get_vote(g.actor, vote_id)
    return jsonify({"vote_id": vote.id, "state": vote.state, **voting.turnout(g.actor, vote)})


@bp.route(f"/votes/<{ID}:vote_id>/result", methods=["GET"])
@permission("votes:result:read")
def result(vote_id: int) -> Any:
    return jsonify(voting.result_json(voting.get_vote(g.actor, vote_id)))


@bp.route(f"/votes/<{ID}:vote_id>/ledger", methods=["GET"])
@permission("votes:ledger:read")
def ledger(vote_id: int) -> Any:
    text = voting.ledger_text(g.actor, voting.get_vote(g.actor, vote_id))
    return Response(text, mimetype="application/json")


@bp.route(f"/votes/<{ID}:vote_id>/receipt-check", methods=["POST"])
@permission("votes:ledger:read")
def receipt_check(vote_id: int) -> Any:
    """A receipt is sent in the body, not the URL, so it stays out of access logs."""
    body = read_body({"receipt": Field(max_length=100)})
    return jsonify(voting.find_receipt(voting.get_vote(g.actor, vote_id), body["receipt"]))


# ---------------------------------------------------------------- paper ballots, show of hands


@bp.route(f"/votes/<{ID}:vote_id>/paper-ballots/issue", methods=["POST"])
@permission("votes:paper:enter")
def issue_paper_ballot(vote_id: int) -> Any:
    """The desk hands a voter a paper ballot: they are marked as having voted, on paper."""
    body = read_body({"resident_id": Field(kind=int)})
    vote = voting.get_vote(g.actor, vote_id)
    voter_key = paper.issue_paper_ballot(g.actor, vote, resident_id=body["resident_id"])
    return created({"vote_id": vote.id, "resident_id": body["resident_id"], "voter_key": voter_key})


@bp.route(f"/votes/<{ID}:vote_id>/paper-ballots", methods=["POST"])
@permission("votes:paper:enter")
def enter_paper_ballot(vote_id: int) -> Any:
    """One staff member's reading of one paper ballot (the receipt on its stub, the choice)."""
    body = read_body(
        {
            "receipt": Field(max_length=100),
            "choice": Field(required=False, max_length=200),
            "marks": Field(kind=list, required=False),
        }
    )
    vote = voting.get_vote(g.actor, vote_id)
    paper.enter_paper_ballot(
        g.actor, vote, receipt=body["receipt"], choice=body["choice"], marks=_marks(body["marks"])
    )
    return created(paper.paper_standing(vote).as_dict())


@bp.route(f"/votes/<{ID}:vote_id>/paper-ballots", methods=["GET"])
@permission("votes:paper:enter")
def paper_ballots(vote_id: int) -> Any:
    """Where the double entry stands: counted, agreed, resolved, and the disputes."""
    return jsonify(paper.paper_standing(voting.get_vote(g.actor, vote_id)).as_dict())


@bp.route(f"/votes/<{ID}:vote_id>/paper-ballots/resolve", methods=["POST"])
@permission("votes:vote:manage")
def resolve_paper_ballot(vote_id: int) -> Any:
    body = read_body(
        {
            "receipt": Field(max_length=100),
            "choice": Field(required=False, max_length=200),
            "marks": Field(kind=list, required=False),
            "void": Field(kind=bool, required=False),
            "reason": Field(max_length=2000, single_line=False),
        }
    )
    vote = voting.get_vote(g.actor, vote_id)
    paper.resolve_paper_ballot(
        g.actor,
        vote,
        receipt=body["receipt"],
        choice=body["choice"],
        marks=_marks(body["marks"]),
        void=bool(body["void"]),
        reason=body["reason"],
    )
    return jsonify(paper.paper_standing(vote).as_dict())


@bp.route(f"/votes/<{ID}:vote_id>/hands", methods=["POST"])
@permission("votes:paper:enter")
def record_hands(vote_id: int) -> Any:
    body = read_body(
        {
            "counts": Field(kind=dict, max_length=None),
            "scrutineers": Field(kind=list),
            "counters": Field(kind=list),
            "reason": Field(required=False, max_length=2000, single_line=False),
        }
    )
    vote = voting.get_vote(g.actor, vote_id)
    row = paper.record_hands(
        g.actor,
        vote,
        counts=body["counts"],
        scrutineers=body["scrutineers"],
        counters=body["counters"],
        reason=body["reason"],
    )
    return created(
        {
            "id": row.id,
            "vote_id": vote.id,
            "counts": row.counts,
            "replaces": row.previous_id,
        }
    )


# ---------------------------------------------------------------- standalone votes


@bp.route(f"/bodies/<{ID}:body_id>/votes", methods=["POST"])
@permission("votes:vote:manage")
def create_standalone_vote(body_id: int) -> Any:
    """A vote of all the body's members outside a meeting (online and on paper)."""
    body = read_body(
        {
            "title": Field(max_length=200),
            "decision_type": Field(required=False, max_length=40),
            **_NEW_VOTE,
        }
    )
    given = [name for name in ("seats", "supplementary", "candidates") if body[name] is not None]
    if given:
        raise Invalid(
            "seats and candidates belong to an election, which is held in a meeting",
            details=dict.fromkeys(given, "only for an election item"),
        )
    vote = voting.create_standalone_vote(
        g.actor,
        meetings.get_body(g.community, body_id),
        title=body["title"],
        decision_type=body["decision_type"] or "ordinary",
        secret=bool(body["secret"]),
        options=body["options"],
        opens_at=_moment(body["opens_at"], "opens_at"),
        closes_at=_moment(body["closes_at"], "closes_at"),
    )
    return created(voting.vote_json(vote))


@bp.route(f"/bodies/<{ID}:body_id>/votes", methods=["GET"])
@permission("meetings:public:read")
def list_standalone_votes(body_id: int) -> Any:
    found = voting.votes_of_body(g.actor, meetings.get_body(g.community, body_id))
    return jsonify({"items": [voting.vote_json(v) for v in found]})
