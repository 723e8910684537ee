"""Meeting pages: staff run meetings (list, create, notice, open, adjourn, the Party-review
gate), the sign-in desk, the chair's console, the QR check-in, and the public notice board
with its iCal events. Each route parses, calls the service, and renders or redirects."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from consult import clock
from consult.accounts.forms import EmptyForm
from consult.errors import DomainError, Invalid, NotFound
from consult.extensions import db
from consult.meetings import attachments, candidates, checkin, ical, service
from consult.meetings.candidate_models import Nomination
from consult.meetings.forms import (
    AdvanceForm,
    AttachmentForm,
    BodyForm,
    CandidateForm,
    CheckInForm,
    CorrectionForm,
    DeskForm,
    MeetingForm,
    PartyReviewForm,
    UrgentItemForm,
    WithdrawAttachmentForm,
    WithdrawCandidateForm,
)
from consult.meetings.models import Meeting, MeetingState
from consult.registry.models import Household, Resident
from consult.registry.service import groups_of
from consult.rules.model import DECISION_NAMES, BodyKind, DecisionType, GateKind, Mode
from consult.web.actions import act
from consult.web.downloads import attachment_response
from consult.web.permissions import permission

bp = Blueprint("meetings", __name__)


def _locale() -> str:
    return "zh" if str(get_locale()).startswith("zh") else "en"


def _zone() -> ZoneInfo:
    return ZoneInfo(g.community.timezone)


# ---------------------------------------------------------------- labels


def state_label(state: str) -> str:
    return {
        "draft": _("Draft"),
        "noticed": _("Noticed"),
        "in_session": _("In session"),
        "adjourned": _("Adjourned"),
    }.get(state, state)


def body_kind_label(kind: str, community_kind: str = "urban") -> str:
    village = community_kind == "village"
    labels = {
        "residents_meeting": _("Villagers' meeting") if village else _("Residents' meeting"),
        "representative_council": (
            _("Villagers' representative meeting")
            if village
            else _("Residents' representative meeting")
        ),
        "group_meeting": _("Villagers' group meeting"),
        "committee": _("Villagers' committee") if village else _("Residents' committee"),
        "supervisory_council": _("Supervisory committee"),
        "members_meeting": _("Members' meeting of the collective"),
    }
    return labels.get(kind, kind)


def mode_label(mode: str | None) -> str:
    return {
        "all_adults": _("All adult residents"),
        "households": _("One representative per household"),
        "group_representatives": _("Group representatives"),
    }.get(mode or "", "")


def decision_label(decision_type: str) -> str:
    zh, en = DECISION_NAMES[DecisionType(decision_type)]
    return zh if _locale() == "zh" else en


def problem_text(exc: DomainError) -> str:
    """A service refusal in the words the desk and the console show."""
    by_code = {
        "not_a_member": _("This person is not a member of this meeting."),
        "already_signed_in": _("This person is already signed in; nothing was changed."),
        "household_represented": _(
            "Someone of this household already attends for it (one person per household)."
        ),
        "proxy_limit": _("This holder already carries the most proxies the law allows."),
        "holder_not_present": _(
            "Sign the proxy holder in first: a proxy is carried by someone present."
        ),
        "proxy_household": _("Here a proxy may be held only by a member of the same household."),
        "proxy_not_allowed": _("This meeting takes no proxies: its members attend in person."),
        "proxy_candidate": _(
            "A candidate in this meeting's election may not hold proxies (URC25-14, VC25-09)."
        ),
        "candidate_holds_proxies": _(
            "This person holds proxies at this meeting, and a candidate may not "
            "(URC25-14, VC25-09)."
        ),
        "not_an_election": _("Candidates stand only in an election item."),
        "name_ambiguous": _("More than one resident has this name: give the household too."),
        "name_unknown": _("No resident of this community has this name (and household)."),
        "absent": _("This person was not signed in."),
        "already_recorded": _("This is already recorded; nothing was changed."),
        "wrong_state": _("This cannot be done in the meeting's present state."),
        "adjourned": _("The meeting is adjourned: its record is closed."),
        "too_early": _("The meeting can be opened from 60 minutes before it starts."),
        "too_late": _("The meeting has already started; a notice must come before it."),
        "notice_period": _(
            "The meeting starts before the statutory notice period ends. Record a reason for "
            "short notice when creating the meeting, or choose a later date."
        ),
        "agenda_frozen": _("The agenda is frozen at notice."),
        "vote_still_open": _("A vote of this meeting is still open: close it before adjourning."),
        "file_type": _("Only PDF, PNG and JPEG files can be attached (judged by the content)."),
        "file_too_large": _("The file is too large."),
        "file_empty": _("The file is empty."),
        "no_review_gate": _("This item needs no Party-organization review."),
        "unchanged": _("Nothing changed."),
        "token_forged": _(
            "This check-in code is not valid. Scan the code shown in the room again."
        ),
        "token_expired": _(
            "This check-in code has expired. Scan the code shown in the room again."
        ),
    }
    if exc.code in by_code:
        return by_code[exc.code]
    if exc.message == "a notice needs an agenda":
        return _("A notice needs an agenda: add at least one item.")
    if exc.message == "only someone present can leave early":
        return _("Only someone present can leave early.")
    if isinstance(exc, Invalid):
        return _("Something in the input is not right.")
    return _("This cannot be done now.")


@bp.app_context_processor
def _labels() -> dict[str, Any]:
    return {
        "state_label": state_label,
        "body_kind_label": body_kind_label,
        "mode_label": mode_label,
        "decision_label": decision_label,
        "nomination_label": nomination_label,
        "voter_roll_standing": candidates.voter_roll_standing,
        "file_size": file_size,
    }


def file_size(size: int) -> str:
    """1 234 567 bytes -> "1.2 MB" (KB and MB of 1024)."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    return f"{max(1, round(size / 1024))} KB"


