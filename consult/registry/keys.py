"""The community's signing key: created on first use, the private half encrypted at rest.

`signing_key(actor, community, cipher)` returns the key in force, creating (and auditing) one
if the community has none. Nothing here commits or imports Flask; the cipher comes from the
edge (the app's FieldCipher).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from sqlalchemy import select

from consult import clock
from consult.actor import Actor
from consult.audit.service import record
from consult.crypto.fields import FieldCipher
from consult.crypto.ledger import public_key_base64
from consult.extensions import db
from consult.registry.models import Community, CommunityKey


def _field(community: Community) -> str:
    # Bound to the community: a key row copied to another community does not open.
    return f"community_key:{community.id}"


def current_key(community: Community) -> CommunityKey | None:
    return db.session.execute(
        select(CommunityKey)
        .where(CommunityKey.community_id == community.id, CommunityKey.retired_at.is_(None))
        .order_by(CommunityKey.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def signing_key(actor: Actor, community: Community, cipher: FieldCipher) -> Ed25519PrivateKey:
    """The community's Ed25519 key in force (created and audited on first use)."""
    row = current_key(community)
    if row is None:
        # Two first closes at once must not make two keys: queue on the community's row and
        # look again (SQLite's writers are serialised already).
        db.session.execute(
            select(Community.id).where(Community.id == community.id).with_for_update()
        )
        row = current_key(community)
    if row is not None:
        raw = base64.b64decode(cipher.decrypt(row.private_key_encrypted, _field(community)))
        return Ed25519PrivateKey.from_private_bytes(raw)
    key = Ed25519PrivateKey.generate()
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    row = CommunityKey(
        community_id=community.id,
        public_key=public_key_base64(key),
        private_key_encrypted=cipher.encrypt(
            base64.b64encode(raw).decode("ascii"), _field(community)
        ),
        created_at=clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    record(
        actor,
        "registry:key:create",
        "community_key",
        row.id,
        community_id=community.id,
        payload={"public_key": row.public_key, "algorithm": "Ed25519"},
    )
    return key
