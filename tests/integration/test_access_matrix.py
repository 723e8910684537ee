"""The access matrix: every page of the web interface and every /api/v1 operation, for every role.

MATRIX below is the independent statement of who may do what, written by hand from
accounts/policy.py and INTERFACES.md. It is never derived from the routes' own @permission marks:
it is what those marks are checked against. Every (rule, method) pair of the app's URL map must
have a line here, and every line must name a rule that exists, so a route added without deciding
who may use it fails the build (test_every_route_is_in_the_matrix).

Outcomes, as the permission gate (consult/web/permissions.py) answers them:

- allowed: the request got past the permission check. For a GET that is a 2xx or 3xx that is not
  a redirect to the sign-in page; for a POST or DELETE sent with an empty body, a 400/409/415/422
  (the form or body is wrong, but the caller was let in) counts as allowed too.
- anonymous on a page that needs a sign-in: 302 to /login (web), 401 (API).
- signed in without the permission: 403, also for a member of another community; the community's
  existence is not hidden, since communities are public (GET /api/v1/communities).

Each role's test signs in once, switches CSRF protection off (the forms are posted empty), goes
through every route and collects every wrong cell into one failure message.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask, current_app
from flask.testing import FlaskClient
from sqlalchemy import func, select

from consult import clock
from consult.accounts.models import RoleAssignment, User, VerificationCode
from consult.actor import Actor
from consult.audit.models import AuditEntry
from consult.disclosure import ledger, queries
from consult.disclosure import service as disclosures
from consult.disclosure.models import DisclosureSignature
from consult.documents.models import Minutes, MinutesSignature, SignerCertificate
from consult.documents.service import authority
from consult.extensions import db
from consult.meetings.attachments import add_attachment
from consult.meetings.service import notice_meeting
from consult.registry.enrolment import actor_for
from consult.registry.models import Community, Resident
from consult.voting.service import close_vote, create_vote, open_vote
from tests.conftest import ROLES, World, csrf_token, login
from tests.factories import make_body, make_meeting
from tests.integration.api_support import csv_body, headers_for

pytestmark = pytest.mark.integration

Who = frozenset[str]

EVERYONE: Who = frozenset(ROLES)
SIGNED_IN: Who = EVERYONE - {"anonymous"}
#: Read the register and the role holders: staff, chair, recorder and supervisor (none of the
#: world's people is chair or recorder), and the platform administrator.
COMMITTEE: Who = frozenset({"staff", "supervisor", "admin"})
#: Change the register, enrol residents, manage roles: staff (and the administrator).
STAFF: Who = frozenset({"staff", "admin"})
ADMIN: Who = frozenset({"admin"})
#: Work the committee does at the desk (sign-in, paper ballots, show-of-hands totals): staff,
#: chair and recorder — none of whom the world has besides staff — and the administrator.
COMMITTEE_WRITE: Who = STAFF
#: Check oneself in with the QR code shown in the room: a verified resident of the community
#: (the representative is one too), and the administrator.
SELF_CHECK_IN: Who = frozenset({"resident", "representative", "admin"})
#: Cast a ballot: the same verified residents (the vote's frozen roll decides the rest).
VOTERS: Who = SELF_CHECK_IN
#: Write the minutes' draft and start an erratum: staff and the recorder (the world has no
#: recorder), and the administrator.
MINUTES_WRITERS: Who = STAFF
#: Sign minutes and see one's signing certificates: the recorder, the chair and a supervisor
#: (the world's only one of them is the supervisor), and the administrator.
SIGNERS: Who = frozenset({"supervisor", "admin"})
#: See and bring one's own signing certificates: the signers, and staff, who sign disclosures.
CERTIFICATE_HOLDERS: Who = SIGNERS | {"staff"}

API = "/api/v1"
C = "/c/<code>"
AC = f"{API}/communities/<code>"
RID = "<int(max=2147483647):resident_id>"
MID = "<int(max=2147483647):meeting_id>"
BODY = "<int(max=2147483647):body_id>"
VID = "<int(max=2147483647):vote_id>"
IID = "<int(max=2147483647):item_id>"
DID = "<int(max=2147483647):disclosure_id>"
EID = "<int(max=2147483647):entry_id>"
QID = "<int(max=2147483647):query_id>"

#: (rule, method) -> who is allowed. Everyone else is refused: see `expected`.
MATRIX: dict[tuple[str, str], Who] = {
    # ---------------------------------------------------------------- web: open to all
    ("/", "GET"): EVERYONE,
    ("/prefs", "GET"): EVERYONE,
    ("/prefs", "POST"): EVERYONE,
    ("/login", "GET"): EVERYONE,
    ("/login", "POST"): EVERYONE,
    ("/logout", "POST"): EVERYONE,
    ("/signup", "GET"): EVERYONE,
    ("/signup", "POST"): EVERYONE,
    ("/static/<path:filename>", "GET"): EVERYONE,
    # ---------------------------------------------------------------- web: any signed-in person
    ("/verify", "GET"): SIGNED_IN,
    ("/verify", "POST"): SIGNED_IN,
    # ---------------------------------------------------------------- web: the register
    (f"{C}/residents", "GET"): COMMITTEE,
    (f"{C}/residents/<int:resident_id>", "GET"): COMMITTEE,
    (f"{C}/residents/<int:resident_id>/political-rights", "POST"): STAFF,
    (f"{C}/residents/<int:resident_id>/code", "POST"): STAFF,
    (f"{C}/residents/<int:resident_id>/account", "POST"): STAFF,
    (f"{C}/residents/<int:resident_id>/verify", "POST"): STAFF,
    (f"{C}/residents/import", "GET"): STAFF,
    (f"{C}/residents/import", "POST"): STAFF,
    (f"{C}/residents/export.csv", "GET"): STAFF,
    # ---------------------------------------------------------------- web: roles
    (f"{C}/roles", "GET"): COMMITTEE,
    (f"{C}/roles", "POST"): STAFF,  # granting a role: seeing the holders is not enough
    (f"{C}/roles/<int:assignment_id>/revoke", "POST"): STAFF,
    # ---------------------------------------------------------------- API: open to all
    (f"{API}/openapi.json", "GET"): EVERYONE,
    (f"{API}/auth/token", "POST"): EVERYONE,
    (f"{API}/communities", "GET"): EVERYONE,
    (f"{API}/communities/<code>", "GET"): EVERYONE,
    # ---------------------------------------------------------------- API: the caller's own
    (f"{API}/auth/token", "DELETE"): SIGNED_IN,
    (f"{API}/auth/token/revoke", "POST"): SIGNED_IN,
    (f"{API}/me", "GET"): SIGNED_IN,
    (f"{API}/me/verify", "POST"): SIGNED_IN,
    # ---------------------------------------------------------------- API: communities
    (f"{API}/communities", "POST"): ADMIN,
    # ---------------------------------------------------------------- API: the register
    (f"{AC}/residents", "GET"): COMMITTEE,
    (f"{AC}/residents/{RID}", "GET"): COMMITTEE,
    (f"{AC}/residents/import", "POST"): STAFF,
    (f"{AC}/residents/{RID}/account", "POST"): STAFF,
    (f"{AC}/residents/{RID}/verification-codes", "POST"): STAFF,
    # ---------------------------------------------------------------- API: roles
    (f"{AC}/roles", "GET"): COMMITTEE,
    (f"{AC}/roles", "POST"): STAFF,
    (f"{AC}/roles/<int(max=2147483647):assignment_id>/revoke", "POST"): STAFF,
    # ---------------------------------------------------------------- API: meetings (issue 3)
    # Anyone reads what was noticed; staff (and the chair) run meetings; the committee and the
    # supervisors read the sign-in sheet and the bodies' members.
    (f"{AC}/bodies", "GET"): EVERYONE,
    (f"{AC}/bodies", "POST"): STAFF,
    (f"{API}/bodies/{BODY}", "GET"): COMMITTEE,
    (f"{AC}/meetings", "GET"): EVERYONE,
    (f"{AC}/meetings", "POST"): STAFF,
    (f"{API}/meetings/{MID}", "GET"): EVERYONE,
    (f"{API}/meetings/{MID}/agenda", "POST"): STAFF,
    (f"{API}/meetings/{MID}/notice", "POST"): STAFF,
    (f"{API}/meetings/{MID}/open", "POST"): STAFF,
    (f"{API}/meetings/{MID}/adjourn", "POST"): STAFF,
    (f"{API}/meetings/{MID}/attendance", "GET"): COMMITTEE,
    (f"{API}/meetings/{MID}/attendance", "POST"): STAFF,
    (f"{API}/meetings/{MID}/attendance/{RID}/departure", "POST"): STAFF,
    (f"{API}/meetings/{MID}/attendance/{RID}/correction", "POST"): STAFF,
    (f"{API}/meetings/{MID}/quorum", "GET"): EVERYONE,
    (f"{API}/agenda-items/<int(max=2147483647):item_id>/party-review", "POST"): STAFF,
    # The charter is a public document; staff record a new version and the seats on councils.
    (f"{AC}/charter", "GET"): EVERYONE,
    (f"{AC}/charter", "POST"): STAFF,
    (f"{API}/bodies/{BODY}/members", "POST"): STAFF,
    (f"{API}/bodies/{BODY}/members/{RID}/end", "POST"): STAFF,
    # Attachments: staff (and the chair) attach; anyone downloads those of a noticed meeting.
    (f"{API}/agenda-items/<int(max=2147483647):item_id>/attachments", "POST"): STAFF,
    (f"{API}/attachments/<int(max=2147483647):attachment_id>", "GET"): EVERYONE,
    (f"{API}/agenda-items/<int(max=2147483647):item_id>/candidates", "GET"): EVERYONE,
    (f"{API}/agenda-items/{IID}/voter-roll", "GET"): EVERYONE,
    (f"{API}/agenda-items/{IID}/voter-roll", "POST"): STAFF,
    (f"{API}/agenda-items/{IID}/votes", "GET"): EVERYONE,
    (f"{API}/agenda-items/{IID}/votes", "POST"): STAFF,
    (f"{API}/votes/{VID}", "GET"): EVERYONE,
    (f"{API}/votes/{VID}/open", "POST"): STAFF,
    (f"{API}/votes/{VID}/close", "POST"): STAFF,
    (f"{API}/votes/{VID}/ballots", "POST"): VOTERS,
    (f"{API}/votes/{VID}/turnout", "GET"): COMMITTEE,
    (f"{API}/votes/{VID}/result", "GET"): EVERYONE,
    (f"{API}/votes/{VID}/ledger", "GET"): EVERYONE,
    (f"{API}/votes/{VID}/receipt-check", "POST"): EVERYONE,
    (f"{API}/votes/{VID}/paper-ballots/issue", "POST"): COMMITTEE_WRITE,
    (f"{API}/votes/{VID}/paper-ballots", "POST"): COMMITTEE_WRITE,
    (f"{API}/votes/{VID}/paper-ballots", "GET"): COMMITTEE_WRITE,
    (f"{API}/votes/{VID}/paper-ballots/resolve", "POST"): STAFF,
    (f"{API}/votes/{VID}/hands", "POST"): COMMITTEE_WRITE,
    (f"{API}/bodies/{BODY}/votes", "POST"): STAFF,
    (f"{API}/bodies/{BODY}/votes", "GET"): EVERYONE,
    (f"{API}/agenda-items/<int(max=2147483647):item_id>/candidates", "POST"): STAFF,
    (
        f"{API}/agenda-items/<int(max=2147483647):item_id>/candidates/"
        "<int(max=2147483647):resident_id>/withdraw",
        "POST",
    ): STAFF,
    (f"{API}/attachments/<int(max=2147483647):attachment_id>/withdraw", "POST"): STAFF,
    # ---------------------------------------------------------------- web: meetings (issue 3)
    # Staff (and the chair) run meetings and keep the desk; the committee and the supervisors
    # read the meeting pages; anyone reads the notice board; a verified resident checks in.
    (f"{C}/meetings", "GET"): COMMITTEE,
    (f"{C}/meetings/new", "GET"): STAFF,
    (f"{C}/meetings/new", "POST"): STAFF,
    (f"{C}/bodies/new", "GET"): STAFF,
    (f"{C}/bodies/new", "POST"): STAFF,
    ("/meetings/<int:meeting_id>", "GET"): COMMITTEE,
    ("/meetings/<int:meeting_id>/notice", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/open", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/adjourn", "POST"): STAFF,
    ("/agenda-items/<int:item_id>/party-review", "POST"): STAFF,
    ("/agenda-items/<int:item_id>/voter-roll", "POST"): STAFF,
    ("/agenda-items/<int:item_id>/votes", "POST"): STAFF,
    ("/votes", "GET"): SIGNED_IN,
    ("/votes/<int:vote_id>", "GET"): EVERYONE,
    ("/votes/<int:vote_id>", "POST"): EVERYONE,  # the receipt check
    ("/votes/<int:vote_id>/announce", "GET"): EVERYONE,
    ("/votes/<int:vote_id>/ledger.json", "GET"): EVERYONE,
    ("/votes/<int:vote_id>/ballot", "GET"): VOTERS,
    ("/votes/<int:vote_id>/ballot", "POST"): VOTERS,
    ("/votes/<int:vote_id>/open", "POST"): STAFF,
    ("/votes/<int:vote_id>/close", "POST"): STAFF,
    ("/bodies/<int:body_id>/votes", "POST"): STAFF,
    ("/votes/<int:vote_id>/manage", "GET"): COMMITTEE,
    ("/votes/<int:vote_id>/paper", "GET"): COMMITTEE_WRITE,
    ("/votes/<int:vote_id>/paper/issue", "POST"): COMMITTEE_WRITE,
    ("/votes/<int:vote_id>/paper/enter", "POST"): COMMITTEE_WRITE,
    ("/votes/<int:vote_id>/paper/resolve", "POST"): STAFF,
    ("/votes/<int:vote_id>/hands", "POST"): COMMITTEE_WRITE,
    ("/agenda-items/<int:item_id>/candidates", "POST"): STAFF,
    ("/agenda-items/<int:item_id>/candidates/<int:resident_id>/withdraw", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/desk", "GET"): STAFF,
    ("/meetings/<int:meeting_id>/desk/sign-in", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/desk/proxy", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/desk/departure", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/console", "GET"): COMMITTEE,
    ("/meetings/<int:meeting_id>/console/advance", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/standing", "GET"): COMMITTEE,
    ("/meetings/<int:meeting_id>/qr", "GET"): STAFF,
    ("/meetings/<int:meeting_id>/check-in", "GET"): SELF_CHECK_IN,
    ("/meetings/<int:meeting_id>/check-in", "POST"): SELF_CHECK_IN,
    (f"{C}/notice-board", "GET"): EVERYONE,
    ("/notices/<int:meeting_id>", "GET"): EVERYONE,
    ("/notices/<int:meeting_id>.ics", "GET"): EVERYONE,
    # The charter page (the committee reads it, staff adopt) and a body's members.
    (f"{C}/charter", "GET"): COMMITTEE,
    (f"{C}/charter", "POST"): STAFF,
    ("/bodies/<int:body_id>", "GET"): COMMITTEE,
    ("/bodies/<int:body_id>/members", "POST"): STAFF,
    ("/bodies/<int:body_id>/members/<int:resident_id>/end", "POST"): STAFF,
    # In session: an urgent item (with its recorded decision), a correction at the desk.
    ("/meetings/<int:meeting_id>/agenda/urgent", "POST"): STAFF,
    ("/meetings/<int:meeting_id>/desk/correction", "POST"): STAFF,
    # Attachments: staff attach and withdraw; anyone downloads those of a noticed meeting.
    ("/meetings/<int:meeting_id>/attachments", "POST"): STAFF,
    ("/attachments/<int:attachment_id>/withdraw", "POST"): STAFF,
    ("/attachments/<int:attachment_id>", "GET"): EVERYONE,
    # ---------------------------------------------------------------- web: minutes (issue 5)
    # Staff and the recorder write the draft and start an erratum; the recorder, the chair and
    # a supervisor sign (the service checks the role itself); anyone downloads what the reader
    # may see and checks a PDF; signers (and staff, who sign disclosures) see their own
    # certificates; the CA is public.
    ("/meetings/<int:meeting_id>/minutes/edit", "GET"): MINUTES_WRITERS,
    ("/meetings/<int:meeting_id>/minutes/edit", "POST"): MINUTES_WRITERS,
    ("/meetings/<int:meeting_id>/minutes/erratum", "POST"): MINUTES_WRITERS,
    ("/meetings/<int:meeting_id>/minutes/sign", "GET"): SIGNERS,
    ("/meetings/<int:meeting_id>/minutes/sign", "POST"): SIGNERS,
    ("/meetings/<int:meeting_id>/minutes.pdf", "GET"): EVERYONE,
    ("/documents/verify", "GET"): EVERYONE,
    ("/documents/verify", "POST"): EVERYONE,
    (f"{C}/certificates", "GET"): CERTIFICATE_HOLDERS,
    (f"{C}/certificates/revoke", "POST"): CERTIFICATE_HOLDERS,
    (f"{C}/certificates/upload", "POST"): CERTIFICATE_HOLDERS,
    (f"{C}/ca.pem", "GET"): EVERYONE,
    (f"{C}/ca.crl", "GET"): EVERYONE,
    # ---------------------------------------------------------------- API: minutes (issue 5)
    (f"{API}/meetings/{MID}/minutes", "GET"): EVERYONE,
    (f"{API}/meetings/{MID}/minutes", "PUT"): MINUTES_WRITERS,
    (f"{API}/meetings/{MID}/minutes/sign", "POST"): SIGNERS,
    (f"{API}/meetings/{MID}/minutes/erratum", "POST"): MINUTES_WRITERS,
    (f"{API}/meetings/{MID}/minutes.pdf", "GET"): EVERYONE,
    (f"{API}/documents/verify", "POST"): EVERYONE,
    # ---------------------------------------------------------------- web: disclosure (issue 6)
    # The board, the archive, a published disclosure with its PDF and open data, the kiosk,
    # the feed and the due/overdue dashboard are public; a verified resident of the community
    # files a query; the committee and the supervisors read drafts; staff write, import,
    # submit, publish and correct; a supervisor reviews, countersigns and escalates; staff (and
    # the chair) answer.
    (f"{C}/disclosures", "GET"): EVERYONE,
    (f"{C}/disclosures/archive", "GET"): EVERYONE,
    (f"{C}/disclosures/due", "GET"): EVERYONE,
    (f"{C}/disclosures/feed.atom", "GET"): EVERYONE,
    (f"{C}/disclosures/kiosk", "GET"): EVERYONE,
    ("/disclosures/<int:disclosure_id>", "GET"): EVERYONE,
    ("/disclosures/<int:disclosure_id>.pdf", "GET"): EVERYONE,
    ("/disclosures/<int:disclosure_id>/ledger.csv", "GET"): EVERYONE,
    ("/disclosures/<int:disclosure_id>/ledger.json", "GET"): EVERYONE,
    ("/disclosures/<int:disclosure_id>/queries", "POST"): VOTERS,
    (f"{C}/disclosures/manage", "GET"): COMMITTEE,
    (f"{C}/disclosures/new", "GET"): STAFF,
    (f"{C}/disclosures/new", "POST"): STAFF,
    (f"{C}/disclosures/policy", "GET"): COMMITTEE,
    (f"{C}/disclosures/policy", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/work", "GET"): COMMITTEE,
    ("/disclosures/<int:disclosure_id>/vouchers/<int:voucher_id>", "GET"): COMMITTEE,
    ("/disclosures/<int:disclosure_id>/edit", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/ledger", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/entries", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/vouchers", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/correction", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/submit", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/publish", "POST"): STAFF,
    ("/disclosures/<int:disclosure_id>/review", "POST"): SIGNERS,
    ("/disclosures/<int:disclosure_id>/countersign", "POST"): SIGNERS,
    ("/ledger-entries/<int:entry_id>/void", "POST"): STAFF,
    ("/disclosure-queries/<int:query_id>/answer", "POST"): STAFF,
    ("/disclosure-queries/<int:query_id>/escalate", "POST"): SIGNERS,
    # ---------------------------------------------------------------- API: disclosure (issue 6)
    (f"{AC}/disclosures", "GET"): EVERYONE,
    (f"{AC}/disclosures", "POST"): STAFF,
    (f"{AC}/disclosures/due", "GET"): EVERYONE,
    (f"{API}/disclosures/{DID}", "GET"): EVERYONE,
    (f"{API}/disclosures/{DID}", "PATCH"): STAFF,
    (f"{API}/disclosures/{DID}.pdf", "GET"): EVERYONE,
    (f"{API}/disclosures/{DID}/ledger", "GET"): EVERYONE,
    (f"{API}/disclosures/{DID}/ledger", "POST"): STAFF,
    (f"{API}/disclosures/{DID}/ledger.csv", "GET"): EVERYONE,
    (f"{API}/disclosures/{DID}/entries", "POST"): STAFF,
    (f"{API}/ledger-entries/{EID}/void", "POST"): STAFF,
    (f"{API}/disclosures/{DID}/submit", "POST"): STAFF,
    (f"{API}/disclosures/{DID}/review", "POST"): SIGNERS,
    (f"{API}/disclosures/{DID}/publish", "POST"): STAFF,
    (f"{API}/disclosures/{DID}/sign", "POST"): SIGNERS,
    (f"{API}/disclosures/{DID}/correction", "POST"): STAFF,
    (f"{API}/disclosures/{DID}/objections", "GET"): EVERYONE,
    (f"{API}/disclosures/{DID}/objections", "POST"): VOTERS,
    (f"{API}/objections/{QID}/answer", "POST"): STAFF,
    (f"{API}/objections/{QID}/escalate", "POST"): SIGNERS,
}

#: Routes that end the caller's session: visited last, so nothing after them runs signed out.
SIGNS_OUT = frozenset({("/logout", "POST")})

IGNORED_METHODS = frozenset({"HEAD", "OPTIONS"})
MUTATING = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: A mutation sent with an empty body that answers one of these got past the permission check.
BODY_ERRORS = frozenset({400, 409, 413, 415, 422})
REDIRECTS = frozenset({301, 302, 303, 307, 308})

ALLOWED = "allowed"
TO_LOGIN = "302 to /login"

_PARAM = re.compile(r"<(?:[^<>:]+:)?([A-Za-z_][A-Za-z0-9_]*)>")


def url_map_pairs(app: Flask) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - IGNORED_METHODS
    }


def is_api(rule: str) -> bool:
    return rule.startswith(API + "/")


def expected(rule: str, role: str, who: Who) -> str:
    if role in who:
        return ALLOWED
    if role == "anonymous":
        return "401" if is_api(rule) else TO_LOGIN
    return "403"


def outcome(response: Any, method: str) -> str:
    status = response.status_code
    if status in REDIRECTS:
        location = urlsplit(response.headers.get("Location", ""))
        return TO_LOGIN if location.path == "/login" else ALLOWED
    if 200 <= status < 300:
        return ALLOWED
    if method in MUTATING and status in BODY_ERRORS:
        return ALLOWED
    return str(status)


def fill(rule: str, values: dict[str, str]) -> str:
    return _PARAM.sub(lambda m: values[m.group(1)], rule)


def url_values(world: World) -> dict[str, str]:
    """Every URL parameter, from the world: heping's private pages, a resident of heping, the
    representative's role in heping."""
    assignment = db.session.execute(
        select(RoleAssignment.id).where(
            RoleAssignment.user_id == world.users["representative"].id,
            RoleAssignment.community_id == world.community.id,
        )
    ).scalar_one()
    # A noticed meeting of heping (public from notice on) with a major item: every meeting
    # route then has an object, and the empty POSTs of the matrix change nothing (409/422).
    body = make_body(world.community)
    meeting = make_meeting(world.community, body, agenda=(("重大事项", "major"),), state="noticed")
    # A file attached while its meeting was a draft, then noticed: public to download.
    papers = make_meeting(world.community, body)
    attachment = add_attachment(
        Actor.system("tests"), papers, filename="通知.pdf", content=b"%PDF-1.4 matrix"
    )
    notice_meeting(Actor.system("tests"), papers)
    system = Actor.system("tests")
    # Minutes of the noticed meeting, published (rows only: the matrix asks who may read them,
    # not whether they are well signed), and the community's CA: the PDF and CA routes answer.
    authority(system, world.community, current_app.extensions["consult.field_cipher"])
    _published_minutes(meeting, world.users["staff"].id)
    # A closed vote of a meeting in session: every vote route has an object to read.
    running = make_meeting(world.community, body, state="in_session")
    vote = open_vote(system, create_vote(system, running.agenda[0], secret=True))
    close_vote(system, vote, current_app.extensions["consult.field_cipher"])
    # A published finance disclosure with a ledger line, a voucher's scan and a resident's
    # query (rows only, as for the minutes): every disclosure route has an object.
    disclosure, entry, voucher, query = _published_disclosure(world)
    db.session.commit()
    return {
        "code": world.community.code,
        "resident_id": str(world.residents["resident"].id),
        "assignment_id": str(assignment),
        "filename": "css/consult.css",
        "meeting_id": str(meeting.id),
        "body_id": str(body.id),
        "item_id": str(meeting.agenda[0].id),
        "attachment_id": str(attachment.id),
        "vote_id": str(vote.id),
        "disclosure_id": str(disclosure),
        "entry_id": str(entry),
        "voucher_id": str(voucher),
        "query_id": str(query),
    }


