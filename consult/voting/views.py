"""Vote pages: the resident's ballot (receipt made in the browser, shown once), the chair's
controls (create, open, close — from the console), the public result with the receipt check,
the announcement screen for projecting in the room, and the ledger download."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from markupsafe import Markup

from consult import clock
from consult.accounts.forms import EmptyForm
from consult.accounts.policy import can
from consult.crypto.receipts import format_receipt
from consult.errors import DomainError
from consult.extensions import db
from consult.meetings import candidates
from consult.meetings import service as meetings
from consult.voting import paper
from consult.voting import service as voting
from consult.voting.forms import BallotForm, NewVoteForm, ReceiptCheckForm
from consult.voting.models import DEFAULT_OPTIONS, Vote
from consult.web.actions import act
from consult.web.permissions import AUTHENTICATED, permission

bp = Blueprint("votes", __name__)


def option_label(option: str) -> str:
    """yes/no/abstain in the reader's language; any other option as written."""
    labels = {"yes": _("In favour"), "no": _("Against"), "abstain": _("Abstain")}
    return labels.get(option, option)


def ballot_label(vote: Vote, choice: str) -> str:
    """A stored choice in words: an option, or an election ballot's marks."""
    if vote.is_election:
        marks = json.loads(choice)
        return "、".join(marks) if marks else _("a blank ballot")
    return option_label(choice)


def outcome_label(outcome: str) -> str:
    labels = {
        "adopted": _("Adopted"),
        "rejected": _("Not adopted"),
        "no_quorum": _("No quorum: nothing was decided"),
    }
    return labels.get(outcome, outcome)


def _open_turnout(meeting: Any) -> dict[str, Any] | None:
    """The open vote of `meeting` and its turnout, for those who may see turnout (the console's
    live panel); None otherwise."""
    for vote in voting.votes_of_meeting(meeting):
        if vote.state == "open" and can(g.actor, "votes:turnout:read", vote.community_id):
            return {"vote": vote, **voting.turnout(g.actor, vote)}
    return None


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    # The meeting pages (a lower layer) show votes through these helpers, without importing
    # the voting package.
    return {
        "option_label": option_label,
        "ballot_label": ballot_label,
        "outcome_label": outcome_label,
        "votes_of_item": voting.votes_of_item,
        "open_turnout": _open_turnout,
        "new_vote_form": lambda: NewVoteForm(formdata=None),
        "standing_candidates": lambda item: [
            (c.resident_id, name)
            for c, name in candidates.list_candidates(g.actor, item)
            if not c.is_withdrawn
        ],
        "body_votes": lambda body: voting.votes_of_body(g.actor, body),
    }


def problem_text(exc: DomainError) -> str:
    by_code = {
        "already_voted": _("A ballot has already been cast for this voter; nothing was changed."),
        "vote_not_open": _("The vote is not open."),
        "vote_closed": _("The vote is closed."),
        "not_eligible": _(
            "You are not on this vote's roll: it holds those present when the vote opened."
        ),
        "invalid_choice": _("Choose one of the options."),
        "invalid_options": _("The options are not valid."),
        "receipt_invalid": _("The receipt is not valid: 26 letters A–Z and digits 2–7."),
        "receipt_taken": _("Please try again: your browser will make a new receipt."),
        "not_ready": _("This item cannot go to a vote yet."),
        "another_vote_open": _("Another vote of this meeting is open: close it first."),
        "vote_not_closed": _("The result is published when the vote closes."),
        "window_passed": _("The time for ballots has already passed: prepare the vote again."),
        "not_binding": _(
            "A consultation records the opinions heard; it is not put to a binding vote."
        ),
        "already_recorded": _(
            "You have already entered this ballot: the second reading must be someone else's."
        ),
        "paper_secret_only": _("Paper ballots with receipts are for secret votes."),
        "paper_unresolved": _("Some paper ballots are in dispute: settle them before closing."),
        "paper_exceeds_issued": _("More paper ballots were read than were handed out."),
        "not_disputed": _("This ballot is not in dispute."),
        "standalone_invalid": _(
            "A vote of all members takes an ordinary matter; a major matter, a consultation or "
            "an election is taken in a meeting."
        ),
        "hands_not_secret": _("A secret vote is not taken by a show of hands."),
        "exceeds_present": _("The totals exceed those on the roll (present when the vote opened)."),
        "invalid_counts": _("The totals are not valid."),
        "names_required": _("Name the scrutineers and the counters."),
        "reason_required": _("Give the reason."),
        "too_many_marks": _("Too many marks: at most one for each seat."),
        "seats_required": _("Give the number of seats to fill."),
        "not_enough_candidates": _(
            "There must be more candidates than seats (差额选举): register more candidates or "
            "fill fewer seats."
        ),
        "election_secret": _("An election is by secret ballot."),
        "not_a_candidate": _("Only standing candidates of this item can be on the ballot."),
    }
    return by_code.get(exc.code or "", exc.message)


