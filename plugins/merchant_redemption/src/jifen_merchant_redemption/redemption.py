"""Redeeming points at a merchant inside one ledger transaction (JF-RED-2, JF-RED-3, JF-RED-5).

:func:`redeem_in` is the ``work`` of a `Ledger.run`: it consumes the pay code, posts the points
from the resident's material account to the merchant's settlement account (the ledger takes the
soonest-expiring lots first and refuses an overdraft), and records the redemption with the lots
and pools it drew on — all in the same database transaction.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from jifen import audit_log
from jifen.codes import Codes
from jifen.funding import lot_pools
from jifen.ledger import Poster, subject_account, system_account
from jifen.model import Leg, TransactionRequest, TransactionView, new_id

from . import merchants
from . import tables as mt
from .errors import NothingToRedeem, RedemptionKeyConflict, TooManyPoints
from .models import Merchant, Redemption
from .rules import Quote, value_of

KIND = "material"
UNFUNDED = "_issuance"
"""The pool name for points from lots not issued from a funding pool (e.g. `Platform.award`)."""

QuoteFor = Callable[[uuid.UUID, Merchant, int, uuid.UUID | None], Quote]


@dataclass(frozen=True)
class RedeemRequest:
    """What a caller asks for; its hash decides whether a reused idempotency key is a retry."""

    tenant_id: uuid.UUID
    merchant_id: uuid.UUID
    bill_fen: int
    pay_code: str
    idempotency_key: str
    points: int | None

    def hash(self) -> str:
        body = {"merchant": str(self.merchant_id), "bill_fen": self.bill_fen,
                "points": self.points,
                "code": hashlib.sha256(self.pay_code.encode()).hexdigest()}
        return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def settlement_account(merchant_id: uuid.UUID) -> str:
    """A merchant's settlement account, ``settlement:material:<merchant subject id>`` (JF-FUND-2)."""
    return system_account("settlement", KIND, str(merchant_id))


def redeem_in(conn: Connection, post: Poster, request: RedeemRequest, *, codes: Codes,
              quote_for: QuoteFor, now: datetime) -> Redemption:
    """The work of one redemption; see the module docstring."""
    tenant_id = request.tenant_id
    existing = find_by_key(conn, tenant_id, request.idempotency_key)
    if existing is not None:
        return same_request(conn, existing, request.hash())
    merchant = merchants.get(conn, tenant_id, request.merchant_id)
    code = codes.consume(conn, tenant_id, request.pay_code, "pay")
    quote = quote_for(tenant_id, merchant, request.bill_fen, code.subject_id)
    points = _choose(quote, request.points)
    view = post([_transaction(request, merchant.id, code.subject_id, points)])[0]
    lots = _consumed_lots(view, subject_account(code.subject_id, KIND))
    pools = lot_pools(conn, tenant_id, [lot for lot, _ in lots])
    redemption_id = new_id()
    row: dict[str, Any] = {"tenant_id": tenant_id, "id": redemption_id, "merchant_id": merchant.id,
           "resident_id": code.subject_id, "idempotency_key": request.idempotency_key,
           "request_hash": request.hash(), "code_id": code.code_id,
           "bill_fen": request.bill_fen, "cap_percent": quote.cap_percent, "rate": quote.rate,
           "cap_fen": quote.cap_fen, "points": points, "value_fen": value_of(points, quote.rate),
           "refund_window_days": merchant.refund_window_days, "refunded_fen": 0,
           "refunded_points": 0, "transaction_id": view.id, "created_at": now,
           "settled_at": None, "settlement_run_id": None}
    shares = _record(conn, row, lots, pools)
    audit_log.record(conn, tenant_id, now, merchant.id, "redemption.redeemed", "redemption",
                     redemption_id, "", {"bill_fen": str(request.bill_fen), "points": str(points),
                                     "resident": str(code.subject_id),
                                     "transaction": str(view.id)})
    return _redemption(row, shares)