def _published_disclosure(world: World) -> tuple[int, int, int, int]:
    system = Actor.system("tests")
    found = disclosures.create_disclosure(
        system, world.community, category="finance", period="2026-10", title="2026年10月财务公开"
    )
    ledger.import_ledger(
        system,
        found,
        b"date,voucher,summary,category,direction,amount,counterparty\n"
        b"2026-10-03,V-1,matrix,fund,income,10.00,\n",
    )
    voucher = ledger.add_voucher(system, found, "V-1", "v.pdf", b"%PDF-1.4 voucher")
    entry = ledger.entries_of(found)[0]
    certificate = SignerCertificate(
        community_id=world.community.id,
        user_id=world.users["staff"].id,
        role="staff",
        serial="2",
        subject="CN=matrix",
        certificate_pem="",
        fingerprint="matrix-disclosure",
        pkcs12=b"",
        not_after=clock.now(),
    )
    db.session.add(certificate)
    db.session.flush()
    db.session.add(
        DisclosureSignature(
            disclosure_id=found.id,
            role="supervisor",
            user_id=world.users["supervisor"].id,
            certificate_id=certificate.id,
            sha256="1" * 64,
            pdf=b"%PDF-1.7 matrix",
        )
    )
    found.state = "published"
    found.published_at = clock.now()
    db.session.flush()
    resident = actor_for(world.users["resident"], world.community.id)
    query = queries.file_query(resident, found, "matrix?")
    return found.id, entry.id, voucher.id, query.id


