"""Merchants: enrolment, lookup and the cap in force (JF-RED-1).

A merchant is a jifen subject of type ``merchant`` plus this plugin's row (category, cap
override, refund window).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from jifen import subjects
from jifen.model import Subject

from . import tables as mt
from .errors import InvalidMerchant, UnknownMerchant
from .models import Merchant
from .rules import DEFAULT_CAPS

MAX_REFUND_WINDOW_DAYS = 365


def check_terms(category: str, cap_percent: int | None, refund_window_days: int) -> None:
    """Refuse an unknown category, a cap outside 1–100 % or a refund window outside 0–365 days."""
    if category not in DEFAULT_CAPS:
        raise InvalidMerchant(f"unknown merchant category {category!r}; expected one of "
                              f"{', '.join(DEFAULT_CAPS)}", category=category)
    if cap_percent is not None and not 1 <= cap_percent <= 100:
        raise InvalidMerchant(f"a cap is 1 to 100 percent, not {cap_percent}",
                              cap_percent=str(cap_percent))
    if not 0 <= refund_window_days <= MAX_REFUND_WINDOW_DAYS:
        raise InvalidMerchant(f"a refund window is 0 to {MAX_REFUND_WINDOW_DAYS} days",
                              refund_window_days=str(refund_window_days))


def enrol(conn: Connection, subject: Subject, category: str, cap_percent: int | None,
          refund_window_days: int, now: datetime) -> Merchant:
    """Insert the plugin's row for a merchant subject."""
    if subject.type != "merchant":
        raise InvalidMerchant(f"subject {subject.code} is a {subject.type}, not a merchant",
                              subject=subject.code)
    conn.execute(insert(mt.merchants).values(
        tenant_id=subject.tenant_id, subject_id=subject.id, category=category,
        cap_percent=cap_percent, refund_window_days=refund_window_days, created_at=now))
    return _merchant(subject, {"category": category, "cap_percent": cap_percent,
                               "refund_window_days": refund_window_days})


def get(conn: Connection, tenant_id: uuid.UUID, merchant_id: uuid.UUID) -> Merchant:
    """The merchant, or `redemption.unknown_merchant`."""
    row = conn.execute(select(mt.merchants).where(
        mt.merchants.c.tenant_id == tenant_id,
        mt.merchants.c.subject_id == merchant_id)).mappings().first()
    if row is None:
        raise UnknownMerchant("no merchant with that id in this tenant",
                              merchant=str(merchant_id))
    return _merchant(subjects.get_subject(conn, tenant_id, merchant_id), row)


def all_of(conn: Connection, tenant_id: uuid.UUID) -> list[Merchant]:
    """Every merchant of the tenant, by name."""
    rows = conn.execute(select(mt.merchants).where(
        mt.merchants.c.tenant_id == tenant_id)).mappings().all()
    found = [_merchant(subjects.get_subject(conn, tenant_id, row["subject_id"]), row)
             for row in rows]
    return sorted(found, key=lambda m: (m.name, m.code))


def _merchant(subject: Subject, row: Any) -> Merchant:
    override = row["cap_percent"]
    return Merchant(
        tenant_id=subject.tenant_id, id=subject.id, code=subject.code, name=subject.name,
        org_unit_id=subject.org_unit_id, category=row["category"],
        cap_percent_override=override,
        cap_percent=override if override is not None else DEFAULT_CAPS[row["category"]],
        refund_window_days=int(row["refund_window_days"]))
