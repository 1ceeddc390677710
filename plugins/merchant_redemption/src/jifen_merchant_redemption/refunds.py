"""Refunds within the merchant's refund window, in full or in proportion (JF-RED-4).

A full refund of an untouched redemption is the ledger reversal of its transaction. A partial
refund returns ``ceil(points × refund_fen / bill_fen)`` points (the resident's favour), capped by
what is not yet refunded, from the merchant's settlement account to the resident, with each leg
pinned to a lot the redemption consumed (latest-consumed first), so the points go back to their
lots and keep their expiry and their pool. Settled redemptions are not refunded.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from jifen import audit_log
from jifen.ledger import Poster, subject_account
from jifen.model import Leg, TransactionRequest, new_id

from . import tables as mt
from .errors import (
    AlreadySettled,
    FullyRefunded,
    InvalidBill,
    RedemptionKeyConflict,
    RefundWindowClosed,
    UnknownRedemption,
)
from .models import Refund
from .redemption import KIND, settlement_account
from .rules import refund_points


@dataclass(frozen=True)
class RefundRequest:
    """What a caller asks for; its hash decides whether a reused idempotency key is a retry."""

    tenant_id: uuid.UUID
    redemption_id: uuid.UUID
    refund_fen: int | None
    idempotency_key: str

    def hash(self) -> str:
        body = {"redemption": str(self.redemption_id), "refund_fen": self.refund_fen}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def refund_in(conn: Connection, post: Poster, request: RefundRequest, now: datetime) -> Refund:
    """The work of one refund; see the module docstring."""
    existing = _find_by_key(conn, request.tenant_id, request.idempotency_key)
    if existing is not None:
        if existing["request_hash"] != request.hash():
            raise RedemptionKeyConflict(
                f"idempotency key {request.idempotency_key!r} was used for another refund",
                idempotency_key=request.idempotency_key)
        return Refund(**{name: existing[name] for name in Refund.model_fields})
    row = _lock_redemption(conn, request.tenant_id, request.redemption_id)
    amount = _check(row, request.refund_fen, now)
    if row["refunded_fen"] == 0 and amount == row["bill_fen"]:
        points = int(row["points"])
        tx_id: uuid.UUID | None = post.reverse(
            row["transaction_id"], f"refund:{request.idempotency_key}", "full refund").id
        _mark_lots(conn, row, None)
    else:
        points = refund_points(int(row["points"]), amount, int(row["bill_fen"]),
                               int(row["refunded_points"]))
        tx_id = _return_points(conn, post, row, points, request.idempotency_key)
    refund = Refund(tenant_id=request.tenant_id, id=new_id(), redemption_id=row["id"],
                    idempotency_key=request.idempotency_key, refund_fen=amount, points=points,
                    transaction_id=tx_id, created_at=now)
    _save(conn, row, refund, request.hash())
    return refund


def _check(row: dict[str, Any], refund_fen: int | None, now: datetime) -> int:
    """The fen to refund, or the reason there is no refund."""
    if row["settled_at"] is not None:
        raise AlreadySettled("the redemption has been settled; it can no longer be refunded",
                             redemption=str(row["id"]))
    closes = row["created_at"] + timedelta(days=int(row["refund_window_days"]))
    if now > closes:
        raise RefundWindowClosed(f"the refund window closed at {closes.isoformat()}",
                                 redemption=str(row["id"]))
    left = int(row["bill_fen"]) - int(row["refunded_fen"])
    if left == 0:
        raise FullyRefunded("the whole bill has been refunded already",
                            redemption=str(row["id"]))
    amount = left if refund_fen is None else refund_fen
    if not 0 < amount <= left:
        raise InvalidBill(f"a refund is 1 to {left} fen (the bill not yet refunded), "
                          f"not {amount}", refund_fen=str(amount))
    return amount


def _return_points(conn: Connection, post: Poster, row: dict[str, Any], points: int,
                   key: str) -> uuid.UUID | None:
    """Post ``points`` back from the settlement account, pinned to the consumed lots."""
    if points <= 0:
        return None
    pieces = _mark_lots(conn, row, points)
    resident = subject_account(row["resident_id"], KIND)
    legs = [Leg(account=settlement_account(row["merchant_id"]), amount=-points)]
    legs += [Leg(account=resident, amount=amount, lot_id=lot_id) for lot_id, amount in pieces]
    return post([TransactionRequest(
        idempotency_key=f"refund:{key}", legs=tuple(legs), memo="partial refund at a merchant",
        metadata={"redemption": str(row["id"]), "plugin": "merchant_redemption"})])[0].id


def _mark_lots(conn: Connection, row: dict[str, Any],
               points: int | None) -> list[tuple[uuid.UUID, int]]:
    """Take ``points`` (``None``: all that is left) from the redemption's lots, latest-consumed
    first; update the lots' and pools' refunded points; return (lot, points) pieces."""
    lots = conn.execute(select(mt.redemption_lots).where(
        mt.redemption_lots.c.tenant_id == row["tenant_id"],
        mt.redemption_lots.c.redemption_id == row["id"])
        .order_by(mt.redemption_lots.c.seq.desc())).mappings().all()
    need = sum(int(lot["points"]) - int(lot["refunded_points"]) for lot in lots) \
        if points is None else points
    pieces: list[tuple[uuid.UUID, int]] = []
    by_pool: dict[str, int] = {}
    for lot in lots:
        take = min(need, int(lot["points"]) - int(lot["refunded_points"]))
        if take <= 0:
            continue
        need -= take
        pieces.append((lot["lot_id"], take))
        by_pool[lot["pool"]] = by_pool.get(lot["pool"], 0) + take
        _add(conn, mt.redemption_lots, row, mt.redemption_lots.c.lot_id == lot["lot_id"], take)
    for pool, take in by_pool.items():
        _add(conn, mt.redemption_pools, row, mt.redemption_pools.c.pool == pool, take)
    return pieces


def _add(conn: Connection, table: Any, row: dict[str, Any], where: Any, points: int) -> None:
    conn.execute(update(table).where(
        table.c.tenant_id == row["tenant_id"], table.c.redemption_id == row["id"], where)
        .values(refunded_points=table.c.refunded_points + points))


def _save(conn: Connection, row: dict[str, Any], refund: Refund, request_hash: str) -> None:
    conn.execute(insert(mt.refunds).values(**refund.model_dump(), request_hash=request_hash))
    conn.execute(update(mt.redemptions).where(
        mt.redemptions.c.tenant_id == row["tenant_id"], mt.redemptions.c.id == row["id"])
        .values(refunded_fen=mt.redemptions.c.refunded_fen + refund.refund_fen,
                refunded_points=mt.redemptions.c.refunded_points + refund.points))
    audit_log.record(conn, refund.tenant_id, refund.created_at, row["merchant_id"],
                     "redemption.refunded", "redemption", row["id"], "",
                     {"refund_fen": str(refund.refund_fen), "points": str(refund.points),
                      "refund": str(refund.id)})


def _lock_redemption(conn: Connection, tenant_id: uuid.UUID,
                     redemption_id: uuid.UUID) -> dict[str, Any]:
    query = select(mt.redemptions).where(mt.redemptions.c.tenant_id == tenant_id,
                                         mt.redemptions.c.id == redemption_id)
    if conn.dialect.name != "sqlite":  # SQLite serialises writers already
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    if row is None:
        raise UnknownRedemption("no redemption with that id in this tenant",
                                redemption=str(redemption_id))
    return dict(row)


def _find_by_key(conn: Connection, tenant_id: uuid.UUID, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(mt.refunds).where(
        mt.refunds.c.tenant_id == tenant_id,
        mt.refunds.c.idempotency_key == key)).mappings().first()
    return dict(row) if row is not None else None
