"""Who may do what: the one place that decides. Every service and every route names a permission.

Permissions are named `scope:resource:action`. Each maps to the roles that hold it inside the
actor's community; a platform admin holds every permission everywhere. Public permissions need no
sign-in at all.
"""

from __future__ import annotations

from consult.actor import Actor, Role
from consult.errors import NotAllowed, Unauthenticated

PUBLIC = "public"

_COMMITTEE = frozenset({Role.STAFF, Role.CHAIR, Role.RECORDER})
_OVERSIGHT = frozenset({Role.SUPERVISOR})
_MEMBERS = frozenset(Role) - {Role.ADMIN}
_RUNNERS = frozenset({Role.STAFF, Role.CHAIR})  # who may run a meeting

#: permission -> roles in the community that hold it (admin holds all; PUBLIC needs nothing).
PERMISSIONS: dict[str, frozenset[Role] | str] = {
    "communities:community:read": PUBLIC,
    "communities:community:create": frozenset(),  # platform admin only
    "communities:dashboard:read": _MEMBERS,
    "registry:residents:read": _COMMITTEE | _OVERSIGHT,
    "registry:residents:import": frozenset({Role.STAFF}),
    "registry:residents:export": frozenset({Role.STAFF}),
    "registry:residents:edit": frozenset({Role.STAFF}),
    "accounts:residents:verify": frozenset({Role.STAFF}),
    "accounts:roles:read": _COMMITTEE | _OVERSIGHT,
    "accounts:roles:manage": frozenset({Role.STAFF}),
    "audit:entries:read": frozenset({Role.STAFF, Role.SUPERVISOR}),
    "accounts:self:read": _MEMBERS,
    # Meetings (issue 3). Staff and the chair run meetings; the recorder may keep the sign-in
    # desk; supervisors read everything; anyone reads what was noticed (URC25-32, VC25-26).
    "meetings:public:read": PUBLIC,
    "meetings:bodies:read": _COMMITTEE | _OVERSIGHT,
    "meetings:bodies:create": frozenset({Role.STAFF}),
    "meetings:meeting:read": _COMMITTEE | _OVERSIGHT,
    "meetings:meeting:create": _RUNNERS,
    "meetings:meeting:notice": _RUNNERS,
    "meetings:meeting:open": _RUNNERS,
    "meetings:meeting:adjourn": _RUNNERS,
    "meetings:agenda:edit": _RUNNERS,
    "meetings:agenda:party_review": _RUNNERS,
    "meetings:attendance:read": _COMMITTEE | _OVERSIGHT,
    "meetings:attendance:record": _COMMITTEE,
    "meetings:attendance:correct": _RUNNERS,
    # Self check-in with the QR code shown in the room: a verified resident signs themselves in.
    "meetings:attendance:self": frozenset({Role.RESIDENT}),
    # The chair's console: moving through the agenda is recorded.
    "meetings:agenda:advance": _RUNNERS,
    # Seats on councils and committees after creation, and the charter (自治章程) or provincial
    # overlay that tightens the statute: staff record what the community decided.
    "meetings:memberships:add": frozenset({Role.STAFF}),
    "meetings:memberships:end": frozenset({Role.STAFF}),
    "meetings:charter:adopt": frozenset({Role.STAFF}),
    # Votes (issue 4): the chair or staff run them; verified residents cast (eligibility is the
    # vote's frozen roll, checked by the service); results and secret ledgers are public, a
    # named vote's ledger only for members and supervisors (the service decides).
    "votes:vote:manage": _RUNNERS,
    "votes:turnout:read": _COMMITTEE | _OVERSIGHT,
    # Paper ballots handed out at the desk and entered twice; show-of-hands totals.
    "votes:paper:enter": _COMMITTEE,
    "votes:ballot:cast": frozenset({Role.RESIDENT}),
    "votes:result:read": PUBLIC,
    "votes:ledger:read": PUBLIC,
    # Signed minutes (issue 5): the recorder (or staff) writes the draft; the recorder, the
    # chair and a supervisor sign, each in their own role (the service checks the role itself);
    # published minutes are public, drafts and versions being signed only for the committee
    # and the supervisors. Anyone may check a PDF.
    "minutes:minutes:read": PUBLIC,
    "minutes:draft:read": _COMMITTEE | _OVERSIGHT,
    "minutes:minutes:write": frozenset({Role.STAFF, Role.RECORDER}),
    "minutes:minutes:sign": frozenset({Role.RECORDER, Role.CHAIR, Role.SUPERVISOR}),
    # One's own signing certificates: the minutes' signers, and staff, who sign disclosures.
    "documents:certificate:read": frozenset(
        {Role.RECORDER, Role.CHAIR, Role.SUPERVISOR, Role.STAFF}
    ),
    "documents:certificate:revoke": frozenset({Role.STAFF}),
    "documents:authority:read": PUBLIC,
    "documents:pdf:verify": PUBLIC,
    # Disclosure (issue 6): staff write, import ledgers, submit, publish (sign) and answer;
    # the supervisory committee reviews (DS-18), countersigns and escalates overdue answers;
    # the board, the archive and the due/overdue dashboard are public (URC25-33, VC25-28);
    # a verified resident of the community files queries and objections.
    "disclosure:board:read": PUBLIC,
    "disclosure:draft:read": _COMMITTEE | _OVERSIGHT,
    "disclosure:disclosure:write": frozenset({Role.STAFF}),
    "disclosure:disclosure:submit": frozenset({Role.STAFF}),
    "disclosure:disclosure:review": _OVERSIGHT,
    "disclosure:disclosure:publish": frozenset({Role.STAFF}),
    "disclosure:disclosure:countersign": _OVERSIGHT,
    "disclosure:policy:set": frozenset({Role.STAFF}),
    "disclosure:query:file": frozenset({Role.RESIDENT}),
    "disclosure:query:answer": _RUNNERS,
    "disclosure:query:escalate": _OVERSIGHT,
    # Who filed a query is personal data: the exchange is public, the name is not.
    "disclosure:query:filer": frozenset({Role.STAFF, Role.SUPERVISOR}),
}


def can(actor: Actor, permission: str, community_id: int | None = None) -> bool:
    """True if `actor` holds `permission` in `community_id` (or the actor's own community)."""
    holders = PERMISSIONS[permission]  # KeyError: an unnamed permission is a bug, not a denial
    if holders == PUBLIC:
        return True
    if actor.is_admin:
        return True
    if not actor.is_authenticated:
        return False
    if community_id is not None and actor.community_id != community_id:
        return False
    assert isinstance(holders, frozenset)
    return any(role in holders for role in actor.roles)


def require(actor: Actor, permission: str, community_id: int | None = None) -> None:
    """Raise Unauthenticated (401) or NotAllowed (403) unless `actor` holds `permission`."""
    if can(actor, permission, community_id):
        return
    if not actor.is_authenticated and not actor.is_admin:
        raise Unauthenticated("sign in first")
    raise NotAllowed(f"not allowed: {permission}")