# ---------------------------------------------------------------- what pages show of a meeting


def _standing(meeting: Meeting) -> dict[str, Any]:
    """The quorum banner and the attendance counts, from one reading of who is present."""
    now = service.presence(meeting)
    return {
        "quorum": service.quorum(meeting, now=now).as_dict(_locale()),
        "counts": service.attendance_counts(meeting, now),
    }


def _agenda_rows(meeting: Meeting) -> list[dict[str, Any]]:
    locale = _locale()
    rows = []
    for item in meeting.agenda:
        rule = service.decision_rule(meeting, item.decision_type)
        gate = rule.gate(GateKind.PARTY_REVIEW)
        rows.append(
            {
                "item": item,
                "rule": rule,
                "quorum": rule.quorum_words(locale, meeting.body.body_mode),
                "threshold": rule.threshold_words(locale),
                "citations": [(c.rule_id, c.text(locale)) for c in rule.citations],
                "gate": (gate.citation.rule_id, gate.citation.text(locale)) if gate else None,
                "vote": service.can_vote(item),
            }
        )
    return rows


def _notice_rule(meeting: Meeting) -> tuple[int, str, str] | None:
    notice = service.longest_notice(
        service.meeting_rules(meeting), meeting.body, (i.decision_type for i in meeting.agenda)
    )
    if notice is None:
        return None
    citation = notice.citation
    return (
        notice.days,
        citation.rule_id if citation else "",
        citation.text(_locale()) if citation else "",
    )


def _warnings(meeting: Meeting) -> list[str]:
    words: list[str] = []
    detail = service.body_detail(g.actor, meeting.body) if meeting.body.has_named_members else {}
    for w in detail.get("warnings", []):
        text = w["message_zh"] if _locale() == "zh" else w["message"]
        words.append(f"{text}（{w['rule']['id']}）")
    if meeting.meeting_state is MeetingState.DRAFT:
        check = service.notice_check(meeting, g.community, clock.now())
        if check.is_short and not meeting.short_notice_reason:
            words.append(
                _(
                    "Noticed today, this meeting would start before the %(days)s days' notice "
                    "ends (earliest %(date)s). Choose a later date or record a reason for short "
                    "notice.",
                    days=check.days_required,
                    date=check.earliest_meeting_on.isoformat() if check.earliest_meeting_on else "",
                )
            )
    if meeting.short_notice_reason:
        words.append(
            _("Short notice, for this reason: %(reason)s", reason=meeting.short_notice_reason)
        )
    return words


# ---------------------------------------------------------------- staff: list, bodies, create


@bp.route("/c/<code>/meetings")
@permission("meetings:meeting:read")
def meetings(code: str) -> Any:
    return render_template(
        "meetings/list.html",
        upcoming=service.list_meetings(g.actor, g.community, public=False, when="upcoming"),
        past=service.list_meetings(g.actor, g.community, public=False, when="past"),
        bodies=service.list_bodies(g.community),
    )