def _choose(quote: Quote, asked: int | None) -> int:
    if quote.max_points <= 0:
        raise NothingToRedeem(
            f"no points can be used on this bill: the cap allows {quote.cap_fen} fen and the "
            f"resident has {quote.balance} usable points", cap_fen=str(quote.cap_fen))
    if asked is None:
        return quote.max_points
    if asked > quote.max_points:
        raise TooManyPoints(f"at most {quote.max_points} points can be used on this bill, "
                            f"not {asked}", max_points=str(quote.max_points))
    return asked


def _transaction(request: RedeemRequest, merchant_id: uuid.UUID, resident_id: uuid.UUID,
                 points: int) -> TransactionRequest:
    return TransactionRequest(
        idempotency_key=f"redemption:{request.idempotency_key}",
        legs=(Leg(account=subject_account(resident_id, KIND), amount=-points),
              Leg(account=settlement_account(merchant_id), amount=points)),
        memo="redemption at a merchant",
        metadata={"merchant": str(merchant_id), "bill_fen": str(request.bill_fen),
                  "plugin": "merchant_redemption"})


def _consumed_lots(view: TransactionView, account: str) -> list[tuple[uuid.UUID, int]]:
    """The lots the debit drew on, in the order the ledger consumed them, with the points."""
    return [(p.lot_id, -p.amount) for p in view.postings
            if p.account == account and p.amount < 0 and p.lot_id is not None]


def _record(conn: Connection, row: dict[str, Any], lots: list[tuple[uuid.UUID, int]],
            pools: dict[uuid.UUID, str]) -> dict[str, int]:
    conn.execute(insert(mt.redemptions).values(**row))
    tenant_id, redemption_id = row["tenant_id"], row["id"]
    shares: dict[str, int] = defaultdict(int)
    lot_rows = []
    for seq, (lot_id, points) in enumerate(lots):
        pool = pools.get(lot_id, UNFUNDED)
        shares[pool] += points
        lot_rows.append({"tenant_id": tenant_id, "redemption_id": redemption_id,
                         "lot_id": lot_id, "seq": seq, "pool": pool, "points": points,
                         "refunded_points": 0})
    conn.execute(insert(mt.redemption_lots), lot_rows)
    conn.execute(insert(mt.redemption_pools), [
        {"tenant_id": tenant_id, "redemption_id": redemption_id, "pool": pool,
         "points": points, "refunded_points": 0} for pool, points in sorted(shares.items())])
    return dict(shares)


def find_by_key(conn: Connection, tenant_id: uuid.UUID, key: str) -> dict[str, Any] | None:
    """The redemption recorded under an idempotency key, if any."""
    row = conn.execute(select(mt.redemptions).where(
        mt.redemptions.c.tenant_id == tenant_id,
        mt.redemptions.c.idempotency_key == key)).mappings().first()
    return dict(row) if row is not None else None


def same_request(conn: Connection, row: dict[str, Any], request_hash: str) -> Redemption:
    """JF-LED-3: the first result for the same request; a conflict for another one."""
    if row["request_hash"] != request_hash:
        raise RedemptionKeyConflict(
            f"idempotency key {row['idempotency_key']!r} was used for another redemption",
            idempotency_key=row["idempotency_key"])
    return load(conn, row)


def load(conn: Connection, row: dict[str, Any]) -> Redemption:
    """A redemption row with its pool shares."""
    shares = conn.execute(select(mt.redemption_pools.c.pool, mt.redemption_pools.c.points).where(
        mt.redemption_pools.c.tenant_id == row["tenant_id"],
        mt.redemption_pools.c.redemption_id == row["id"])).all()
    return _redemption(row, {pool: int(points) for pool, points in shares})


def _redemption(row: dict[str, Any], shares: dict[str, int]) -> Redemption:
    fields = {name: row[name] for name in Redemption.model_fields if name != "pools"}
    return Redemption(**fields, pools=dict(sorted(shares.items())))
