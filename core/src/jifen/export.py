"""A resident's export of all of their data (JF-PRIV-3).

One JSON-ready document per subject: who they are (with their national ID and phone decrypted,
since it is their own data), their households, every account with its balance and every
posting with its provenance, their claims with the objections and appeals on them, the
scenario consents and decisions about them, and the audit entries about them. Served to the
resident themself (`GET /v1/tenants/{tenant}/subjects/me/export`) or printed by an operator at a
service counter (`jifen export`, JF-PRIV-5).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from pydantic_core import to_jsonable_python
from sqlalchemy import Connection, or_, select

from jifen import audit_log, subjects
from jifen.ledger import subject_account
from jifen.store import tables as t

if TYPE_CHECKING:
    from jifen.platform import Platform

EXPORT_VERSION = 1


def subject_data(platform: Platform, tenant_id: uuid.UUID, subject_id: uuid.UUID
                 ) -> dict[str, Any]:
    """Everything the platform holds about one subject, as JSON-ready data."""
    keys = platform.keys(tenant_id)
    with platform.db.read() as conn:
        subject = subjects.get_subject(conn, tenant_id, subject_id)
        identity = {field: subjects.reveal(conn, keys, tenant_id, subject_id, field)
                    for field in ("national_id", "phone")}
        households = [dict(r) for r in conn.execute(select(
            t.household_links.c.household_id, t.household_links.c.role).where(
            t.household_links.c.tenant_id == tenant_id,
            t.household_links.c.member_id == subject_id)).mappings()]
        codes = list(conn.execute(select(t.accounts.c.code, t.accounts.c.kind,
                                         t.accounts.c.balance).where(
            t.accounts.c.tenant_id == tenant_id,
            t.accounts.c.subject_id == subject_id).order_by(t.accounts.c.code)).mappings())
        scenario = _scenario_rows(conn, tenant_id, subject_id)
        about = audit_log.entries(conn, tenant_id, entity_id=subject_id)
        appeals = [dict(r) for r in conn.execute(select(t.appeals).where(
            t.appeals.c.tenant_id == tenant_id, t.appeals.c.filed_by == subject_id)
            .order_by(t.appeals.c.id)).mappings()]
    claims = platform.claims.of_subject(tenant_id, subject_id)
    document: dict[str, Any] = to_jsonable_python({
        "export_version": EXPORT_VERSION,
        "subject": subject.model_dump(),
        "identity": identity,
        "households": households,
        "accounts": [{"account": r["code"], "kind": r["kind"], "balance": int(r["balance"])}
                     for r in codes],
        "postings": _postings(platform, tenant_id, subject_id, [r["kind"] for r in codes]),
        "claims": [c.model_dump() for c in claims],
        "objections": [o.model_dump() for c in claims
                       for o in platform.claims.objections(tenant_id, c.id)],
        "appeals": appeals,
        **scenario,
        "audit": [e.model_dump() for e in about],
    })
    return document


def _postings(platform: Platform, tenant_id: uuid.UUID, subject_id: uuid.UUID,
              kinds: list[str]) -> list[dict[str, Any]]:
    rows = []
    for kind in kinds:
        account = subject_account(subject_id, kind)
        for view in platform.ledger.history(tenant_id, account):
            rows += [{"transaction": view.id, "posted_at": view.created_at, "kind": kind,
                      "amount": p.amount, "lot": p.lot_id, "memo": view.memo,
                      "provenance": dict(view.metadata), "reverses": view.reverses_id}
                     for p in view.postings if p.account == account]
    return rows


def _scenario_rows(conn: Connection, tenant_id: uuid.UUID, subject_id: uuid.UUID
                   ) -> dict[str, list[dict[str, Any]]]:
    consents = t.scenario_consents.c
    decisions = t.scenario_decisions.c
    return {
        "consents": [dict(r) for r in conn.execute(select(t.scenario_consents).where(
            consents.tenant_id == tenant_id,
            or_(consents.subject_id == subject_id, consents.given_by == subject_id))
            .order_by(consents.id)).mappings()],
        "scenario_decisions": [dict(r) for r in conn.execute(select(t.scenario_decisions).where(
            decisions.tenant_id == tenant_id, decisions.subject_id == subject_id)
            .order_by(decisions.id)).mappings()],
    }