def _body_choices() -> list[tuple[str, str]]:
    """Every kind of body the rule sets provide for this community (village group meetings only
    in a village)."""
    kinds = service.body_kinds(g.community)
    return [(k.value, body_kind_label(k.value, g.community.kind)) for k in kinds]


def _body_form() -> BodyForm:
    form = BodyForm()
    form.kind.choices = _body_choices()
    form.mode.choices = [(m.value, mode_label(m.value)) for m in (Mode.ALL_ADULTS, Mode.HOUSEHOLDS)]
    groups = groups_of(g.community)
    form.group.choices = [("", "—")] + [(grp.code, grp.name or grp.code) for grp in groups]
    return form


@bp.route("/c/<code>/bodies/new", methods=["GET", "POST"])
@permission("meetings:bodies:create")
def new_body(code: str) -> Any:
    form = _body_form()
    has_groups = BodyKind.GROUP_MEETING in service.body_kinds(g.community)
    if form.validate_on_submit():
        names = [n.strip() for n in (form.members.data or "").splitlines() if n.strip()]
        kind = form.kind.data or ""
        assembly = kind in (BodyKind.RESIDENTS_MEETING, BodyKind.GROUP_MEETING)
        try:
            members = _resolve_names(names)
            result = service.create_body(
                g.actor,
                g.community,
                kind=kind,
                name=form.name.data or "",
                mode=form.mode.data if assembly else None,
                members=members or None,
                group=form.group.data if kind == BodyKind.GROUP_MEETING else None,
            )
        except Invalid as exc:
            db.session.rollback()
            details = exc.details if isinstance(exc.details, dict) else {}
            if "group" in details:
                form.group.errors = [_("Choose the villagers' group whose meeting this is.")]
            else:
                form.members.errors = [_member_problem(exc)]
            return render_template("meetings/body_new.html", form=form, has_groups=has_groups), 422
        for w in result.warnings:
            flash(f"{w.zh if _locale() == 'zh' else w.en}（{w.citation.rule_id}）", "info")
        flash(_("The body was created."), "success")
        return redirect(url_for("meetings.new_meeting", code=code))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/body_new.html", form=form, has_groups=has_groups), status


def _resolve_names(names: list[str]) -> list[int]:
    """Names as typed at the desk -> resident ids; an unknown or ambiguous name is an error."""
    ids: list[int] = []
    unknown: list[str] = []
    for name in names:
        found = list(
            db.session.execute(
                select(Resident.id).where(
                    Resident.community_id == g.community.id, Resident.name == name
                )
            ).scalars()
        )
        if len(found) != 1:
            unknown.append(name)
        else:
            ids.append(found[0])
    if unknown:
        raise Invalid("unknown names", details={"names": unknown})
    return ids


def _member_problem(exc: Invalid) -> str:
    details = exc.details if isinstance(exc.details, dict) else {}
    if "names" in details:
        return _(
            "Not found in the register, or more than one resident has this name: %(names)s",
            names="、".join(details["names"]),
        )
    if "members" in details:
        if str(details["members"]).startswith("required"):
            return _("Councils and committees need their members: one name per line.")
        if str(details["members"]).startswith("computed"):
            return _("A residents' meeting takes its members from the register: leave this empty.")
        return _("A resident is listed twice.")
    return problem_text(exc)


@bp.route("/c/<code>/meetings/new", methods=["GET", "POST"])
@permission("meetings:meeting:create")
def new_meeting(code: str) -> Any:
    bodies = service.list_bodies(g.community)
    if not bodies:
        flash(
            _("First create the body that will meet, for example the residents' meeting."), "info"
        )
        return redirect(url_for("meetings.new_body", code=code))
    form = MeetingForm()
    form.body_id.choices = [
        (b.id, f"{b.name}（{body_kind_label(b.kind, g.community.kind)}）") for b in bodies
    ]
    types = [DecisionType.ORDINARY, DecisionType.MAJOR, DecisionType.CONSULTATION]
    for line in form.agenda:
        line.form.decision_type.choices = [(t.value, decision_label(t.value)) for t in types]
    if form.validate_on_submit():
        when = datetime.strptime(form.starts_at.data.replace(" ", "T"), "%Y-%m-%dT%H:%M")
        items = [
            service.NewItem(
                line.form.title.data.strip(), line.form.decision_type.data or "ordinary"
            )
            for line in form.agenda
            if (line.form.title.data or "").strip()
        ]
        try:
            meeting = service.create_meeting(
                g.actor,
                g.community,
                body_id=form.body_id.data,
                title=form.title.data or "",
                starts_at=when.replace(tzinfo=_zone()),
                location=form.location.data,
                agenda=items,
                short_notice_reason=form.short_notice_reason.data,
            )
        except Invalid:
            db.session.rollback()
            form.starts_at.errors = [
                _("The meeting could not be created: check the date, the body and the agenda.")
            ]
            return render_template("meetings/new.html", form=form), 422
        flash(
            _("The meeting was created as a draft. Check it, then publish the notice."), "success"
        )
        return redirect(url_for("meetings.meeting", meeting_id=meeting.id))
    status = 422 if request.method == "POST" else 200
    return render_template("meetings/new.html", form=form), status