def _published_minutes(meeting: Any, signer_id: int) -> None:
    certificate = SignerCertificate(
        community_id=meeting.community_id,
        user_id=signer_id,
        role="supervisor",
        serial="1",
        subject="CN=matrix",
        certificate_pem="",
        fingerprint="matrix",
        pkcs12=b"",
        not_after=clock.now(),
    )
    minutes = Minutes(
        meeting_id=meeting.id,
        community_id=meeting.community_id,
        version=1,
        document_id="MIN-MATRIX",
        state="published",
        published_at=clock.now(),
    )
    db.session.add_all([certificate, minutes])
    db.session.flush()
    db.session.add(
        MinutesSignature(
            minutes_id=minutes.id,
            role="supervisor",
            user_id=signer_id,
            certificate_id=certificate.id,
            sha256="0" * 64,
            pdf=b"%PDF-1.7 matrix",
        )
    )
    db.session.flush()


def in_order(pairs: set[tuple[str, str]]) -> list[tuple[str, str]]:
    return sorted(pairs, key=lambda pair: (pair in SIGNS_OUT, pair))


@contextmanager
def csrf_off(app: Flask) -> Iterator[None]:
    """The matrix posts empty forms: CSRF is tested elsewhere (test_web_accounts, test_api_auth)."""
    previous = app.config.get("WTF_CSRF_ENABLED", True)
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        yield
    finally:
        app.config["WTF_CSRF_ENABLED"] = previous


