"""record(): the one function every state change calls, inside the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from consult import clock
from consult.actor import Actor
from consult.audit.models import AuditEntry, log_id_for
from consult.crypto.canonical import canonical_json, sha256_hex
from consult.extensions import db

#: Payload keys that must never reach the trail, whatever a caller passes.
SECRET_KEYS = frozenset(
    {
        "password",
        "password_hash",
        "token",
        "token_hash",
        "verification_code",
        "code_hash",
        "id_number",
        "passphrase",
        "secret",
        "phone",
    }
)


class SecretInPayload(ValueError):
    pass


def _check_no_secrets(payload: Any, path: str = "") -> None:
    if isinstance(payload, dict):
        for key, value in payload.items():
            if key in SECRET_KEYS:
                raise SecretInPayload(f"audit payload must not carry {path}{key}")
            _check_no_secrets(value, f"{path}{key}.")
    elif isinstance(payload, list):
        for item in payload:
            _check_no_secrets(item, path)


#: The advisory-lock class of audit logs (PostgreSQL's two-key form: class, object).
_AUDIT_LOCK_CLASS = 0x4155  # "AU"


def _queue_for_log(community_id: int | None) -> None:
    """Wait for the other writers to this log to commit (PostgreSQL; a no-op on SQLite)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    db.session.execute(
        text("SELECT pg_advisory_xact_lock(:cls, :obj)"),
        {"cls": _AUDIT_LOCK_CLASS, "obj": community_id or 0},
    )


def record(
    actor: Actor,
    action: str,
    obj_type: str,
    obj_id: object,
    *,
    community_id: int | None,
    payload: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the community's log (or the platform log) and flush it.

    The sequence number is the next in that log, so concurrent writers to one log must queue:
    on PostgreSQL a transaction-scoped advisory lock per log does that (held until commit, so
    services call record() last, after their own work); SQLite has one writer at a time anyway.
    UNIQUE(log_id, seq) stays as the backstop: a race can fail a transaction, never fork a log.
    """
    body = payload or {}
    _check_no_secrets(body)
    log_id = log_id_for(community_id)
    _queue_for_log(community_id)
    last = db.session.execute(
        select(func.max(AuditEntry.seq)).where(AuditEntry.log_id == log_id)
    ).scalar_one()
    seq = (last or 0) + 1
    at = clock.now()
    entry_doc = {
        "log": log_id,
        "seq": seq,
        "at": at.isoformat().replace("+00:00", "Z"),
        "actor": {"user_id": actor.user_id, "label": actor.label},
        "action": action,
        "object": {"type": obj_type, "id": str(obj_id)},
        "payload": body,
    }
    leaf = canonical_json(entry_doc)
    entry = AuditEntry(
        log_id=log_id,
        seq=seq,
        occurred_at=at,
        community_id=community_id,
        actor_user_id=actor.user_id,
        actor_label=actor.label[:200],
        action=action,
        object_type=obj_type,
        object_id=str(obj_id),
        payload=canonical_json(body),
        leaf=leaf,
        leaf_hash=sha256_hex(leaf.encode("utf-8")),
    )
    db.session.add(entry)
    db.session.flush()
    return entry
