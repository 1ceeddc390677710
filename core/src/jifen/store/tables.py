"""SQLAlchemy tables. Every table leads with ``tenant_id``: it is the first column of every primary
key and of every foreign key, so no row can point into another tenant (JF-ORG-1) and every table
can be distributed by tenant id (e.g. Citus) when one server is no longer enough.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""How constraints and indexes are named, in the core's tables and in plugins' own."""


def plugin_metadata() -> MetaData:
    """A MetaData for a plugin's own tables, naming constraints as the core does (their
    Alembic branch is created with the same names; see the ``register_migrations`` hook)."""
    return MetaData(naming_convention=NAMING_CONVENTION)


metadata = MetaData(naming_convention=NAMING_CONVENTION)

Amount = BigInteger  # integer minor units; never floats


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone; PostgreSQL has timestamptz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused; use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Timestamp = UTCDateTime

tenants = Table(
    "tenants",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("code", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("created_at", Timestamp, nullable=False),
)

org_units = Table(
    "org_units",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("level", String(16), nullable=False),
    Column("parent_id", Uuid, nullable=True),
    Column("path", Text, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    ForeignKeyConstraint(["tenant_id", "parent_id"], ["org_units.tenant_id", "org_units.id"]),
    UniqueConstraint("tenant_id", "code"),
    CheckConstraint("level in ('city','district','street','community','grid')", name="level"),
)

subjects = Table(
    "subjects",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("type", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("org_unit_id", Uuid, nullable=False),
    Column("code", String(32), nullable=False),
    Column("external_ref", String(200), nullable=True),
    # JF-SUB-3: keyed hash for lookup, authenticated encryption for recovery; never in clear.
    Column("national_id_hash", LargeBinary(32), nullable=True),
    Column("national_id_enc", LargeBinary, nullable=True),
    Column("phone_hash", LargeBinary(32), nullable=True),
    Column("phone_enc", LargeBinary, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "org_unit_id"], ["org_units.tenant_id", "org_units.id"]),
    UniqueConstraint("tenant_id", "code"),
    Index("ix_subjects_national_id_hash", "tenant_id", "national_id_hash"),
    Index("ix_subjects_phone_hash", "tenant_id", "phone_hash"),
    # The subjects of a unit: publishing a community's notice and the review queue start here.
    Index("ix_subjects_org_unit", "tenant_id", "org_unit_id"),
)

household_links = Table(
    "household_links",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("household_id", Uuid, primary_key=True),
    Column("member_id", Uuid, primary_key=True),
    Column("role", String(16), nullable=False),
    ForeignKeyConstraint(["tenant_id", "household_id"], ["subjects.tenant_id", "subjects.id"]),
    ForeignKeyConstraint(["tenant_id", "member_id"], ["subjects.tenant_id", "subjects.id"]),
    CheckConstraint("role in ('guardian','child','member')", name="role"),
    Index("ix_household_links_member", "tenant_id", "member_id"),
)

accounts = Table(
    "accounts",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("code", String(200), nullable=False),
    Column("type", String(32), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("subject_id", Uuid, nullable=True),
    # A maintained summary of the account's postings (JF-LED-5 re-derives it).
    Column("balance", Amount, nullable=False),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    UniqueConstraint("tenant_id", "code"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("memo", String(500), nullable=False),
    Column("meta", JSON, nullable=False),
    Column("reverses_id", Uuid, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    ForeignKeyConstraint(["tenant_id", "reverses_id"], ["transactions.tenant_id", "transactions.id"]),
    UniqueConstraint("tenant_id", "idempotency_key"),
    UniqueConstraint("tenant_id", "seq"),
    # JF-LED-2: a transaction is reversed at most once.
    UniqueConstraint("tenant_id", "reverses_id"),
    # The transactions of a period (JF-STAT-1): statistics read the period, not the history.
    Index("ix_transactions_created", "tenant_id", "created_at"),
)

postings = Table(
    "postings",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("transaction_id", Uuid, nullable=False),
    Column("account_id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("amount", Amount, nullable=False),
    Column("lot_id", Uuid, nullable=True),
    ForeignKeyConstraint(["tenant_id", "transaction_id"], ["transactions.tenant_id", "transactions.id"]),
    ForeignKeyConstraint(["tenant_id", "account_id"], ["accounts.tenant_id", "accounts.id"]),
    CheckConstraint("amount <> 0", name="nonzero"),
    Index("ix_postings_tx", "tenant_id", "transaction_id"),
    Index("ix_postings_account", "tenant_id", "account_id"),
)

lots = Table(
    "lots",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("account_id", Uuid, nullable=False),
    Column("transaction_id", Uuid, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("amount", Amount, nullable=False),
    # A maintained summary: amount plus the postings that consumed or restored the lot.
    Column("remaining", Amount, nullable=False),
    Column("earned_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=True),
    ForeignKeyConstraint(["tenant_id", "account_id"], ["accounts.tenant_id", "accounts.id"]),
    ForeignKeyConstraint(["tenant_id", "transaction_id"], ["transactions.tenant_id", "transactions.id"]),
    CheckConstraint("remaining >= 0 and remaining <= amount", name="remaining"),
    Index("ix_lots_open", "tenant_id", "account_id", "expires_at"),
    # The expiry job's search: only lots with points left, so each run reads the lots due, not
    # every lot the tenant ever had (docs/guides/scale.md).
    Index("ix_lots_expiring", "tenant_id", "expires_at", postgresql_where=text("remaining > 0"),
          sqlite_where=text("remaining > 0")),
)

chain_heads = Table(
    "chain_heads",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
)

# --- configuration and catalogue (JF-ORG-3, JF-CAT-3, JF-CAT-6) ------------------------------

tenant_configs = Table(
    "tenant_configs",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("applied_at", Timestamp, nullable=False),
    Column("approved_by", String(200), nullable=False),
    Column("source", String(200), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("config", JSON, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
)

catalogue_items = Table(
    "catalogue_items",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("category", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("definition", JSON, nullable=False),
    Column("published_at", Timestamp, nullable=False),
    Column("config_version", Integer, nullable=False),
    Column("contributed_by", String(200), nullable=False),
    ForeignKeyConstraint(["tenant_id", "config_version"],
                         ["tenant_configs.tenant_id", "tenant_configs.version"]),
)

roles = Table(
    "roles",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, primary_key=True),
    Column("role", String(32), primary_key=True),
    Column("org_unit_id", Uuid, primary_key=True),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    ForeignKeyConstraint(["tenant_id", "org_unit_id"], ["org_units.tenant_id", "org_units.id"]),
)

# --- claims, notices, objections, appeals (JF-EARN-*, JF-DUE-*) ------------------------------

notice_batches = Table(
    "notice_batches",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("org_unit_id", Uuid, nullable=False),
    Column("published_by", Uuid, nullable=False),
    Column("published_at", Timestamp, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("closed_at", Timestamp, nullable=True),
    ForeignKeyConstraint(["tenant_id", "org_unit_id"], ["org_units.tenant_id", "org_units.id"]),
)

CLAIM_STATES = ("submitted", "approved", "rejected", "in_notice", "objected", "final",
                "withdrawn", "reversed")

claims = Table(
    "claims",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("idempotency_key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("item_code", String(64), nullable=False),
    Column("item_version", Date, nullable=False),
    Column("category", String(64), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("deed_date", Date, nullable=False),
    Column("units", Integer, nullable=True),
    Column("requested", Amount, nullable=True),
    Column("amount", Amount, nullable=True),
    Column("evidence", JSON, nullable=False),
    Column("evidence_fingerprint", String(64), nullable=False),
    # JF-EARN-5: set while the claim can still lead to an award; NULL once rejected/withdrawn.
    Column("deed_key", String(64), nullable=True),
    Column("state", String(16), nullable=False),
    Column("submitted_by", Uuid, nullable=True),
    Column("submitted_at", Timestamp, nullable=False),
    Column("reviewed_by", Uuid, nullable=True),
    Column("reviewed_at", Timestamp, nullable=True),
    Column("cap_note", String(200), nullable=True),
    Column("reason", String(500), nullable=True),
    Column("notice_batch_id", Uuid, nullable=True),
    Column("notice_ends_on", Date, nullable=True),
    Column("transaction_id", Uuid, nullable=True),
    Column("decided_at", Timestamp, nullable=True),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    ForeignKeyConstraint(["tenant_id", "item_code", "item_version"],
                         ["catalogue_items.tenant_id", "catalogue_items.code",
                          "catalogue_items.valid_from"]),
    ForeignKeyConstraint(["tenant_id", "notice_batch_id"],
                         ["notice_batches.tenant_id", "notice_batches.id"]),
    UniqueConstraint("tenant_id", "idempotency_key"),
    UniqueConstraint("tenant_id", "deed_key"),
    CheckConstraint("state in ('submitted','approved','rejected','in_notice','objected','final',"
                    "'withdrawn','reversed')", name="state"),
    Index("ix_claims_subject", "tenant_id", "subject_id", "deed_date"),
    Index("ix_claims_state", "tenant_id", "state", "notice_ends_on"),
    Index("ix_claims_batch", "tenant_id", "notice_batch_id"),
)

objections = Table(
    "objections",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("claim_id", Uuid, nullable=False),
    Column("raised_by", Uuid, nullable=True),
    Column("raised_at", Timestamp, nullable=False),
    Column("grounds", String(1000), nullable=False),
    Column("state", String(16), nullable=False),
    Column("decided_by", Uuid, nullable=True),
    Column("decided_at", Timestamp, nullable=True),
    Column("decision_reason", String(1000), nullable=True),
    ForeignKeyConstraint(["tenant_id", "claim_id"], ["claims.tenant_id", "claims.id"]),
    CheckConstraint("state in ('open','upheld','dismissed')", name="state"),
    Index("ix_objections_claim", "tenant_id", "claim_id"),
)

appeals = Table(
    "appeals",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("claim_id", Uuid, nullable=False),
    Column("filed_by", Uuid, nullable=False),
    Column("filed_at", Timestamp, nullable=False),
    Column("grounds", String(1000), nullable=False),
    Column("state", String(16), nullable=False),
    Column("decided_by", Uuid, nullable=True),
    Column("decided_at", Timestamp, nullable=True),
    Column("decision_reason", String(1000), nullable=True),
    ForeignKeyConstraint(["tenant_id", "claim_id"], ["claims.tenant_id", "claims.id"]),
    CheckConstraint("state in ('open','upheld','dismissed')", name="state"),
    Index("ix_appeals_claim", "tenant_id", "claim_id"),
)

# --- the administrative audit log (JF-DUE-5, JF-EARN-2) ---------------------------------------

audit_log = Table(
    "audit_log",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),  # UUIDv7: ordered by time of writing
    Column("at", Timestamp, nullable=False),
    Column("actor_id", Uuid, nullable=True),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity", String(32), nullable=False),
    Column("entity_id", Uuid, nullable=True),
    Column("reason", String(1000), nullable=False),
    Column("data", JSON, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    Index("ix_audit_log_entity", "tenant_id", "entity_id"),
)

pools = Table(
    "pools",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("code", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    # Whose budget line it is: a department, a street or a sponsor (JF-FUND-1).
    Column("owner", String(200), nullable=False),
    Column("kind", String(32), nullable=False),
    # The most points the pool may have outstanding as issued; raised by a new configuration.
    Column("limit_points", Amount, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    UniqueConstraint("tenant_id", "code"),
    CheckConstraint("limit_points >= 0", name="limit"),
)

# --- signed short-lived codes (JF-CODE-*) -----------------------------------------------------

code_keys = Table(
    "code_keys",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("key_id", String(32), primary_key=True),
    Column("public_key", LargeBinary(32), nullable=False),  # raw Ed25519 public key
    # Encrypted with the tenant's derived key (TenantKeys.encrypt); never in clear.
    Column("private_key_enc", LargeBinary, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    # Set when a newer key takes over signing; codes it signed still verify until they expire.
    Column("retired_at", Timestamp, nullable=True),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
)

used_codes = Table(
    "used_codes",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    # The primary key makes a pay code single-use, also under concurrency (JF-CODE-1).
    Column("code_id", Uuid, primary_key=True),
    Column("purpose", String(32), nullable=False),
    Column("subject_id", Uuid, nullable=True),
    Column("used_at", Timestamp, nullable=False),
    Column("expires_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    Index("ix_used_codes_expires", "tenant_id", "expires_at"),
)

# --- scenarios: consent, decisions, marks, counters, bookings, quota rounds (JF-SCN-*) -------

scenario_consents = Table(
    "scenario_consents",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),  # UUIDv7; the latest record is the current state
    Column("scenario", String(64), nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("granted", Boolean, nullable=False),
    Column("given_by", Uuid, nullable=False),
    Column("via", String(16), nullable=False),
    Column("created_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    ForeignKeyConstraint(["tenant_id", "given_by"], ["subjects.tenant_id", "subjects.id"]),
    Index("ix_scenario_consents_subject", "tenant_id", "scenario", "subject_id"),
)

scenario_decisions = Table(
    "scenario_decisions",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("scenario", String(64), nullable=False),
    Column("subject_id", Uuid, nullable=True),  # NULL for a decision about a whole round
    Column("kind", String(32), nullable=False),
    Column("as_of", Timestamp, nullable=False),
    Column("score_value", String(64), nullable=True),  # an exact decimal, as text
    Column("method", String(100), nullable=True),
    Column("method_version", String(50), nullable=True),
    Column("rule", JSON, nullable=False),
    Column("rule_version", String(80), nullable=False),
    Column("inputs", JSON, nullable=False),
    Column("result", JSON, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    Index("ix_scenario_decisions_subject", "tenant_id", "scenario", "subject_id"),
)

scenario_marks = Table(
    "scenario_marks",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("scenario", String(64), nullable=False),
    Column("subject_id", Uuid, nullable=False),  # whose points were used (a guardian for a child)
    Column("amount", Amount, nullable=False),  # tenths of a moral point; negative undoes a mark
    Column("decision_id", Uuid, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    ForeignKeyConstraint(["tenant_id", "decision_id"],
                         ["scenario_decisions.tenant_id", "scenario_decisions.id"]),
    Index("ix_scenario_marks_subject", "tenant_id", "scenario", "subject_id"),
)

scenario_counters = Table(
    "scenario_counters",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("scenario", String(64), primary_key=True),
    # unit:<unit>:<day> or subject:<id>:<YYYY-MM>; raised only by a conditional UPDATE
    Column("key", String(200), primary_key=True),
    Column("used", Integer, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    CheckConstraint("used >= 0", name="used"),
)

scenario_bookings = Table(
    "scenario_bookings",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("scenario", String(64), nullable=False),
    Column("subject_id", Uuid, nullable=False),
    Column("unit", String(100), nullable=False),
    Column("day", Date, nullable=False),
    Column("state", String(16), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("decision_id", Uuid, nullable=False),
    Column("transaction_id", Uuid, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("cancelled_at", Timestamp, nullable=True),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
    ForeignKeyConstraint(["tenant_id", "decision_id"],
                         ["scenario_decisions.tenant_id", "scenario_decisions.id"]),
    UniqueConstraint("tenant_id", "scenario", "idempotency_key"),
    CheckConstraint("state in ('booked','cancelled')", name="state"),
)

scenario_rounds = Table(
    "scenario_rounds",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("scenario", String(64), nullable=False),
    Column("name", String(200), nullable=False),
    Column("quotas", JSON, nullable=False),
    Column("opens_at", Timestamp, nullable=False),
    Column("closes_at", Timestamp, nullable=False),
    Column("seed_sha256", String(64), nullable=False),  # published at creation
    Column("seed_enc", LargeBinary, nullable=False),  # encrypted until the window closes
    Column("state", String(16), nullable=False),
    Column("created_by", Uuid, nullable=True),
    Column("created_at", Timestamp, nullable=False),
    Column("draw_decision_id", Uuid, nullable=True),
    Column("published_by", Uuid, nullable=True),
    Column("notice_starts_on", Date, nullable=True),
    Column("notice_ends_on", Date, nullable=True),
    Column("finalised_at", Timestamp, nullable=True),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
    CheckConstraint("state in ('open','drawn','in_notice','final')", name="state"),
)

scenario_applications = Table(
    "scenario_applications",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("round_id", Uuid, nullable=False),
    Column("applicant_id", Uuid, nullable=False),
    Column("slot", String(100), nullable=False),
    Column("applied_by", Uuid, nullable=False),
    Column("applied_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "round_id"], ["scenario_rounds.tenant_id", "scenario_rounds.id"]),
    ForeignKeyConstraint(["tenant_id", "applicant_id"], ["subjects.tenant_id", "subjects.id"]),
    UniqueConstraint("tenant_id", "round_id", "applicant_id"),
)

scenario_round_objections = Table(
    "scenario_round_objections",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("id", Uuid, primary_key=True),
    Column("round_id", Uuid, nullable=False),
    Column("application_id", Uuid, nullable=False),
    Column("raised_by", Uuid, nullable=True),
    Column("raised_at", Timestamp, nullable=False),
    Column("grounds", String(1000), nullable=False),
    Column("state", String(16), nullable=False),
    Column("decided_by", Uuid, nullable=True),
    Column("decided_at", Timestamp, nullable=True),
    Column("decision_reason", String(1000), nullable=True),
    ForeignKeyConstraint(["tenant_id", "application_id"],
                         ["scenario_applications.tenant_id", "scenario_applications.id"]),
    CheckConstraint("state in ('open','upheld','dismissed')", name="state"),
    Index("ix_scenario_round_objections_round", "tenant_id", "round_id"),
)

SCENARIO_APPEND_ONLY_TABLES: tuple[str, ...] = ("scenario_consents", "scenario_decisions",
                                                "scenario_marks")
"""The scenario tables whose rows are never updated or deleted (triggers, migration 0006)."""

# --- the HTTP interface: idempotency records and demo passwords (JF-API-*, JF-PRIV-1) -------

api_idempotency = Table(
    "api_idempotency",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    # Keys are scoped per tenant and principal (the token's subject): two callers never collide.
    Column("principal", String(200), primary_key=True),
    Column("key", String(200), primary_key=True),
    Column("method", String(10), nullable=False),
    Column("path", String(500), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id"], ["tenants.id"]),
)

api_passwords = Table(
    "api_passwords",
    metadata,
    Column("tenant_id", Uuid, primary_key=True),
    Column("subject_id", Uuid, primary_key=True),
    # An argon2id hash (argon2-cffi's encoded form); never the password.
    Column("hash", String(200), nullable=False),
    Column("updated_at", Timestamp, nullable=False),
    ForeignKeyConstraint(["tenant_id", "subject_id"], ["subjects.tenant_id", "subjects.id"]),
)

APPEND_ONLY_TABLES: tuple[str, ...] = ("transactions", "postings", "audit_log", "catalogue_items",
                                       "tenant_configs")
"""Tables whose rows are never updated or deleted; triggers enforce it in the database."""