# ---------------------------------------------------------------- the table matches the app


def test_every_route_is_in_the_matrix(app: Flask) -> None:
    routes = url_map_pairs(app)
    missing = sorted(routes - MATRIX.keys())
    stale = sorted(MATRIX.keys() - routes)
    problems = [f"not in MATRIX: {method} {rule}" for rule, method in missing] + [
        f"no such route: {method} {rule}" for rule, method in stale
    ]
    assert not problems, "Every route needs a line in MATRIX saying who may use it:\n  " + (
        "\n  ".join(problems)
    )


def test_every_url_parameter_has_a_value() -> None:
    known = {
        "code",
        "resident_id",
        "assignment_id",
        "filename",
        "meeting_id",
        "body_id",
        "item_id",
        "attachment_id",
        "vote_id",
        "disclosure_id",
        "entry_id",
        "voucher_id",
        "query_id",
    }
    for rule, _method in MATRIX:
        assert set(_PARAM.findall(rule)) <= known, rule


# ---------------------------------------------------------------- the matrix


@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(app: Flask, world: World, role: str) -> None:
    web = app.test_client()
    if role != "anonymous":
        login(web, world.users[role].email)  # the real form, before CSRF is switched off
    api = app.test_client()  # no session cookie: the API is called with bearer tokens
    values = url_values(world)
    with csrf_off(app):
        wrong = visit_every_route(app, world, role, web, api, values)
    assert not wrong, f"{len(wrong)} wrong cell(s) for role {role!r}:\n  " + "\n  ".join(wrong)


