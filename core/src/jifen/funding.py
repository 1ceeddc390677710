"""Funding pools: every material point is issued from a funded budget line (JF-FUND-1, JF-FUND-2).

A pool is a department's, a street's or a sponsor's budget line with a limit, defined in the
tenant file (``pools:``). Its ledger account ``pool:material:<code>`` is debited by every
issuance from it, so what a pool has issued is minus that account's balance and is never
counted twice. Issuing checks the limit under a lock on the pool's row, in the same database
transaction as the posting: past the limit the issuance is refused and nothing is posted.

Provenance: a point keeps the lot it was issued in, and a lot keeps the transaction that
created it, so :func:`lot_pools` says which pool paid for the points a redemption consumed;
that is what a settlement run bills each pool for (JF-FUND-2).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass

from pydantic import BaseModel
from sqlalchemy import Connection, insert, select, update

from jifen.clock import Clock
from jifen.config import Pool
from jifen.errors import LimitBelowIssued, NotFound, PoolExhausted
from jifen.ledger import Ledger, Poster, subject_account, system_account
from jifen.model import Leg, TransactionRequest, TransactionView, new_id
from jifen.store import tables as t
from jifen.store.db import Database

KIND = "material"


def pool_account(code: str) -> str:
    """The ledger account a pool issues from, e.g. ``pool:material:civil-affairs``."""
    return system_account("pool", KIND, code)


class PoolStatus(BaseModel):
    """A pool with what it has issued and what room is left (points)."""

    code: str
    name: str
    owner: str
    limit_points: int
    issued: int

    @property
    def remaining(self) -> int:
        return self.limit_points - self.issued


@dataclass(frozen=True)
class Issue:
    """One issuance of material points from a pool to a subject."""

    pool: str
    subject_id: uuid.UUID
    amount: int
    idempotency_key: str
    memo: str
    metadata: Mapping[str, str]

    def request(self) -> TransactionRequest:
        return TransactionRequest(
            idempotency_key=self.idempotency_key,
            legs=(Leg(account=pool_account(self.pool), amount=-self.amount),
                  Leg(account=subject_account(self.subject_id, KIND), amount=self.amount)),
            memo=self.memo, metadata={**self.metadata, "pool": self.pool})


class Funding:
    """The pools of every tenant; issuance within their limits."""

    def __init__(self, db: Database, ledger: Ledger, clock: Clock) -> None:
        self.db, self.ledger, self.clock = db, ledger, clock

    def pools(self, tenant_id: uuid.UUID) -> list[PoolStatus]:
        with self.db.read() as conn:
            rows = conn.execute(select(t.pools).where(t.pools.c.tenant_id == tenant_id)
                                .order_by(t.pools.c.code)).mappings().all()
            issued = _issued(conn, tenant_id, [r["code"] for r in rows])
        return [PoolStatus(code=r["code"], name=r["name"], owner=r["owner"],
                           limit_points=int(r["limit_points"]), issued=issued[r["code"]])
                for r in rows]

    def pool(self, tenant_id: uuid.UUID, code: str) -> PoolStatus:
        for status in self.pools(tenant_id):
            if status.code == code:
                return status
        raise NotFound(f"no funding pool {code!r} in this tenant", pool=code)

    def issue(self, tenant_id: uuid.UUID, issue: Issue) -> TransactionView:
        """Issue material points from a pool, or refuse with `funding.pool_exhausted`."""
        return self.issue_many(tenant_id, [issue])[0]

    def issue_many(self, tenant_id: uuid.UUID, issues: list[Issue]) -> list[TransactionView]:
        """Issue a batch in one database transaction: all of it or (any pool short) none."""
        def work(conn: Connection, post: Poster) -> list[TransactionView]:
            draw(conn, tenant_id, issues)
            return post([i.request() for i in issues])

        return self.ledger.run(tenant_id, work)


def draw(conn: Connection, tenant_id: uuid.UUID, issues: Iterable[Issue]) -> None:
    """Inside a ledger transaction: lock the pools drawn on and check their limits.

    Issuances whose idempotency key has already posted are replays and draw nothing. Raises
    `funding.pool_exhausted` naming the pool if any would pass its limit.
    """
    pending = list(issues)
    done = _posted_keys(conn, tenant_id, [i.idempotency_key for i in pending])
    demand: dict[str, int] = {}
    for item in pending:
        if item.idempotency_key not in done:
            demand[item.pool] = demand.get(item.pool, 0) + item.amount
    if not demand:
        return
    limits = _lock_pools(conn, tenant_id, sorted(demand))
    issued = _issued(conn, tenant_id, list(demand))
    for code, amount in sorted(demand.items()):
        room = limits[code] - issued[code]
        if amount > room:
            raise PoolExhausted(
                f"pool {code!r} has {room} points left of its limit {limits[code]}; "
                f"{amount} were asked for", pool=code, remaining=str(room))


def sync_pools(conn: Connection, tenant_id: uuid.UUID, pools: list[Pool], clock: Clock) -> int:
    """Create the pools a tenant file adds and update the others; return how many changed.

    A pool is never removed; its limit may not go below what it has issued.
    """
    existing = {r.code: r for r in conn.execute(select(t.pools).where(
        t.pools.c.tenant_id == tenant_id))}
    issued = _issued(conn, tenant_id, [p.code for p in pools if p.code in existing])
    changed = 0
    for pool in pools:
        values = {"name": pool.name, "owner": pool.owner, "limit_points": pool.limit_points}
        row = existing.get(pool.code)
        if row is None:
            conn.execute(insert(t.pools).values(tenant_id=tenant_id, id=new_id(), code=pool.code,
                                                kind=KIND, created_at=clock.now(), **values))
        elif (row.name, row.owner, int(row.limit_points)) != tuple(values.values()):
            if pool.limit_points < issued[pool.code]:
                raise LimitBelowIssued(
                    f"pool {pool.code!r} has issued {issued[pool.code]} points; its limit cannot "
                    f"go down to {pool.limit_points}", pool=pool.code)
            conn.execute(update(t.pools).where(t.pools.c.tenant_id == tenant_id,
                                               t.pools.c.id == row.id).values(**values))
        else:
            continue
        changed += 1
    return changed


def lot_pools(conn: Connection, tenant_id: uuid.UUID,
              lot_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The pool that issued each lot (lots not issued from a pool are left out)."""
    if not lot_ids:
        return {}
    prefix = f"pool:{KIND}:"
    rows = conn.execute(
        select(t.lots.c.id, t.accounts.c.code)
        .join(t.postings, (t.postings.c.tenant_id == t.lots.c.tenant_id)
              & (t.postings.c.transaction_id == t.lots.c.transaction_id))
        .join(t.accounts, (t.accounts.c.tenant_id == t.postings.c.tenant_id)
              & (t.accounts.c.id == t.postings.c.account_id))
        .where(t.lots.c.tenant_id == tenant_id, t.lots.c.id.in_(list(lot_ids)),
               t.accounts.c.code.startswith(prefix, autoescape=True)))
    return {row.id: row.code.removeprefix(prefix) for row in rows}