# ---------------------------------------------------------------- staff: one meeting


def _meeting(meeting_id: int) -> Meeting:
    return service.get_meeting(g.actor, meeting_id)


@bp.route("/meetings/<int:meeting_id>")
@permission("meetings:meeting:read")
def meeting(meeting_id: int) -> Any:
    m = _meeting(meeting_id)
    return render_template(
        "meetings/meeting.html",
        meeting=m,
        agenda=_agenda_rows(m),
        notice_rule=_notice_rule(m),
        warnings=_warnings(m),
        **_standing(m),
        form=EmptyForm(formdata=None),
        review_form=PartyReviewForm(formdata=None),
        files=attachments.by_item(m),
        candidates=_candidates_by_item(m),
        candidate_form=_candidate_form(formdata=None),
        attachment_form=AttachmentForm(formdata=None),
        withdraw_form=WithdrawAttachmentForm(formdata=None),
        urgent_form=_urgent_form(formdata=None),
        max_mb=current_app.config["ATTACHMENT_MAX_BYTES"] // (1024 * 1024),
    )


def _decision_choices() -> list[tuple[str, str]]:
    types = [DecisionType.ORDINARY, DecisionType.MAJOR, DecisionType.CONSULTATION]
    return [(t.value, decision_label(t.value)) for t in types]


def _urgent_form(**kwargs: Any) -> UrgentItemForm:
    form = UrgentItemForm(**kwargs)
    form.decision_type.choices = _decision_choices()
    return form


def _back_page() -> str:
    """Where a button returns to: the chair's console if pressed there, else the meeting page."""
    return "meetings.console" if request.form.get("back") == "console" else "meetings.meeting"


def _step(meeting_id: int, action: Any, done: str, back: str = "meetings.meeting") -> Any:
    """A button on a meeting: run `action(meeting)`, flash what happened, go back."""
    form = EmptyForm()
    m = _meeting(meeting_id)
    page = url_for(back, meeting_id=meeting_id)
    if not form.validate_on_submit():
        return redirect(page, 303)
    return _act(lambda: action(m), page, done)


def _act(action: Any, back: str, done: str) -> Any:
    return act(action, back=back, done=done, problem=problem_text)


@bp.route("/meetings/<int:meeting_id>/notice", methods=["POST"])
@permission("meetings:meeting:notice")
def notice(meeting_id: int) -> Any:
    return _step(
        meeting_id,
        lambda m: service.notice_meeting(g.actor, m),
        _("The notice is published on the public notice board. The agenda is now frozen."),
    )


@bp.route("/meetings/<int:meeting_id>/open", methods=["POST"])
@permission("meetings:meeting:open")
def open_(meeting_id: int) -> Any:
    return _step(
        meeting_id,
        lambda m: service.open_meeting(g.actor, m),
        _("The meeting is open. Sign-in has begun."),
        back=_back_page(),
    )


@bp.route("/meetings/<int:meeting_id>/adjourn", methods=["POST"])
@permission("meetings:meeting:adjourn")
def adjourn(meeting_id: int) -> Any:
    return _step(
        meeting_id,
        lambda m: service.adjourn_meeting(g.actor, m),
        _("The meeting is adjourned. Its attendance record is closed."),
        back=_back_page(),
    )