def visit_every_route(
    app: Flask,
    world: World,
    role: str,
    web: FlaskClient,
    api: FlaskClient,
    values: dict[str, str],
) -> list[str]:
    wrong: list[str] = []
    for rule, method in in_order(url_map_pairs(app)):
        if (rule, method) not in MATRIX:
            wrong.append(f"{method} {rule}: not in MATRIX")
            continue
        url = fill(rule, values)
        want = expected(rule, role, MATRIX[(rule, method)])
        try:
            if is_api(rule):
                # A fresh token each time: revoking "this token" must not sign out the rest.
                response = api.open(url, method=method, headers=headers_for(world, role))
            else:
                response = web.open(url, method=method, data={} if method in MUTATING else None)
        except Exception as exc:  # a crash is a wrong cell too, reported with the rest
            db.session.rollback()
            wrong.append(f"{method} {url}: expected {want}, raised {exc!r}")
            continue
        got = outcome(response, method)
        response.close()  # a static file is streamed from an open file
        if got != want:
            wrong.append(f"{method} {url}: expected {want}, got {response.status_code} ({got})")
    return wrong


# ---------------------------------------------------------------- named denials

HEPING_PRIVATE_WEB = (
    "/c/heping/residents",
    "/c/heping/residents?q=张",
    "/c/heping/residents/{rid}",
    "/c/heping/residents/import",
    "/c/heping/residents/export.csv",
    "/c/heping/roles",
)
HEPING_PRIVATE_API = (
    "/api/v1/communities/heping/residents",
    "/api/v1/communities/heping/residents?q=张",
    "/api/v1/communities/heping/residents/{rid}",
    "/api/v1/communities/heping/roles",
)