def _lock_pools(conn: Connection, tenant_id: uuid.UUID, codes: list[str]) -> dict[str, int]:
    query = (select(t.pools.c.code, t.pools.c.limit_points)
             .where(t.pools.c.tenant_id == tenant_id, t.pools.c.code.in_(codes))
             .order_by(t.pools.c.code))
    if conn.dialect.name != "sqlite":  # SQLite serialises writers already
        query = query.with_for_update()
    limits = {row.code: int(row.limit_points) for row in conn.execute(query)}
    for code in codes:
        if code not in limits:
            raise NotFound(f"no funding pool {code!r} in this tenant", pool=code)
    return limits


def _issued(conn: Connection, tenant_id: uuid.UUID, codes: list[str]) -> dict[str, int]:
    """Minus the balance of each pool's account: what it has issued, net of reversals."""
    accounts = {pool_account(code): code for code in codes}
    found = {accounts[row.code]: -int(row.balance) for row in conn.execute(
        select(t.accounts.c.code, t.accounts.c.balance).where(
            t.accounts.c.tenant_id == tenant_id, t.accounts.c.code.in_(list(accounts))))}
    return {code: found.get(code, 0) for code in codes}


def _posted_keys(conn: Connection, tenant_id: uuid.UUID, keys: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(keys), 500):
        found.update(conn.execute(select(t.transactions.c.idempotency_key).where(
            t.transactions.c.tenant_id == tenant_id,
            t.transactions.c.idempotency_key.in_(keys[start:start + 500]))).scalars())
    return found