@bp.route("/agenda-items/<int:item_id>/party-review", methods=["POST"])
@permission("meetings:agenda:party_review")
def party_review(item_id: int) -> Any:
    item = service.get_agenda_item(g.actor, item_id)
    form = PartyReviewForm()
    back = url_for("meetings.meeting", meeting_id=item.meeting_id) + f"#item-{item.id}"
    if not form.validate_on_submit():
        flash(_("Give the reference of the Party organization's meeting or minutes."), "error")
        return redirect(back, 303)
    try:
        service.record_party_review(
            g.actor, item, reference=form.reference.data or "", note=form.note.data
        )
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(_("The Party organization's review is recorded."), "success")
    return redirect(back, 303)


# ---------------------------------------------------------------- candidates of an election


def nomination_label(value: str) -> str:
    labels = {
        "party_organization": _("Nominated by the Party organization"),
        "voters": _("Nominated jointly by voters"),
    }
    return labels.get(value, value)


def _candidate_form(**kwargs: Any) -> CandidateForm:
    form = CandidateForm(**kwargs)
    form.nominated_by.choices = [(n.value, nomination_label(n.value)) for n in Nomination]
    return form


def _candidates_by_item(meeting: Meeting) -> dict[int, list[Any]]:
    return {
        item.id: candidates.list_candidates(g.actor, item)
        for item in meeting.agenda
        if item.decision_type == DecisionType.ELECTION
    }


def _resident_by_name(name: str, household: str | None) -> int:
    """The one resident of the community with this name (in this household, if given)."""
    query = (
        select(Resident.id)
        .join(Household, Household.id == Resident.household_id)
        .where(Resident.community_id == g.community.id, Resident.name == name.strip())
    )
    if household and household.strip():
        query = query.where(Household.code == household.strip())
    found = list(db.session.execute(query).scalars())
    if len(found) != 1:
        raise Invalid(
            "unknown name",
            details={"name": len(found)},
            code="name_ambiguous" if found else "name_unknown",
        )
    return found[0]


@bp.route("/agenda-items/<int:item_id>/candidates", methods=["POST"])
@permission("meetings:agenda:edit")
def add_candidate(item_id: int) -> Any:
    item = service.get_agenda_item(g.actor, item_id)
    form = _candidate_form()
    back = url_for("meetings.meeting", meeting_id=item.meeting_id) + f"#item-{item.id}"
    if not form.validate_on_submit():
        flash(_("Give the candidate's name and who nominated them."), "error")
        return redirect(back, 303)
    return _act(
        lambda: candidates.register_candidate(
            g.actor,
            item,
            resident_id=_resident_by_name(form.name.data or "", form.household.data),
            nominated_by=form.nominated_by.data or "",
            nomination_note=form.nomination_note.data,
        ),
        back,
        _("%(name)s is registered as a candidate.", name=form.name.data),
    )


@bp.route("/agenda-items/<int:item_id>/voter-roll", methods=["POST"])
@permission("meetings:agenda:edit")
def record_voter_roll(item_id: int) -> Any:
    item = service.get_agenda_item(g.actor, item_id)
    back = url_for("meetings.meeting", meeting_id=item.meeting_id) + f"#item-{item.id}"
    if not EmptyForm().validate_on_submit():
        return redirect(back, 303)
    try:
        day = datetime.strptime(request.form.get("published_on", ""), "%Y-%m-%d").date()
    except ValueError:
        flash(_("Give the day the voter roll was published."), "error")
        return redirect(back, 303)
    return _act(
        lambda: candidates.record_voter_roll(
            g.actor, item, published_on=day, where=request.form.get("where") or None
        ),
        back,
        _("The publication of the voter roll is recorded."),
    )


@bp.route("/agenda-items/<int:item_id>/candidates/<int:resident_id>/withdraw", methods=["POST"])
@permission("meetings:agenda:edit")
def withdraw_candidate(item_id: int, resident_id: int) -> Any:
    item = service.get_agenda_item(g.actor, item_id)
    form = WithdrawCandidateForm()
    back = url_for("meetings.meeting", meeting_id=item.meeting_id) + f"#item-{item.id}"
    if not form.validate_on_submit():
        flash(_("Give the reason for the withdrawal."), "error")
        return redirect(back, 303)
    return _act(
        lambda: candidates.withdraw_candidate(
            g.actor, item, resident_id=resident_id, reason=form.reason.data or ""
        ),
        back,
        _("The withdrawal is recorded; the candidate stays on record."),
    )


# ---------------------------------------------------------------- the sign-in desk


