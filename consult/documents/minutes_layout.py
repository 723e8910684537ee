"""What the minutes PDF (templates/pdf/minutes.html) shows, as plain data the caller fills in.

The caller (the meetings service, later) reads the meeting, formats dates and numbers for the
document's language, turns Markdown into safe HTML (markdown_text.markdown_to_safe_html) and
hands a MinutesDocument to render_minutes. Nothing here reads the database or Flask, and the
template only ever prints these fields.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import jinja2
from markupsafe import Markup

from consult.documents.render import RenderedPdf, qr_svg_data_uri, render_pdf

__all__ = [
    "MINUTES_TEMPLATE",
    "SIGNATURE_BOX_MM",
    "SIGNATURE_IDS",
    "AgendaItem",
    "Attendee",
    "MinutesDocument",
    "Quorum",
    "RuleRef",
    "VoteResult",
    "minutes_context",
    "render_minutes",
]

MINUTES_TEMPLATE: Final = "pdf/minutes.html"
# The signature cells, in the order they are printed and (by convention) signed.
SIGNATURE_IDS: Final = ("sig-recorder", "sig-chair", "sig-supervisor")
# Width and height of each signature cell's box (border included) in millimetres, as the
# template's CSS sets them: three of them and two 4 mm gaps fill the 170 mm between A4's 20 mm
# margins; 24 mm is tall enough for a two-line stamp with a Chinese name.
SIGNATURE_BOX_MM: Final = (54.0, 24.0)


@dataclass(frozen=True)
class RuleRef:
    """The rule a number comes from: its id in consult.rules and its legal citation."""

    rule_id: str  # e.g. "RC-10"
    citation: str  # e.g. "《城市居民委员会组织法》第十条"


@dataclass(frozen=True)
class Attendee:
    """A person on the attendance list."""

    name: str
    role: str = ""  # e.g. "居民代表", "委员"; printed small after the name
    note: str = ""  # e.g. "请假" for an excused absence


@dataclass(frozen=True)
class Quorum:
    """Whether enough members were present, with the rule that says how many are enough."""

    present: int
    eligible: int  # members entitled to attend
    required: int  # the least number present for the meeting to decide
    met: bool
    rule: RuleRef
    basis: str = ""  # the rule in words, e.g. "过半数居民代表出席"


@dataclass(frozen=True)
class VoteResult:
    """The result of one vote as the rules decided it (the template decides nothing)."""

    motion: str
    in_favour: int
    against: int
    abstentions: int
    adopted: bool
    threshold: str  # the threshold in words, e.g. "赞成票超过出席人数的半数（20 票）"
    rule: RuleRef
    method: str = ""  # how the vote was taken, e.g. "举手表决", "无记名投票"
    eligible: int | None = None  # how many could vote, when it is not simply those present


@dataclass(frozen=True)
class AgendaItem:
    number: int
    title: str
    # Already sanitised: markdown_to_safe_html(the recorded notes).
    notes_html: Markup = field(default_factory=Markup)
    votes: tuple[VoteResult, ...] = ()


@dataclass(frozen=True)
class MinutesDocument:
    """Everything the minutes PDF prints. Strings are printed as given (and escaped)."""

    document_id: str  # printed on every page, e.g. "MIN-2025-0042"
    verification_url: str  # where the signatures can be checked; also printed as a QR code
    body_name: str  # e.g. "幸福里社区居民委员会"
    meeting_kind: str  # e.g. "居民代表会议"
    time: str  # formatted by the caller, e.g. "2025年3月14日 19:00–21:10"
    place: str
    chair: str
    recorder: str
    quorum: Quorum
    attendees: tuple[Attendee, ...]  # present
    items: tuple[AgendaItem, ...]
    absent: tuple[Attendee, ...] = ()
    observers: tuple[Attendee, ...] = ()  # attending without a vote (列席)
    recorder_notes_html: Markup = field(default_factory=Markup)  # sanitised free text
    supervisor: str = ""  # the supervisory committee member who signs, when already known
    lang: str = "zh-Hans"


def minutes_context(minutes: MinutesDocument) -> dict[str, Any]:
    """The template context of templates/pdf/minutes.html (and pdf/base.html) for ``minutes``.

    The template makes the title itself from the body name and meeting kind, so it is translated
    with the rest of the labels.
    """
    return {
        "minutes": minutes,
        "lang": minutes.lang,
        "document_id": minutes.document_id,
        "verification_url": minutes.verification_url,
        "qr_data_uri": qr_svg_data_uri(minutes.verification_url),
    }


def render_minutes(env: jinja2.Environment, minutes: MinutesDocument) -> RenderedPdf:
    """Fill in the minutes template with ``env`` (Flask's or a plain one with i18n) and render.

    The result's anchors hold a box for each of SIGNATURE_IDS, on the last page.
    """
    html = env.get_template(MINUTES_TEMPLATE).render(minutes_context(minutes))
    return render_pdf(html, lang=minutes.lang)