def _vote(vote_id: int) -> Vote:
    return voting.get_vote(g.actor, vote_id)


# ---------------------------------------------------------------- the resident's ballot


@bp.route("/votes")
@permission(AUTHENTICATED)
def mine() -> Any:
    """The open votes the signed-in resident may cast (for themselves or a principal)."""
    rows = [(v, voting.my_ballots(g.actor, v)) for v in voting.open_votes_for(g.actor)]
    return render_template("votes/mine.html", rows=rows)


@bp.route("/votes/<int:vote_id>/ballot", methods=["GET", "POST"])
@permission("votes:ballot:cast")
def ballot(vote_id: int) -> Any:
    vote = _vote(vote_id)
    form = BallotForm()
    form.choice.choices = [(o, option_label(o)) for o in vote.options]
    if vote.is_election:
        # An election ballot has marks (checkboxes), not one choice: the service checks them.
        form.choice.validators = []
        form.choice.flags.required = False
    if request.method == "POST":
        ok = form.validate_on_submit() if not vote.is_election else _csrf_ok(form)
        if not ok:
            flash(_("Choose one of the options."), "error")
            return redirect(url_for("votes.ballot", vote_id=vote.id), 303)
        principal = form.on_behalf_of.data or None
        marks = request.form.getlist("marks") if vote.is_election else None
        try:
            cast = voting.cast_ballot(
                g.actor,
                vote,
                choice=None if vote.is_election else form.choice.data or "",
                marks=marks,
                receipt=form.receipt.data or None,
                on_behalf_of=principal,
            )
        except DomainError as exc:
            db.session.rollback()
            flash(problem_text(exc), "error")
            return redirect(url_for("votes.ballot", vote_id=vote_id), 303)
        shown = (
            "、".join(marks)
            if marks
            else _("a blank ballot")
            if vote.is_election
            else option_label(form.choice.data or "")
        )
        return _receipt_page(vote, cast.receipt, shown, principal)
    return render_template(
        "votes/ballot.html", vote=vote, ballots=voting.my_ballots(g.actor, vote), form=form
    )


def _csrf_ok(form: BallotForm) -> bool:
    """The form's CSRF token alone (an election's marks are read from the request)."""
    return bool(form.csrf_token.validate(form))