@bp.route("/meetings/<int:meeting_id>/desk")
@permission("meetings:attendance:record")
def desk(meeting_id: int) -> Any:
    m = _meeting(meeting_id)
    query = (request.args.get("q") or "").strip()[:100]
    return render_template(
        "meetings/desk.html",
        meeting=m,
        query=query,
        rows=checkin.desk_search(g.actor, m, query),
        holders=checkin.proxy_holders(g.actor, m),
        proxies_allowed=service.decision_rule(m).proxies.allowed,
        **_standing(m),
        form=DeskForm(formdata=None),
        correction_form=CorrectionForm(formdata=None),
    )


def _desk_action(meeting_id: int, action: Any, done: str) -> Any:
    m = _meeting(meeting_id)
    form = DeskForm()
    back = url_for("meetings.desk", meeting_id=meeting_id, q=form.q.data or None)
    if not form.validate_on_submit():
        flash(_("Choose a person from the list."), "error")
        return redirect(back, 303)
    try:
        name = action(m, form)
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(done % {"name": name}, "success")
    return redirect(back, 303)


def _name(resident_id: int) -> str:
    resident = db.session.get(Resident, resident_id)
    return resident.name if resident else ""


@bp.route("/meetings/<int:meeting_id>/desk/sign-in", methods=["POST"])
@permission("meetings:attendance:record")
def desk_sign_in(meeting_id: int) -> Any:
    def sign_in(m: Meeting, form: DeskForm) -> str:
        row = service.record_attendance(
            g.actor, m, resident_id=form.resident_id.data, status="present"
        )
        return _name(row.resident_id)

    return _desk_action(meeting_id, sign_in, _("%(name)s is signed in."))


@bp.route("/meetings/<int:meeting_id>/desk/proxy", methods=["POST"])
@permission("meetings:attendance:record")
def desk_proxy(meeting_id: int) -> Any:
    def proxy(m: Meeting, form: DeskForm) -> str:
        if form.proxy_holder_id.data is None:
            raise Invalid("a proxy names its holder", code="no_holder")
        row = service.record_attendance(
            g.actor,
            m,
            resident_id=form.resident_id.data,
            status="proxy",
            proxy_holder_id=form.proxy_holder_id.data,
        )
        return _name(row.resident_id)

    return _desk_action(meeting_id, proxy, _("%(name)s is represented by proxy."))


@bp.route("/meetings/<int:meeting_id>/desk/departure", methods=["POST"])
@permission("meetings:attendance:record")
def desk_departure(meeting_id: int) -> Any:
    def leave(m: Meeting, form: DeskForm) -> str:
        row = service.record_departure(g.actor, m, resident_id=form.resident_id.data)
        return _name(row.resident_id)

    return _desk_action(meeting_id, leave, _("%(name)s has left; the departure time is recorded."))


# ---------------------------------------------------------------- the chair's console


@bp.route("/meetings/<int:meeting_id>/console")
@permission("meetings:meeting:read")
def console(meeting_id: int) -> Any:
    m = _meeting(meeting_id)
    agenda = _agenda_rows(m)
    current = next((r for r in agenda if r["item"].position == m.current_position), None)
    return render_template(
        "meetings/console.html",
        meeting=m,
        agenda=agenda,
        current=current,
        step=checkin.next_step(m),
        **_standing(m),
        form=EmptyForm(formdata=None),
    )


@bp.route("/meetings/<int:meeting_id>/standing")
@permission("meetings:meeting:read")
def standing(meeting_id: int) -> Any:
    """The quorum banner and the counts alone, for static/js/live.js to poll while the meeting
    is in session (the chair's console, the desks and the meeting page stay current)."""
    m = _meeting(meeting_id)
    response = make_response(render_template("meetings/_standing.html", meeting=m, **_standing(m)))
    response.headers["Cache-Control"] = "no-store"
    if m.meeting_state is not MeetingState.IN_SESSION:
        response.headers["X-Consult-Live"] = "stop"
    return response


@bp.route("/meetings/<int:meeting_id>/console/advance", methods=["POST"])
@permission("meetings:agenda:advance")
def advance(meeting_id: int) -> Any:
    m = _meeting(meeting_id)
    form = AdvanceForm()
    back = url_for("meetings.console", meeting_id=meeting_id)
    if not form.validate_on_submit():
        flash(_("Choose an agenda item."), "error")
        return redirect(back, 303)
    try:
        checkin.advance_agenda(g.actor, m, to=form.to.data)
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(_("Now on item %(n)d.", n=form.to.data), "success")
    return redirect(back, 303)