def _secrets_of_heping(world: World) -> tuple[str, ...]:
    """What only heping's committee may see: its residents' names and its role holders."""
    return (
        world.residents["resident"].name,
        world.residents["representative"].name,
        world.users["staff"].email,
        world.users["supervisor"].email,
    )


def test_a_resident_of_another_community_reads_nothing_private_of_heping(
    app: Flask, world: World
) -> None:
    rid = world.residents["resident"].id
    web = app.test_client()
    login(web, world.users["other_resident"].email)
    api = app.test_client()
    headers = headers_for(world, "other_resident")
    wrong = []
    for path in HEPING_PRIVATE_WEB:
        url = path.format(rid=rid)
        response = web.get(url)
        if response.status_code != 403:
            wrong.append(f"GET {url}: {response.status_code}")
        leaked = [s for s in _secrets_of_heping(world) if s in response.get_data(as_text=True)]
        if leaked:
            wrong.append(f"GET {url} shows {leaked}")
    for path in HEPING_PRIVATE_API:
        url = path.format(rid=rid)
        response = api.get(url, headers=headers)
        if response.status_code != 403:
            wrong.append(f"GET {url}: {response.status_code}")
        leaked = [s for s in _secrets_of_heping(world) if s in response.get_data(as_text=True)]
        if leaked:
            wrong.append(f"GET {url} shows {leaked}")
    # Their own account says nothing about heping either.
    me = api.get("/api/v1/me", headers=headers).get_json()
    if [c["code"] for c in me["communities"]] != ["other"]:
        wrong.append(f"/api/v1/me lists {me['communities']}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("role", ["staff", "supervisor"])
def test_the_committee_of_heping_is_a_stranger_in_another_community(
    app: Flask, world: World, role: str
) -> None:
    stranger = world.residents["other_resident"].id
    web = app.test_client()
    login(web, world.users[role].email)
    headers = headers_for(world, role)
    for path in HEPING_PRIVATE_WEB:
        url = path.replace("heping", "other").format(rid=stranger)
        assert web.get(url).status_code == 403, url
    for path in HEPING_PRIVATE_API:
        url = path.replace("heping", "other").format(rid=stranger)
        response = app.test_client().get(url, headers=headers)
        assert response.status_code == 403, url
        assert world.residents["other_resident"].name not in response.get_data(as_text=True)


def _counts() -> dict[str, int]:
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Community, Resident, RoleAssignment, VerificationCode, User, AuditEntry)
    }


