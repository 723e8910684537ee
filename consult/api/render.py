"""How domain objects look in JSON. Only what the caller may see: ID numbers masked, no secrets."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from consult import clock
from consult.accounts.models import RoleAssignment, User
from consult.api.common import iso
from consult.registry.models import Community, Resident
from consult.registry.service import eligibility_of


def community_json(community: Community) -> dict[str, Any]:
    return {
        "code": community.code,
        "name": community.name,
        "kind": community.kind,
        "timezone": community.timezone,
        "rule_set": community.rule_set,
    }


def community_today(community: Community) -> date:
    """Today where the community is: the date eligibility is judged on when none is given."""
    return clock.now().astimezone(ZoneInfo(community.timezone)).date()


def resident_json(community: Community, resident: Resident, today: date) -> dict[str, Any]:
    """A line of the register; `eligible` is computed on `today` (URC25-08 / VC25-04)."""
    return {
        "id": resident.id,
        "name": resident.name,
        "household": resident.household.code,
        "group": resident.group.code,
        "birth_date": resident.birth_date.isoformat(),
        "gender": resident.gender,
        "registration": resident.registration,
        "eligible": eligibility_of(community, resident, today).eligible,
    }


def resident_detail_json(community: Community, resident: Resident, today: date) -> dict[str, Any]:
    verdict = eligibility_of(community, resident, today)
    return {
        **resident_json(community, resident, today),
        "registered_since": iso(resident.registered_since),
        "id_number": resident.id_number_masked or None,
        "is_deprived_of_political_rights": resident.is_deprived_of_political_rights,
        "version": resident.version,
        "eligibility": {
            "eligible": verdict.eligible,
            "on": today.isoformat(),
            "reasons": [reason.value for reason in verdict.reasons],
            "rule": {
                "id": verdict.citation.rule_id,
                "citation": verdict.citation.zh,
                "citation_en": verdict.citation.en,
            },
        },
        "created_at": iso(resident.created_at),
        "updated_at": iso(resident.updated_at),
    }


def account_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "resident_id": user.resident_id,
        "verified": bool(user.is_verified),
    }


def role_json(assignment: RoleAssignment, user: User, community: Community) -> dict[str, Any]:
    return {
        "id": assignment.id,
        "user_id": user.id,
        "email": user.email,
        "role": assignment.role,
        "community": community.code,
        "granted_at": iso(assignment.granted_at),
        "revoked_at": iso(assignment.revoked_at),
    }