# ---------------------------------------------------------------- QR check-in


def _key() -> bytes:
    return str(current_app.secret_key).encode()


@bp.route("/meetings/<int:meeting_id>/qr")
@permission("meetings:attendance:record")
def qr(meeting_id: int) -> Any:
    m = _meeting(meeting_id)
    token, expires_at = checkin.make_token(_key(), m.id)
    url = url_for("meetings.check_in", meeting_id=m.id, t=token, _external=True)
    svg = segno.make(url, error="m").svg_inline(scale=8, border=2, dark="#000", light="#fff")
    response = Response(
        render_template(
            "meetings/qr.html",
            meeting=m,
            svg=Markup(svg),  # noqa: S704 - segno's own SVG of our own URL
            url=url,
            expires_at=expires_at,
            minutes=int(checkin.TOKEN_LIFETIME.total_seconds() // 60),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/meetings/<int:meeting_id>/check-in", methods=["GET", "POST"])
@permission("meetings:attendance:self")
def check_in(meeting_id: int) -> Any:
    m = _meeting(meeting_id)
    if request.method == "GET":
        token = request.args.get("t") or ""
        if not token:
            return redirect(url_for("meetings.public_meeting", meeting_id=m.id))
        form = CheckInForm(formdata=None, token=token)
    else:
        form = CheckInForm()
        if not form.validate_on_submit():
            return _check_in_error(m, _("This check-in code is not valid."), 400)
        token = form.token.data or ""
    try:
        checkin.check_token(_key(), m.id, token)
        if request.method == "POST":
            checkin.self_check_in(g.actor, m, _key(), token)
    except DomainError as exc:
        db.session.rollback()
        status = 400 if exc.code in ("token_forged", "token_expired") else 409
        if exc.code == "not_a_member":
            status = 403
        return _check_in_error(m, problem_text(exc), status)
    if request.method == "POST":
        return render_template("meetings/check_in.html", meeting=m, done=True, form=form)
    own = checkin.own_attendance(g.actor, m)
    return render_template("meetings/check_in.html", meeting=m, done=False, own=own, form=form)


def _check_in_error(m: Meeting, message: str, status: int) -> Any:
    return render_template("meetings/check_in_error.html", meeting=m, message=message), status


# ---------------------------------------------------------------- public pages


def _public(meeting_id: int) -> Meeting:
    m = service.get_meeting(g.actor, meeting_id)
    if not m.is_public:
        raise NotFound("no such meeting")
    return m


@bp.route("/c/<code>/notice-board")
@permission("meetings:public:read")
def board(code: str) -> Any:
    return render_template(
        "meetings/board.html",
        upcoming=service.list_meetings(g.actor, g.community, when="upcoming"),
        past=service.list_meetings(g.actor, g.community, when="past"),
        counts=service.attendance_counts,
    )


@bp.route("/notices/<int:meeting_id>")
@permission("meetings:public:read")
def public_meeting(meeting_id: int) -> Any:
    m = _public(meeting_id)
    return render_template(
        "meetings/public.html",
        meeting=m,
        agenda=_agenda_rows(m),
        notice_rule=_notice_rule(m),
        counts=service.attendance_counts(m),
        members=service.roll(m),
        files=attachments.by_item(m),
        candidates=_candidates_by_item(m),
        proxies=service.published_proxies(m),
    )


@bp.route("/notices/<int:meeting_id>.ics")
@permission("meetings:public:read")
def ics(meeting_id: int) -> Any:
    m = _public(meeting_id)
    agenda = "\n".join(
        f"{i.position}. {i.title}（{decision_label(i.decision_type)}）" for i in m.agenda
    )
    body = ical.meeting_event(
        uid=f"meeting-{m.id}-{g.community.code}@consult",
        title=f"{g.community.name}：{m.title}",
        starts_at=m.starts_at,
        location=m.location,
        description=f"{m.body.name}\n{agenda}",
        url=url_for("meetings.public_meeting", meeting_id=m.id, _external=True),
        stamp=m.noticed_at or clock.now(),
    )
    return Response(
        body,
        content_type="text/calendar; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="meeting-{m.id}.ics"'},
    )


# ---------------------------------------------------------------- in session: urgent items


@bp.route("/meetings/<int:meeting_id>/agenda/urgent", methods=["POST"])
@permission("meetings:agenda:edit")
def urgent_item(meeting_id: int) -> Any:
    """An item added in session: only with the meeting's recorded decision that admits it."""
    m = _meeting(meeting_id)
    form = _urgent_form()
    back = url_for("meetings.meeting", meeting_id=meeting_id) + "#urgent"
    if not form.validate_on_submit():
        flash(_("Give the item's title and the recorded decision that admits it."), "error")
        return redirect(back, 303)
    try:
        item = service.add_agenda_item(
            g.actor,
            m,
            title=form.title.data or "",
            decision_type=form.decision_type.data or "",
            urgent_decision=form.urgent_decision.data,
        )
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(_("The urgent item is on the agenda as item %(n)d.", n=item.position), "success")
    return redirect(url_for("meetings.meeting", meeting_id=meeting_id) + f"#item-{item.id}", 303)


# ---------------------------------------------------------------- the desk: corrections


@bp.route("/meetings/<int:meeting_id>/desk/correction", methods=["POST"])
@permission("meetings:attendance:correct")
def desk_correction(meeting_id: int) -> Any:
    """Correct a sign-in entry: a new version with its reason; the earlier ones stay."""
    m = _meeting(meeting_id)
    form = CorrectionForm()
    back = url_for("meetings.desk", meeting_id=meeting_id, q=form.q.data or None)
    if not form.validate_on_submit():
        flash(_("A correction needs the person, the right entry and its reason."), "error")
        return redirect(back, 303)
    status = form.status.data or ""
    try:
        row = service.correct_attendance(
            g.actor,
            m,
            resident_id=form.resident_id.data,
            status=status,
            proxy_holder_id=form.proxy_holder_id.data if status == "proxy" else None,
            reason=form.reason.data or "",
        )
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(
        _(
            "The entry of %(name)s is corrected (version %(v)d).",
            name=_name(row.resident_id),
            v=row.version,
        ),
        "success",
    )
    return redirect(back, 303)


# ---------------------------------------------------------------- attachments


@bp.route("/meetings/<int:meeting_id>/attachments", methods=["POST"])
@permission("meetings:agenda:edit")
def upload_attachment(meeting_id: int) -> Any:
    """Attach a file to the meeting's papers or to one agenda item (multipart form)."""
    m = _meeting(meeting_id)
    form = AttachmentForm()
    back = url_for("meetings.meeting", meeting_id=meeting_id) + "#papers"
    if not form.validate_on_submit():
        flash(_("Choose a file to attach."), "error")
        return redirect(back, 303)
    raw_item = (form.item_id.data or "").strip()
    try:
        item = None
        if raw_item:
            if not raw_item.isdecimal() or len(raw_item) > 9:
                raise NotFound("no such agenda item")
            item = service.get_agenda_item(g.actor, int(raw_item))
            back = url_for("meetings.meeting", meeting_id=meeting_id) + f"#item-{item.id}"
        upload = form.file.data
        attachments.add_attachment(
            g.actor,
            m,
            item=item,
            filename=upload.filename,
            content=upload.read(),
            max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"],
        )
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(_("The file is attached."), "success")
    return redirect(back, 303)


@bp.route("/attachments/<int:attachment_id>/withdraw", methods=["POST"])
@permission("meetings:agenda:edit")
def withdraw_attachment(attachment_id: int) -> Any:
    """Withdraw a file with its reason: it stays on record, the public no longer gets it."""
    attachment = attachments.get_attachment(g.actor, attachment_id)
    form = WithdrawAttachmentForm()
    back = url_for("meetings.meeting", meeting_id=attachment.meeting_id) + "#papers"
    if not form.validate_on_submit():
        flash(_("Give the reason for withdrawing the file."), "error")
        return redirect(back, 303)
    try:
        attachments.withdraw_attachment(g.actor, attachment, reason=form.reason.data or "")
    except DomainError as exc:
        db.session.rollback()
        flash(problem_text(exc), "error")
        return redirect(back, 303)
    flash(_("The file is withdrawn; the record of it stays."), "success")
    return redirect(back, 303)


@bp.route("/attachments/<int:attachment_id>")
@permission("meetings:public:read")
def download_attachment(attachment_id: int) -> Any:
    """Anyone may download the files of a noticed meeting; always as a download, never inline."""
    return attachment_response(attachments.get_attachment(g.actor, attachment_id))