def _receipt_page(vote: Vote, receipt: str, choice: str, principal: int | None) -> Response:
    """Shown once, never cached: the receipt as text in groups and as a QR code."""
    shown = format_receipt(receipt)
    svg = segno.make(shown, error="m").svg_inline(scale=6, border=2, dark="#000", light="#fff")
    response = Response(
        render_template(
            "votes/receipt.html",
            vote=vote,
            receipt=shown,
            qr=Markup(svg),  # noqa: S704 - segno's SVG of a base32 string we made or checked
            choice=choice,
            for_principal=principal is not None,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------- the chair's controls


@bp.route("/agenda-items/<int:item_id>/votes", methods=["POST"])
@permission("votes:vote:manage")
def create(item_id: int) -> Any:
    item = meetings.get_agenda_item(g.actor, item_id)
    form = NewVoteForm()
    back = url_for("meetings.console", meeting_id=item.meeting_id) + "#vote"
    if not form.validate_on_submit():
        flash(_("The vote could not be created."), "error")
        return redirect(back, 303)
    lines = [o.strip() for o in (form.options.data or "").splitlines() if o.strip()]
    election = item.decision_type == "election"
    seats = request.form.get("seats", "")
    picked = [int(c) for c in request.form.getlist("candidates") if c.isdecimal()]
    return _act(
        lambda: voting.create_vote(
            g.actor,
            item,
            secret=bool(form.secret.data) or election,
            options=None if election else lines or None,
            seats=(int(seats) if seats.isdecimal() else 0) if election else None,
            supplementary=election and request.form.get("supplementary") == "y",
            candidates=picked or None if election else None,
        ),
        back,
        _("The vote is ready. Open it when the meeting is ready to vote."),
    )


def _back(vote: Vote) -> str:
    """Where the chair's buttons return: the console, or a standalone vote's own page."""
    if vote.meeting_id is None:
        return url_for("votes.manage", vote_id=vote.id)
    return url_for("meetings.console", meeting_id=vote.meeting_id) + "#vote"


def _vote_step(vote_id: int, action: Any, done: str, *, back: str | None = None) -> Any:
    """A button about a vote: run `action(vote)`, flash what happened, go back (to the console
    or the vote's page, unless `back` says where)."""
    vote = _vote(vote_id)
    back = back or _back(vote)
    if not EmptyForm().validate_on_submit():
        return redirect(back, 303)
    return _act(lambda: action(vote), back, done)


def _act(action: Any, back: str, done: str) -> Any:
    return act(action, back=back, done=done, problem=problem_text)


@bp.route("/votes/<int:vote_id>/open", methods=["POST"])
@permission("votes:vote:manage")
def open_(vote_id: int) -> Any:
    """Open the vote; an optional time limit (minutes, or days for a vote of all members)
    counts from now."""
    minutes = request.form.get("minutes", "")
    days = request.form.get("days", "")
    limit = None
    if minutes.isdecimal() and 0 < int(minutes) <= 60 * 24 * 14:
        limit = timedelta(minutes=int(minutes))
    elif days.isdecimal() and 0 < int(days) <= 60:
        limit = timedelta(days=int(days))
    return _vote_step(
        vote_id,
        lambda v: voting.open_vote(g.actor, v, closes_at=clock.now() + limit if limit else None),
        _("The vote is open: the roll is frozen now."),
    )


@bp.route("/votes/<int:vote_id>/close", methods=["POST"])
@permission("votes:vote:manage")
def close(vote_id: int) -> Any:
    cipher = current_app.extensions["consult.field_cipher"]
    return _vote_step(
        vote_id,
        lambda v: voting.close_vote(g.actor, v, cipher),
        _("The vote is closed, counted and its ledger signed."),
    )


# ---------------------------------------------------------------- public: result, receipts


@bp.route("/votes/<int:vote_id>", methods=["GET", "POST"])
@permission("votes:result:read")
def public(vote_id: int) -> Any:
    """The result in words, the counts, the ledger's root, and a receipt check for anyone."""
    vote = _vote(vote_id)
    form = ReceiptCheckForm()
    checked = None
    status = 200
    if request.method == "POST" and vote.ledger is not None:
        if form.validate_on_submit():
            try:
                checked = voting.find_receipt(vote, form.receipt.data or "")
            except DomainError as exc:
                db.session.rollback()
                form.receipt.errors = [problem_text(exc)]
                status = 422
        else:
            status = 422
    return (
        render_template(
            "votes/public.html",
            vote=vote,
            result=vote.result_data,
            ledger=voting.ledger_facts(vote) if vote.ledger else None,
            form=form,
            checked=checked,
            default_options=list(DEFAULT_OPTIONS),
        ),
        status,
    )


@bp.route("/votes/<int:vote_id>/announce")
@permission("votes:result:read")
def announce(vote_id: int) -> Any:
    """The result, large, for the projector in the room."""
    vote = _vote(vote_id)
    show_turnout = can(g.actor, "votes:turnout:read", vote.community_id)
    return render_template(
        "votes/announce.html",
        vote=vote,
        result=vote.result_data,
        turnout=voting.turnout(g.actor, vote) if show_turnout else None,
    )


@bp.route("/votes/<int:vote_id>/ledger.json")
@permission("votes:ledger:read")
def ledger(vote_id: int) -> Any:
    """The signed ledger to download and check offline (`consult ledger verify`)."""
    text = voting.ledger_text(g.actor, _vote(vote_id))
    response = Response(text, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="vote-{vote_id}-ledger.json"'
    return response


# ---------------------------------------------------------------- paper ballots and hands


@bp.route("/votes/<int:vote_id>/paper")
@permission("votes:paper:enter")
def paper_page(vote_id: int) -> Any:
    """Paper ballots: hand them out at the desk, enter each twice, settle the disputes."""
    vote = _vote(vote_id)
    query = (request.args.get("q") or "").strip()[:100]
    return render_template(
        "votes/paper.html",
        vote=vote,
        query=query,
        # A long roll (a vote of all households) is searched, as the sign-in desk is.
        sheet=paper.roll_sheet(g.actor, vote, query) if query or (vote.eligible or 0) <= 50 else [],
        standing=paper.paper_standing(vote),
        form=EmptyForm(formdata=None),
    )


def _paper_step(vote_id: int, action: Any, done: str) -> Any:
    back = url_for("votes.paper_page", vote_id=vote_id, q=request.form.get("q") or None)
    return _vote_step(vote_id, action, done, back=back)


def _form_int(name: str) -> int:
    value = request.form.get(name, "")
    return int(value) if value.isdecimal() else 0


@bp.route("/votes/<int:vote_id>/paper/issue", methods=["POST"])
@permission("votes:paper:enter")
def paper_issue(vote_id: int) -> Any:
    return _paper_step(
        vote_id,
        lambda v: paper.issue_paper_ballot(g.actor, v, resident_id=_form_int("resident_id")),
        _("A paper ballot was handed out; this voter can no longer vote online."),
    )


@bp.route("/votes/<int:vote_id>/paper/enter", methods=["POST"])
@permission("votes:paper:enter")
def paper_enter(vote_id: int) -> Any:
    return _paper_step(
        vote_id,
        lambda v: paper.enter_paper_ballot(
            g.actor,
            v,
            receipt=request.form.get("receipt", ""),
            choice=None if v.is_election else request.form.get("choice", ""),
            marks=request.form.getlist("marks") if v.is_election else None,
        ),
        _("Your reading of this ballot is recorded."),
    )


@bp.route("/votes/<int:vote_id>/paper/resolve", methods=["POST"])
@permission("votes:vote:manage")
def paper_resolve(vote_id: int) -> Any:
    choice = request.form.get("choice") or None
    return _paper_step(
        vote_id,
        lambda v: paper.resolve_paper_ballot(
            g.actor,
            v,
            receipt=request.form.get("receipt", ""),
            choice=None if choice == "void" else choice,
            marks=request.form.getlist("marks") if v.is_election else None,
            void=choice == "void" or request.form.get("void") == "y",
            reason=request.form.get("reason", ""),
        ),
        _("The ballot is settled, with its reason."),
    )


@bp.route("/votes/<int:vote_id>/hands", methods=["POST"])
@permission("votes:paper:enter")
def hands(vote_id: int) -> Any:
    vote = _vote(vote_id)
    back = url_for("meetings.console", meeting_id=vote.meeting_id) + "#vote"
    if not EmptyForm().validate_on_submit():
        return redirect(back, 303)
    counts = {o: _form_int(f"count-{n}") for n, o in enumerate(vote.options)}

    def names(field: str) -> list[str]:
        return [n for n in re.split(r"[,，、\s]+", request.form.get(field, "")) if n]

    return _act(
        lambda: paper.record_hands(
            g.actor,
            vote,
            counts=counts,
            scrutineers=names("scrutineers"),
            counters=names("counters"),
            reason=request.form.get("reason") or None,
        ),
        back,
        _("The show of hands is recorded with its scrutineers."),
    )


# ---------------------------------------------------------------- standalone votes


@bp.route("/bodies/<int:body_id>/votes", methods=["POST"])
@permission("votes:vote:manage")
def create_standalone(body_id: int) -> Any:
    body = meetings.get_body(g.community, body_id)
    form = NewVoteForm()
    back = url_for("bodies.body", body_id=body.id) + "#votes"
    title = (request.form.get("title") or "").strip()
    if not form.validate_on_submit() or not title:
        flash(_("Give what is decided."), "error")
        return redirect(back, 303)
    lines = [o.strip() for o in (form.options.data or "").splitlines() if o.strip()]
    try:
        vote = voting.create_standalone_vote(
            g.actor,
            body,
            title=title,
            secret=bool(form.secret.data),
            options=lines or None,
        )
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(_("The vote is ready. Open it when the members may vote."), "success")
    return redirect(url_for("votes.manage", vote_id=vote.id), 303)


@bp.route("/votes/<int:vote_id>/manage")
@permission("meetings:meeting:read")
def manage(vote_id: int) -> Any:
    """A standalone vote's page for the committee: open, turnout, paper ballots, close."""
    vote = _vote(vote_id)
    if vote.meeting_id is not None:
        return redirect(_back(vote), 303)
    show = vote.state == "open" and can(g.actor, "votes:turnout:read", vote.community_id)
    return render_template(
        "votes/manage.html",
        vote=vote,
        turnout=voting.turnout(g.actor, vote) if show else None,
        form=EmptyForm(formdata=None),
    )
