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


def _last_seq(log_id: str, community_id: int | None) -> int | None:
    """The log's last sequence number, read once the other writers to it have committed.

    On PostgreSQL a transaction-scoped advisory lock per log makes them queue (held until
    commit). Each statement reads its own snapshot (READ COMMITTED), so the read, which starts
    once the lock is granted, sees the previous holder's entry. With psycopg both go to the
    server in one round trip (pipeline mode): the lock is what every sign-in at a meeting queues
    for, so each wait inside it counts once per writer. SQLite has one writer at a time anyway.
    """
    db.session.flush()  # the caller's own writes first, before queueing: the lock is held less
    connection = db.session.connection()
    read_last = select(func.max(AuditEntry.seq)).where(AuditEntry.log_id == log_id)
    if connection.dialect.name != "postgresql":
        return connection.execute(read_last).scalar_one()
    lock = {"cls": _AUDIT_LOCK_CLASS, "obj": community_id or 0}
    driver = connection.connection.driver_connection
    if connection.dialect.driver == "psycopg" and driver is not None:
        with driver.pipeline():
            driver.execute("SELECT pg_advisory_xact_lock(%(cls)s, %(obj)s)", lock)
            cursor = driver.execute(
                "SELECT max(seq) FROM audit_entries WHERE log_id = %(log)s", {"log": log_id}
            )
        row = cursor.fetchone()
        return row[0] if row is not None else None
    connection.execute(text("SELECT pg_advisory_xact_lock(:cls, :obj)"), lock)
    return connection.execute(read_last).scalar_one()


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
    payload_json = canonical_json(body)  # what need not wait for the lock is done before it
    log_id = log_id_for(community_id)
    seq = (_last_seq(log_id, community_id) or 0) + 1
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
        payload=payload_json,
        leaf=leaf,
        leaf_hash=sha256_hex(leaf.encode("utf-8")),
    )
    db.session.add(entry)
    db.session.flush()
    return entry
