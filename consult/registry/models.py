"""The register: communities (tenants), groups, households, residents and their history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consult import clock
from consult.db import UTCDateTime
from consult.extensions import Model
from consult.rules.eligibility import CommunityKind, Registration

DEFAULT_RULE_SET = {CommunityKind.URBAN: "urban-2026", CommunityKind.VILLAGE: "village-2026"}
RULE_SETS = (
    "urban-2026",
    "village-2026",
    "urban-1990",
    "village-2018",
    "collective-2025",
    "general",
)


class Community(Model):
    """A residents' or villagers' committee's area (社区 / 村): the tenant of everything else."""

    __tablename__ = "communities"
    __table_args__ = (CheckConstraint("kind IN ('urban', 'village')", name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    rule_set: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    @property
    def community_kind(self) -> CommunityKind:
        return CommunityKind(self.kind)


class ResidentGroup(Model):
    """居民小组 / 村民小组."""

    __tablename__ = "resident_groups"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    code: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))


class Household(Model):
    """户: identified in the register CSV by its code within the community."""

    __tablename__ = "households"
    __table_args__ = (UniqueConstraint("community_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    code: Mapped[str] = mapped_column(String(60))


class Resident(Model):
    """The current state of a person on the register. Every earlier state is a ResidentVersion."""

    __tablename__ = "residents"
    __table_args__ = (
        CheckConstraint("gender IN ('M', 'F')", name="gender"),
        CheckConstraint(
            "registration IN ('household_register', 'habitual_resident', 'worker')",
            name="registration",
        ),
        # One person per ID number in a community (the blind index, not the number itself).
        UniqueConstraint("community_id", "id_number_index"),
        Index("ix_residents_community_name", "community_id", "name"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"))
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("resident_groups.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(1))
    registration: Mapped[str] = mapped_column(String(20), default=Registration.HOUSEHOLD_REGISTER)
    registered_since: Mapped[date | None] = mapped_column(Date)
    phone_encrypted: Mapped[str | None] = mapped_column(Text)
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)
    id_number_index: Mapped[str | None] = mapped_column(String(64))
    id_number_masked: Mapped[str | None] = mapped_column(String(40))
    is_deprived_of_political_rights: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)

    household: Mapped[Household] = relationship(lazy="joined", innerjoin=True)
    group: Mapped[ResidentGroup] = relationship(lazy="joined", innerjoin=True)


class ResidentVersion(Model):
    """An immutable snapshot of a resident at one version: the register's history."""

    __tablename__ = "resident_versions"
    __table_args__ = (UniqueConstraint("resident_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"))
    version: Mapped[int] = mapped_column(Integer)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(String(40))  # import | edit | political_rights
    # The fields as they were (canonical JSON; the ID number only masked, phone omitted).
    snapshot: Mapped[str] = mapped_column(Text)
    id_number_encrypted: Mapped[str | None] = mapped_column(Text)


class PoliticalRightsRecord(Model):
    """Staff record that a person is deprived of political rights (or no longer is), and why."""

    __tablename__ = "political_rights_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    is_deprived: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class ImportBatch(Model):
    """One register import: what file (by hash), by whom, and what it changed."""

    __tablename__ = "import_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    file_sha256: Mapped[str] = mapped_column(String(64))
    rows: Mapped[int] = mapped_column(Integer)
    created: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    imported_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)


class CommunityKey(Model):
    """The community's Ed25519 signing key: it signs ballot ledgers (and, later, checkpoints).
    The private half is stored encrypted with the instance's field key (AES-GCM, bound to the
    field name and the community); the public half is published in every ledger. A key is
    retired, never deleted, so old signatures stay checkable."""

    __tablename__ = "community_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the raw 32 bytes
    private_key_encrypted: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=clock.now)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