NEW_LINE = "H900,赵新来,1980-01-01,M,G1,,"


def _acting_as_staff_on_the_web(
    client: FlaskClient, world: World
) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Each thing only staff may do, sent as a well-formed form with a valid CSRF token."""
    rid = world.residents["resident"].id
    token = csrf_token(client.get("/").get_data(as_text=True))
    base = "/c/heping"
    staff_role = db.session.execute(
        select(RoleAssignment.id).where(RoleAssignment.user_id == world.users["staff"].id)
    ).scalar_one()
    yield (
        "import residents",
        lambda: client.post(
            f"{base}/residents/import",
            data={"csrf_token": token, "file": (io.BytesIO(csv_body(NEW_LINE)), "r.csv")},
            content_type="multipart/form-data",
        ),
    )
    yield "export the register", lambda: client.get(f"{base}/residents/export.csv")
    yield (
        "grant a role",
        lambda: client.post(
            f"{base}/roles",
            data={"csrf_token": token, "email": "resident@example.org", "role": "staff"},
        ),
    )
    yield (
        "end a role",
        lambda: client.post(f"{base}/roles/{staff_role}/revoke", data={"csrf_token": token}),
    )
    yield (
        "issue a verification code",
        lambda: client.post(f"{base}/residents/{rid}/code", data={"csrf_token": token}),
    )
    yield (
        "create a resident's account",
        lambda: client.post(
            f"{base}/residents/{rid}/account",
            data={"csrf_token": token, "email": "new@example.org", "password": "long enough pw"},
        ),
    )
    yield (
        "verify an account at the desk",
        lambda: client.post(
            f"{base}/residents/{rid}/verify",
            data={"csrf_token": token, "account_email": "other@example.org"},
        ),
    )
    yield (
        "record political rights",
        lambda: client.post(
            f"{base}/residents/{rid}/political-rights",
            data={"csrf_token": token, "is_deprived": "1", "reason": "判决书"},
        ),
    )


@pytest.mark.parametrize("role", ["resident", "representative", "supervisor", "other_resident"])
def test_a_resident_cannot_act_as_staff_on_the_web(app: Flask, world: World, role: str) -> None:
    client = app.test_client()
    login(client, world.users[role].email)
    before = _counts()
    wrong = []
    for action, send in _acting_as_staff_on_the_web(client, world):
        response = send()
        if response.status_code != 403:
            wrong.append(f"{action}: {response.status_code}")
        if "text/csv" in response.headers.get("Content-Type", ""):
            wrong.append(f"{action}: answered with a CSV")
    db.session.expire_all()
    assert not wrong, "\n".join(wrong)
    assert _counts() == before


@pytest.mark.parametrize("role", ["resident", "representative", "supervisor", "other_resident"])
def test_a_resident_cannot_act_as_staff_through_the_api(
    app: Flask, world: World, role: str
) -> None:
    client = app.test_client()
    headers = headers_for(world, role)
    rid = world.residents["resident"].id
    staff_role = db.session.execute(
        select(RoleAssignment.id).where(RoleAssignment.user_id == world.users["staff"].id)
    ).scalar_one()
    base = "/api/v1/communities/heping"
    before = _counts()
    requests: list[tuple[str, Callable[[], Any]]] = [
        (
            "import residents",
            lambda: client.post(
                f"{base}/residents/import",
                data=csv_body(NEW_LINE),
                headers={**headers, "Content-Type": "text/csv; charset=utf-8"},
            ),
        ),
        (
            "grant a role",
            lambda: client.post(
                f"{base}/roles",
                json={"email": "resident@example.org", "role": "staff"},
                headers=headers,
            ),
        ),
        ("end a role", lambda: client.post(f"{base}/roles/{staff_role}/revoke", headers=headers)),
        (
            "issue a verification code",
            lambda: client.post(f"{base}/residents/{rid}/verification-codes", headers=headers),
        ),
        (
            "create a resident's account",
            lambda: client.post(
                f"{base}/residents/{rid}/account",
                json={"email": "new@example.org", "password": "long enough pw"},
                headers=headers,
            ),
        ),
        (
            "create a community",
            lambda: client.post(
                "/api/v1/communities",
                json={"code": "new", "name": "新社区", "kind": "urban"},
                headers=headers,
            ),
        ),
    ]
    wrong = []
    for action, send in requests:
        response = send()
        if response.status_code != 403:
            wrong.append(f"{action}: {response.status_code}")
    db.session.expire_all()
    assert not wrong, "\n".join(wrong)
    after = _counts()
    # Only the token this test signed in with is new.
    assert after == before
