"""Proof that the ledger adds up (JF-LED-5) and has not been tampered with (JF-LED-6).

:func:`verify` re-derives every balance and every lot from the postings, checks that each
transaction balances per kind, and recomputes the tenant's hash chain. Each disagreement is
reported with the row it concerns, so an operator can find it.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from jifen.ledger import GENESIS_HASH, chain_hash
from jifen.store import tables as t


@dataclass(frozen=True)
class Problem:
    check: str
    ref: str
    message: str

    def __str__(self) -> str:
        return f"{self.check} {self.ref}: {self.message}"


@dataclass
class AuditReport:
    transactions: int = 0
    postings: int = 0
    accounts: int = 0
    lots: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(conn: Connection, tenant_id: uuid.UUID) -> AuditReport:
    report = AuditReport()
    _verify_chain(conn, tenant_id, report)
    _verify_balances(conn, tenant_id, report)
    _verify_lots(conn, tenant_id, report)
    return report


def _verify_chain(conn: Connection, tenant_id: uuid.UUID, report: AuditReport) -> None:
    prev, expected_seq = GENESIS_HASH, 0
    postings = conn.execute(
        select(t.postings).where(t.postings.c.tenant_id == tenant_id)
        .order_by(t.postings.c.transaction_id)).mappings()
    by_tx: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for row in postings:
        by_tx[row["transaction_id"]].append(dict(row))
        report.postings += 1
    rows = conn.execute(select(t.transactions).where(t.transactions.c.tenant_id == tenant_id)
                        .order_by(t.transactions.c.seq)).mappings()
    for tx in rows:
        report.transactions += 1
        expected_seq += 1
        ref = f"transaction {tx['id']} (seq {tx['seq']})"
        if tx["seq"] != expected_seq:
            report.problems.append(Problem("chain", ref, f"sequence gap: expected {expected_seq}"))
            expected_seq = tx["seq"]
        legs = by_tx.pop(tx["id"], [])
        sums: dict[str, int] = defaultdict(int)
        for posting in legs:
            sums[posting["kind"]] += int(posting["amount"])
        for kind, total in sums.items():
            if total:
                report.problems.append(Problem("balance", ref, f"{kind} postings sum to {total}"))
        if tx["prev_hash"] != prev:
            report.problems.append(Problem("chain", ref, "previous hash does not match"))
        recomputed = chain_hash(prev, dict(tx), legs)
        if recomputed != tx["hash"]:
            report.problems.append(Problem(
                "chain", ref, "hash does not match its content: the transaction or one of its "
                f"postings ({', '.join(str(p['id']) for p in legs)}) was altered"))
        prev = tx["hash"]
    for tx_id in by_tx:
        report.problems.append(Problem("chain", f"transaction {tx_id}",
                                       "postings without a transaction"))
    head = conn.execute(select(t.chain_heads).where(
        t.chain_heads.c.tenant_id == tenant_id)).mappings().first()
    if head is None or head["seq"] != expected_seq or head["hash"] != prev:
        report.problems.append(Problem("chain", "chain head",
                                       "head does not match the last transaction"))


def _verify_balances(conn: Connection, tenant_id: uuid.UUID, report: AuditReport) -> None:
    sums = dict(conn.execute(
        select(t.postings.c.account_id, func.sum(t.postings.c.amount))
        .where(t.postings.c.tenant_id == tenant_id)
        .group_by(t.postings.c.account_id)).all())
    per_kind: dict[str, int] = defaultdict(int)
    for row in conn.execute(select(t.accounts).where(t.accounts.c.tenant_id == tenant_id)):
        report.accounts += 1
        derived = int(sums.get(row.id) or 0)
        per_kind[row.kind] += int(row.balance)
        if int(row.balance) != derived:
            report.problems.append(Problem(
                "balance", f"account {row.code}",
                f"balance {row.balance} but its postings sum to {derived}"))
    for kind, total in per_kind.items():
        if total:
            report.problems.append(Problem("balance", f"kind {kind}",
                                           f"accounts sum to {total}, not 0"))


def _verify_lots(conn: Connection, tenant_id: uuid.UUID, report: AuditReport) -> None:
    sums = dict(conn.execute(
        select(t.postings.c.lot_id, func.sum(t.postings.c.amount))
        .where(t.postings.c.tenant_id == tenant_id, t.postings.c.lot_id.is_not(None))
        .group_by(t.postings.c.lot_id)).all())
    for row in conn.execute(select(t.lots).where(t.lots.c.tenant_id == tenant_id)):
        report.lots += 1
        derived = int(sums.get(row.id) or 0)
        if int(row.remaining) != derived:
            report.problems.append(Problem(
                "lot", f"lot {row.id}", f"remaining {row.remaining} but postings give {derived}"))
