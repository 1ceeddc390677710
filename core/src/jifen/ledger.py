"""The double-entry ledger (JF-LED-*, JF-EXP-1, JF-RED-5).

A transaction is a set of signed postings whose amounts sum to zero per kind; points are issued
from the ``issuance`` account and never appear from nowhere. Postings are append-only; a
correction is a reversal transaction, at most one per original. Every transaction carries an
idempotency key. Balances and lots are summaries maintained in the same database transaction
under row locks taken in one fixed order, and can always be re-derived (:mod:`jifen.audit`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pluggy
from pydantic import BaseModel
from sqlalchemy import Connection, and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from jifen.clock import Clock
from jifen.errors import (
    AlreadyReversed,
    IdempotencyConflict,
    InsufficientBalance,
    InvalidInput,
    KindNotTransferable,
    NotFound,
    UnbalancedTransaction,
)
from jifen.model import Leg, LotView, PostingView, TransactionRequest, TransactionView, new_id
from jifen.model.points import MAX_MINOR
from jifen.registry import Registry
from jifen.store import Database
from jifen.store import tables as t
from jifen.store.bulk import insert_many, set_many

log = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
ExpiryPolicy = Callable[[uuid.UUID, datetime], datetime | None]
"""Given a tenant and the time a lot is earned, the lot's expiry (``None``: never)."""
_T = TypeVar("_T")


# --- account codes -------------------------------------------------------------------------

def subject_account(subject_id: uuid.UUID, kind: str) -> str:
    """The code of a subject's own account of ``kind``."""
    return f"subject:{subject_id}:{kind}"


def system_account(account_type: str, kind: str, name: str | None = None) -> str:
    """The code of a tenant's system account, e.g. ``issuance:material``."""
    return f"{account_type}:{kind}" + (f":{name}" if name else "")


@dataclass(frozen=True)
class AccountName:
    code: str
    type: str
    kind: str
    subject_id: uuid.UUID | None


def parse_account(code: str, registry: Registry) -> AccountName:
    parts = code.split(":")
    if parts[0] == "subject":
        if len(parts) != 3:
            raise InvalidInput(f"account {code!r}: expected subject:<id>:<kind>", account=code)
        try:
            subject_id = uuid.UUID(parts[1])
        except ValueError:
            raise InvalidInput(f"account {code!r}: bad subject id", account=code) from None
        registry.kind(parts[2])
        return AccountName(f"subject:{subject_id}:{parts[2]}", "subject", parts[2], subject_id)
    if len(parts) not in (2, 3) or not all(parts):
        raise InvalidInput(f"account {code!r}: expected <type>:<kind>[:<name>]", account=code)
    account_type = registry.account_types.get(parts[0])
    if account_type is None or not account_type.system:
        raise InvalidInput(f"account {code!r}: unknown system account type", account=code)
    registry.kind(parts[1])
    return AccountName(code, parts[0], parts[1], None)


def default_expiry(timezone: str) -> Callable[[datetime], datetime]:
    """JF-EXP-1 default: a lot expires at the end of the calendar year after the year earned."""
    zone = ZoneInfo(timezone)

    def expiry(earned_at: datetime) -> datetime:
        year = earned_at.astimezone(zone).year
        return datetime(year + 2, 1, 1, tzinfo=zone).astimezone(UTC)

    return expiry


# --- the ledger ----------------------------------------------------------------------------

@dataclass
class _Account:
    id: uuid.UUID
    name: AccountName
    balance: int
    negative_allowed: bool
    lot_tracked: bool = False


@dataclass
class _Lot:
    id: uuid.UUID
    account_id: uuid.UUID
    kind: str
    amount: int
    remaining: int
    earned_at: datetime
    expires_at: datetime | None
    transaction_id: uuid.UUID | None = None
    new: bool = False
    touched: bool = False


@dataclass
class _Pending:
    request: TransactionRequest
    body_hash: str
    reverses_id: uuid.UUID | None = None
    postings: list[dict[str, Any]] = field(default_factory=list)
    row: dict[str, Any] = field(default_factory=dict)


class Ledger:
    """Posts, reverses and expires; answers balances, lots and history."""

    def __init__(self, db: Database, clock: Clock, registry: Registry, pm: pluggy.PluginManager,
                 expiry_policy: ExpiryPolicy) -> None:
        self.db = db
        self.clock = clock
        self.registry = registry
        self.pm = pm
        self.expiry_policy = expiry_policy
        self._parse = functools.lru_cache(maxsize=65536)(
            lambda code: parse_account(code, registry))

    # writes ------------------------------------------------------------------------------

    def post(self, tenant_id: uuid.UUID, request: TransactionRequest) -> TransactionView:
        """Post one transaction (or return the first result of an earlier identical request)."""
        return self.post_many(tenant_id, [request])[0]

    def post_many(self, tenant_id: uuid.UUID,
                  requests: Sequence[TransactionRequest]) -> list[TransactionView]:
        """Post several transactions atomically: all of them, or (on any error) none."""
        return self.run(tenant_id, lambda _conn, post: post(requests))

    def run(self, tenant_id: uuid.UUID, work: Callable[[Connection, Poster], _T]) -> _T:
        """Run ``work(conn, post)`` in one database transaction with the ledger.

        ``post(requests)`` posts inside that transaction, so a caller's own state change (a
        claim becoming final, say) commits together with its postings or not at all. ``work``
        may run twice: when a posting needs accounts that do not exist yet, the transaction
        is rolled back, the accounts are opened, and ``work`` runs again; so it must have no
        effect outside ``conn``. The ``ledger_transaction_committed`` hook fires after commit.
        """
        try:
            try:
                result, fresh = self._attempt(tenant_id, work)
            except _AccountsMissing as missing:
                self._open_accounts(tenant_id, missing.names)
                result, fresh = self._attempt(tenant_id, work)
        except IntegrityError as exc:
            raise self._explain_integrity_error(exc) from exc
        self._announce(tenant_id, fresh)
        return result

    def reverse(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID, idempotency_key: str,
                reason: str) -> TransactionView:
        """Post the reversal of a transaction: every posting negated, on the same lots (JF-LED-2)."""
        return self.run(tenant_id, lambda _conn, post: post.reverse(
            transaction_id, idempotency_key, reason))

    def expire(self, tenant_id: uuid.UUID, *, batch_size: int = 1000) -> list[TransactionView]:
        """Move what remains of every lot expired by now to the expiry account (JF-EXP-1).

        Idempotent: each lot's expiry has its own idempotency key, and a re-run finds nothing left
        to expire. Work is committed in batches, so an interrupted run loses nothing and doubles
        nothing when run again.
        """
        posted: list[TransactionView] = []
        seen: set[uuid.UUID] = set()
        while True:
            with self.db.read() as conn:
                rows = conn.execute(
                    select(t.lots.c.id, t.lots.c.kind, t.lots.c.remaining,
                           t.accounts.c.code.label("account"))
                    .join(t.accounts, and_(t.accounts.c.tenant_id == t.lots.c.tenant_id,
                                           t.accounts.c.id == t.lots.c.account_id))
                    .where(t.lots.c.tenant_id == tenant_id, t.lots.c.remaining > 0,
                           t.lots.c.expires_at <= self.clock.now())
                    .order_by(t.lots.c.expires_at, t.lots.c.id).limit(batch_size)).all()
            if not rows or all(row.id in seen for row in rows):
                return posted
            seen.update(row.id for row in rows)
            posted += self.post_many(tenant_id, [TransactionRequest(
                idempotency_key=f"expire:{row.id}",
                legs=(Leg(account=row.account, amount=-row.remaining, lot_id=row.id),
                      Leg(account=system_account("expiry", row.kind), amount=row.remaining)),
                memo="expired lot", metadata={"lot": str(row.id)}) for row in rows])

    # reads -------------------------------------------------------------------------------

    def balance(self, tenant_id: uuid.UUID, account: str) -> int:
        """The balance of an account in minor units (0 for an account never posted to)."""
        code = self._parse(account).code
        with self.db.read() as conn:
            value = conn.execute(select(t.accounts.c.balance).where(
                t.accounts.c.tenant_id == tenant_id, t.accounts.c.code == code)).scalar()
        return int(value or 0)

    def lots(self, tenant_id: uuid.UUID, account: str) -> list[LotView]:
        """The lots of an account, soonest-expiring first."""
        code = self._parse(account).code
        with self.db.read() as conn:
            rows = conn.execute(
                select(t.lots, t.accounts.c.code.label("account"))
                .join(t.accounts, and_(t.accounts.c.tenant_id == t.lots.c.tenant_id,
                                       t.accounts.c.id == t.lots.c.account_id))
                .where(t.lots.c.tenant_id == tenant_id, t.accounts.c.code == code)
                .order_by(t.lots.c.expires_at, t.lots.c.earned_at, t.lots.c.id)).mappings()
            return [LotView.model_validate(dict(r)) for r in rows]

    def transaction(self, tenant_id: uuid.UUID, transaction_id: uuid.UUID) -> TransactionView:
        with self.db.read() as conn:
            views = _load_views(conn, tenant_id, [t.transactions.c.id == transaction_id])
        if not views:
            raise NotFound("no such transaction in this tenant", transaction=str(transaction_id))
        return views[0]

    def history(self, tenant_id: uuid.UUID, account: str) -> list[TransactionView]:
        """Every transaction that touched an account, in order (JF-DUE-1)."""
        code = self._parse(account).code
        touched = (select(t.postings.c.transaction_id)
                   .join(t.accounts, and_(t.accounts.c.tenant_id == t.postings.c.tenant_id,
                                          t.accounts.c.id == t.postings.c.account_id))
                   .where(t.postings.c.tenant_id == tenant_id, t.accounts.c.code == code))
        with self.db.read() as conn:
            return _load_views(conn, tenant_id, [t.transactions.c.id.in_(touched)])

    # the write path ----------------------------------------------------------------------

    def _attempt(self, tenant_id: uuid.UUID, work: Callable[[Connection, Poster], _T]
                 ) -> tuple[_T, list[TransactionView]]:
        with self.db.write() as conn:
            poster = Poster(self, conn, tenant_id)
            result = work(conn, poster)
        return result, poster.fresh

    def _post_in(self, conn: Connection, tenant_id: uuid.UUID, pending: list[_Pending],
                 fresh: list[TransactionView] | None = None) -> list[TransactionView]:
        for item in pending:
            self._check_rules(item.request)
        replies, new = self._dedupe(conn, tenant_id, pending)
        if new:
            self._apply(conn, tenant_id, new)
        views = {p.request.idempotency_key: _view(tenant_id, p.row, p.postings) for p in new}
        if fresh is not None:
            fresh.extend(views.values())
        return [replies.get(p.request.idempotency_key) or views[p.request.idempotency_key]
                for p in pending]

    def _announce(self, tenant_id: uuid.UUID, fresh: list[TransactionView]) -> None:
        if not fresh or not self.pm.hook.ledger_transaction_committed.get_hookimpls():
            return
        for view in fresh:
            try:
                self.pm.hook.ledger_transaction_committed(tenant_id=tenant_id, transaction=view)
            except Exception:  # a plugin's failure must not undo a committed posting
                log.exception("ledger_transaction_committed hook failed")

    def _check_rules(self, request: TransactionRequest) -> None:
        """Static checks: every kind balances (JF-LED-1); moral points never move between
        subjects or into anything but issuance (JF-KIND-3)."""
        sums: dict[str, int] = defaultdict(int)
        names = [self._parse(leg.account) for leg in request.legs]
        for leg, name in zip(request.legs, names, strict=True):
            if leg.amount == 0:
                raise InvalidInput("a posting of zero is refused", account=leg.account)
            sums[name.kind] += leg.amount
        unbalanced = {kind: total for kind, total in sums.items() if total}
        if unbalanced:
            raise UnbalancedTransaction(
                f"debits and credits differ: {unbalanced}", unbalanced=unbalanced)
        for kind in sums:
            if self.registry.kind(kind).transferable:
                continue
            if len(sums) > 1:
                raise KindNotTransferable(f"{kind} points cannot be converted", kind=kind)
            signs = {leg.amount > 0 for leg, n in zip(request.legs, names, strict=True)
                     if n.type != "issuance"}
            others = {n.type for n in names if n.type not in ("issuance", "subject")}
            if len(signs) > 1 or others:
                raise KindNotTransferable(
                    f"{kind} points cannot be spent or transferred; they are only awarded and "
                    "deducted", kind=kind)

    def _dedupe(self, conn: Connection, tenant_id: uuid.UUID, pending: list[_Pending]
                ) -> tuple[dict[str, TransactionView], list[_Pending]]:
        """JF-LED-3: a known key with the same body gets its first result; another body fails."""
        by_key: dict[str, _Pending] = {}
        for item in pending:
            key = item.request.idempotency_key
            if key in by_key and by_key[key].body_hash != item.body_hash:
                raise IdempotencyConflict(f"idempotency key {key!r} used twice with different "
                                          "bodies", idempotency_key=key)
            by_key[key] = item
        known: dict[str, str] = {}
        keys = list(by_key)
        for start in range(0, len(keys), 500):
            chunk = keys[start:start + 500]
            known.update(conn.execute(
                select(t.transactions.c.idempotency_key, t.transactions.c.body_hash).where(
                    t.transactions.c.tenant_id == tenant_id,
                    t.transactions.c.idempotency_key.in_(chunk))).all())
        for key, stored_hash in known.items():
            if stored_hash != by_key[key].body_hash:
                raise IdempotencyConflict(
                    f"idempotency key {key!r} was used before with another body",
                    idempotency_key=key)
        replies = {}
        if known:
            for view in _load_views(conn, tenant_id,
                                    [t.transactions.c.idempotency_key.in_(list(known))]):
                replies[view.idempotency_key] = view
        return replies, [item for key, item in by_key.items() if key not in known]

    def _apply(self, conn: Connection, tenant_id: uuid.UUID, pending: list[_Pending]) -> None:
        self._check_reversals(conn, tenant_id, pending)
        accounts = self._lock_accounts(conn, tenant_id, pending)
        lots = self._lock_lots(conn, tenant_id, pending, accounts)
        now = self.clock.now()
        expiry: list[datetime | None] = []  # the policy's answer for (tenant, now), once asked

        def default_expiry() -> datetime | None:
            if not expiry:
                expiry.append(self.expiry_policy(tenant_id, now))
            return expiry[0]

        for item in pending:
            self._stage(tenant_id, item, accounts, lots, now, default_expiry)
        self._chain(conn, tenant_id, pending)
        insert_many(conn, t.transactions, [p.row for p in pending])
        insert_many(conn, t.postings, [row for p in pending for row in p.postings])
        insert_many(conn, t.lots, [_lot_row(tenant_id, lot) for lot in lots.values() if lot.new])
        changed_lots = [lot for lot in lots.values() if lot.touched and not lot.new]
        set_many(conn, t.lots, tenant_id, "remaining",
                  [(lot.id, lot.remaining) for lot in changed_lots])
        set_many(conn, t.accounts, tenant_id, "balance",
                  [(a.id, a.balance) for a in accounts.values()])

    def _check_reversals(self, conn: Connection, tenant_id: uuid.UUID,
                         pending: list[_Pending]) -> None:
        ids = [p.reverses_id for p in pending if p.reverses_id is not None]
        if ids and conn.execute(select(t.transactions.c.id).where(
                t.transactions.c.tenant_id == tenant_id,
                t.transactions.c.reverses_id.in_(ids))).first():
            raise AlreadyReversed("the transaction has been reversed already")

    def _account_names(self, pending: list[_Pending]) -> dict[str, AccountName]:
        return {n.code: n for p in pending
                for n in (self._parse(leg.account) for leg in p.request.legs)}

    def open_accounts(self, tenant_id: uuid.UUID, accounts: Iterable[str]) -> None:
        """Open the accounts that do not exist yet, in a short transaction of their own.

        Posting opens accounts on first use anyway; a caller that is about to post to many new
        accounts inside :meth:`run` calls this first, so that its ``work`` runs only once.
        """
        names = {n.code: n for n in (self._parse(code) for code in accounts)}
        with self.db.read() as conn:
            existing = set(self._select_existing(conn, tenant_id, sorted(names)))
        missing = [name for code, name in names.items() if code not in existing]
        if missing:
            self._open_accounts(tenant_id, missing)

    def _select_existing(self, conn: Connection, tenant_id: uuid.UUID,
                         codes: list[str]) -> list[str]:
        found: list[str] = []
        for start in range(0, len(codes), 500):
            found += conn.execute(select(t.accounts.c.code).where(
                t.accounts.c.tenant_id == tenant_id,
                t.accounts.c.code.in_(codes[start:start + 500]))).scalars()
        return found

    def _open_accounts(self, tenant_id: uuid.UUID, names: list[AccountName]) -> None:
        """Open accounts on first use, in a short transaction of their own: an empty account is
        no posting, and creating it apart keeps the posting transaction's locks in one order."""
        with self.db.write() as conn:
            self._create_accounts(conn, tenant_id, names)

    def _lock_accounts(self, conn: Connection, tenant_id: uuid.UUID,
                       pending: list[_Pending]) -> dict[str, _Account]:
        """Lock every account the batch touches, in code order (so lockers never deadlock)."""
        names = self._account_names(pending)
        codes = sorted(names)
        rows = self._select_accounts(conn, tenant_id, codes)
        if len(rows) < len(codes):
            raise _AccountsMissing([names[c] for c in codes if c not in rows])
        result = {}
        for code in codes:
            account_id, balance = rows[code]
            name = names[code]
            kind = self.registry.kind(name.kind)
            negative_allowed = self.registry.account_types[name.type].negative_allowed or (
                name.type == "subject" and kind.negative_allowed)
            result[code] = _Account(account_id, name, int(balance), negative_allowed,
                                    lot_tracked=name.type == "subject" and kind.lots)
        return result

    def _select_accounts(self, conn: Connection, tenant_id: uuid.UUID,
                         codes: list[str]) -> dict[str, tuple[uuid.UUID, int]]:
        """``code → (id, balance)`` of the accounts that exist, locked on PostgreSQL (one
        ``= ANY(array)`` statement, rows locked in code order); through the driver, as these are
        a batch's hot rows."""
        dialect = conn.dialect
        tenant = _bind(t.accounts.c.tenant_id, tenant_id, dialect)
        if not self.db.is_sqlite:
            result = conn.exec_driver_sql(
                "SELECT code, id, balance FROM accounts WHERE tenant_id = %s AND code = ANY(%s) "
                "ORDER BY code FOR NO KEY UPDATE", (tenant, codes))
            return {code: (account_id, balance) for code, account_id, balance in result}
        to_uuid = t.accounts.c.id.type._cached_result_processor(dialect, None)
        found: dict[str, tuple[uuid.UUID, int]] = {}
        for start in range(0, len(codes), 500):
            chunk = codes[start:start + 500]
            result = conn.exec_driver_sql(
                "SELECT code, id, balance FROM accounts WHERE tenant_id = ? AND code IN "
                f"({', '.join('?' * len(chunk))}) ORDER BY code", (tenant, *chunk))
            found.update({code: (to_uuid(account_id) if to_uuid else account_id, balance)
                          for code, account_id, balance in result})
        return found

    def _create_accounts(self, conn: Connection, tenant_id: uuid.UUID,
                         names: list[AccountName]) -> None:
        subject_ids = [n.subject_id for n in names if n.subject_id is not None]
        existing: set[uuid.UUID] = set()
        for start in range(0, len(subject_ids), 500):
            existing.update(conn.execute(select(t.subjects.c.id).where(
                t.subjects.c.tenant_id == tenant_id,
                t.subjects.c.id.in_(subject_ids[start:start + 500]))).scalars())
        for name in names:
            if name.subject_id is not None and name.subject_id not in existing:
                raise NotFound(f"account {name.code!r}: no such subject in this tenant",
                               account=name.code)
        rows = [{"tenant_id": tenant_id, "id": new_id(), "code": n.code, "type": n.type,
                 "kind": n.kind, "subject_id": n.subject_id, "balance": 0} for n in names]
        dialect = conn.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert
            conn.execute(pg_insert(t.accounts).on_conflict_do_nothing(), rows)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert
            conn.execute(sqlite_insert(t.accounts).on_conflict_do_nothing(), rows)

    def _lock_lots(self, conn: Connection, tenant_id: uuid.UUID, pending: list[_Pending],
                   accounts: dict[str, _Account]) -> dict[uuid.UUID, _Lot]:
        """Lock the open lots of every lot-tracked account the batch debits, and pinned lots."""
        debited = set()
        pinned = set()
        for p in pending:
            for leg in p.request.legs:
                account = accounts[self._parse(leg.account).code]
                if not account.lot_tracked:
                    continue
                if leg.lot_id is not None:
                    pinned.add(leg.lot_id)
                if leg.amount < 0:
                    debited.add(account.id)
        if not debited and not pinned:
            return {}
        query = (select(t.lots).where(t.lots.c.tenant_id == tenant_id, or_(
            and_(t.lots.c.account_id.in_(debited), t.lots.c.remaining > 0),
            t.lots.c.id.in_(pinned))).order_by(t.lots.c.id))
        if not self.db.is_sqlite:
            query = query.with_for_update(key_share=True)
        return {row.id: _Lot(row.id, row.account_id, row.kind, int(row.amount),
                             int(row.remaining), row.earned_at, row.expires_at)
                for row in conn.execute(query)}

    def _stage(self, tenant_id: uuid.UUID, item: _Pending, accounts: dict[str, _Account],
               lots: dict[uuid.UUID, _Lot], now: datetime,
               default_expiry: Callable[[], datetime | None]) -> None:
        """Apply one transaction to the in-memory accounts and lots; build its rows."""
        tx_id = new_id()
        parse = self._parse
        postings = item.postings
        for leg in item.request.legs:
            account = accounts[parse(leg.account).code]
            amount = leg.amount
            account.balance += amount
            if max(abs(amount), abs(account.balance)) > MAX_MINOR:  # past a 64-bit column
                raise InvalidInput(f"account {account.name.code}: the amount or the balance "
                                   "would be too large", account=account.name.code)
            if account.balance < 0 and not account.negative_allowed:
                raise InsufficientBalance(
                    f"account {account.name.code} would go below zero",
                    account=account.name.code)
            if not account.lot_tracked:
                pieces: list[tuple[uuid.UUID | None, int]] = [(None, amount)]
            elif amount > 0:
                pieces = [(self._credit_lot(tenant_id, tx_id, account, leg, lots, now,
                                            default_expiry), amount)]
            else:
                pieces = _consume_lots(account, leg, lots, now)
            name = account.name
            for lot_id, piece in pieces:
                postings.append({
                    "tenant_id": tenant_id, "id": new_id(), "transaction_id": tx_id,
                    "account_id": account.id, "kind": name.kind, "amount": piece,
                    "lot_id": lot_id, "account": name.code})
        request = item.request
        item.row = {
            "tenant_id": tenant_id, "id": tx_id, "idempotency_key": request.idempotency_key,
            "body_hash": item.body_hash, "memo": request.memo,
            "meta": dict(request.metadata), "reverses_id": item.reverses_id,
            "created_at": now}

    def _credit_lot(self, tenant_id: uuid.UUID, tx_id: uuid.UUID, account: _Account, leg: Leg,
                    lots: dict[uuid.UUID, _Lot], now: datetime,
                    default_expiry: Callable[[], datetime | None]) -> uuid.UUID:
        """A credit restores the pinned lot while it is unexpired, else makes a new lot."""
        pinned = lots.get(leg.lot_id) if leg.lot_id else None
        if pinned is not None and pinned.account_id == account.id and (
                pinned.expires_at is None or pinned.expires_at > now) and (
                pinned.remaining + leg.amount <= pinned.amount):
            pinned.remaining += leg.amount
            pinned.touched = True
            return pinned.id
        if pinned is not None:
            expires_at = pinned.expires_at
        elif leg.expires_at is not None:
            expires_at = leg.expires_at
        else:
            expires_at = default_expiry()
        lot = _Lot(new_id(), account.id, account.name.kind, leg.amount, leg.amount, now,
                   expires_at, transaction_id=tx_id, new=True)
        lots[lot.id] = lot
        return lot.id

    def _chain(self, conn: Connection, tenant_id: uuid.UUID, pending: list[_Pending]) -> None:
        """JF-LED-6: sequence and hash-chain the batch after the tenant's chain head."""
        head_query = select(t.chain_heads.c.seq, t.chain_heads.c.hash).where(
            t.chain_heads.c.tenant_id == tenant_id)
        if not self.db.is_sqlite:
            head_query = head_query.with_for_update()
        head = conn.execute(head_query).one()
        seq, prev = int(head.seq), head.hash
        created: dict[datetime, str] = {}
        for item in pending:
            seq += 1
            item.row["seq"] = seq
            item.row["prev_hash"] = prev
            item.row["hash"] = prev = _chain_hash(prev, item.row, item.postings, created)
        conn.execute(update(t.chain_heads).where(t.chain_heads.c.tenant_id == tenant_id)
                     .values(seq=seq, hash=prev))

    @staticmethod
    def _explain_integrity_error(exc: IntegrityError) -> Exception:
        """Turn a lost race into the error the caller would have got a moment later."""
        text = str(exc.orig).lower()
        if "reverses_id" in text:
            return AlreadyReversed("the transaction has been reversed already")
        if "transactions" in text and "idempotency_key" in text:
            return IdempotencyConflict(
                "a concurrent request with the same idempotency key won; retry to get its result")
        return exc


class Poster:
    """Posts inside the database transaction of a :meth:`Ledger.run` ``work`` function."""

    def __init__(self, ledger: Ledger, conn: Connection, tenant_id: uuid.UUID) -> None:
        self._ledger, self._conn, self._tenant_id = ledger, conn, tenant_id
        self.fresh: list[TransactionView] = []

    def __call__(self, requests: Sequence[TransactionRequest]) -> list[TransactionView]:
        """Post ``requests``; a retried idempotency key answers with its first result."""
        pending = [_Pending(r, body_hash(r)) for r in requests]
        return self._ledger._post_in(self._conn, self._tenant_id, pending, self.fresh)

    def reverse(self, transaction_id: uuid.UUID, idempotency_key: str,
                reason: str) -> TransactionView:
        """Post the reversal of a transaction: every posting negated, on the same lots."""
        views = _load_views(self._conn, self._tenant_id, [t.transactions.c.id == transaction_id])
        if not views:
            raise NotFound("no such transaction in this tenant", transaction=str(transaction_id))
        original = views[0]
        if original.reverses_id is not None:
            raise InvalidInput("a reversal is not itself reversed; post a new transaction")
        legs = tuple(Leg(account=p.account, amount=-p.amount, lot_id=p.lot_id)
                     for p in original.postings)
        request = TransactionRequest(
            idempotency_key=idempotency_key, legs=legs, memo=f"reversal: {reason}"[:500],
            metadata={"reverses": str(transaction_id), "reason": reason[:200]})
        pending = [_Pending(request, body_hash(request), transaction_id)]
        return self._ledger._post_in(self._conn, self._tenant_id, pending, self.fresh)[0]


# --- helpers -------------------------------------------------------------------------------

class _AccountsMissing(Exception):
    """Raised inside the write transaction when accounts must be opened first (then retried)."""

    def __init__(self, names: list[AccountName]) -> None:
        super().__init__(f"{len(names)} account(s) to open")
        self.names = names


def _consume_lots(account: _Account, leg: Leg, lots: dict[uuid.UUID, _Lot],
                  now: datetime) -> list[tuple[uuid.UUID | None, int]]:
    """JF-RED-5: take a debit from the pinned lot first, then the soonest-expiring unexpired lots."""
    need = -leg.amount
    pieces: list[tuple[uuid.UUID | None, int]] = []
    ordered: list[_Lot] = []
    if leg.lot_id is not None and leg.lot_id in lots:
        ordered.append(lots[leg.lot_id])
    far = datetime.max.replace(tzinfo=UTC)
    ordered += sorted(
        (lot for lot in lots.values() if lot.account_id == account.id and lot.id != leg.lot_id
         and lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > now)),
        key=lambda lot: (lot.expires_at or far, lot.earned_at, lot.id))
    for lot in ordered:
        if need == 0:
            break
        if lot.account_id != account.id:
            continue
        take = min(need, lot.remaining)
        if take > 0:
            lot.remaining -= take
            lot.touched = True
            need -= take
            pieces.append((lot.id, -take))
    if need:
        raise InsufficientBalance(
            f"account {account.name.code} has too few unexpired points", account=account.name.code)
    return pieces


def body_hash(request: TransactionRequest) -> str:
    """sha256 of the request's canonical JSON without its idempotency key (JF-LED-3)."""
    return hashlib.sha256(_canonical(_body(request)).encode()).hexdigest()


def _body(request: TransactionRequest) -> dict[str, Any]:
    """``request.model_dump(mode="json", exclude={"idempotency_key"})``, built directly for the
    plain requests of the hot path (legs without ``expires_at``); pydantic's dump otherwise."""
    if type(request) is TransactionRequest and all(
            type(leg) is Leg and leg.expires_at is None for leg in request.legs):
        return {"legs": [{"account": leg.account, "amount": leg.amount,
                          "lot_id": None if leg.lot_id is None else str(leg.lot_id),
                          "expires_at": None} for leg in request.legs],
                "memo": request.memo, "metadata": dict(request.metadata)}
    return request.model_dump(mode="json", exclude={"idempotency_key"})


def chain_hash(prev_hash: str, row: dict[str, Any], postings: Iterable[dict[str, Any]]) -> str:
    """The hash of one transaction: sha256 of the previous hash and the transaction's canonical
    JSON (its stored fields and every posting, in id order)."""
    body = {
        "seq": row["seq"], "id": str(row["id"]), "key": row["idempotency_key"],
        "body": row["body_hash"], "memo": row["memo"], "meta": row["meta"],
        "reverses": str(row["reverses_id"]) if row["reverses_id"] else None,
        "created_at": row["created_at"].astimezone(UTC).isoformat(),
        "postings": sorted([str(p["id"]), str(p["account_id"]), p["kind"], int(p["amount"]),
                            str(p["lot_id"]) if p["lot_id"] else None] for p in postings),
    }
    return hashlib.sha256((prev_hash + _canonical(body)).encode()).hexdigest()


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _chain_hash(prev_hash: str, row: dict[str, Any], postings: list[dict[str, Any]],
                created: dict[datetime, str]) -> str:
    """:func:`chain_hash` for the rows the ledger stages, the same characters without building
    and sorting a dict per transaction: the canonical JSON's keys written in sorted order,
    strings and the metadata through the same encoder. ``created`` caches the timestamp's text
    (one ``now`` per batch)."""
    created_at = row["created_at"]
    when = created.get(created_at)
    if when is None:
        when = created[created_at] = created_at.astimezone(UTC).isoformat()
    encode = _CANONICAL.encode
    legs = sorted([str(p["id"]), str(p["account_id"]), p["kind"], int(p["amount"]),
                   str(p["lot_id"]) if p["lot_id"] else None] for p in postings)
    reverses = row["reverses_id"]
    text = "".join((
        prev_hash, '{"body":', encode(row["body_hash"]), ',"created_at":"', when,
        '","id":"', str(row["id"]), '","key":', encode(row["idempotency_key"]),
        ',"memo":', encode(row["memo"]), ',"meta":', encode(row["meta"]), ',"postings":[',
        ",".join(f'["{pid}","{account}",{encode(kind)},{amount},'
                 f'{"null" if lot is None else chr(34) + lot + chr(34)}]'
                 for pid, account, kind, amount, lot in legs),
        '],"reverses":', "null" if not reverses else f'"{reverses}"', ',"seq":',
        str(int(row["seq"])), "}"))
    return hashlib.sha256(text.encode()).hexdigest()


def _canonical(value: Any) -> str:
    """``json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``, with
    the encoder made once instead of per call."""
    return _CANONICAL.encode(value)


def _bind(column: Any, value: Any, dialect: Any) -> Any:
    """``value`` as the driver takes it for ``column`` (through the type's bind processor)."""
    process = column.type._cached_bind_processor(dialect)
    return process(value) if process else value


def _lot_row(tenant_id: uuid.UUID, lot: _Lot) -> dict[str, Any]:
    return {"tenant_id": tenant_id, "id": lot.id, "account_id": lot.account_id,
            "transaction_id": lot.transaction_id, "kind": lot.kind, "amount": lot.amount,
            "remaining": lot.remaining, "earned_at": lot.earned_at, "expires_at": lot.expires_at}


def _view(tenant_id: uuid.UUID, row: dict[str, Any],
          postings: list[dict[str, Any]]) -> TransactionView:
    return _construct(TransactionView, {
        "tenant_id": tenant_id, "id": row["id"], "seq": row["seq"],
        "idempotency_key": row["idempotency_key"], "memo": row["memo"],
        "metadata": row["meta"], "reverses_id": row["reverses_id"],
        "created_at": row["created_at"], "hash": row["hash"],
        "postings": tuple(_construct(PostingView, {
            "id": p["id"], "transaction_id": p["transaction_id"], "account": p["account"], "kind": p["kind"],
            "amount": p["amount"], "lot_id": p["lot_id"]}) for p in postings)})


_M = TypeVar("_M", bound=BaseModel)
_setattr = object.__setattr__


def _construct(cls: type[_M], values: dict[str, Any]) -> _M:
    """``cls.model_construct(**values)`` for trusted values of every field, in field order, of a
    model without aliases, defaults to fill, extras, private attributes or post-init (the
    views): what ``model_construct`` does for such a model, without its per-field loop."""
    model = cls.__new__(cls)
    _setattr(model, "__dict__", values)
    _setattr(model, "__pydantic_fields_set__", set(values))
    _setattr(model, "__pydantic_extra__", None)
    _setattr(model, "__pydantic_private__", None)
    return model


def _load_views(conn: Connection, tenant_id: uuid.UUID, where: list[Any]) -> list[TransactionView]:
    txs = [dict(r) for r in conn.execute(select(t.transactions).where(
        t.transactions.c.tenant_id == tenant_id, *where).order_by(t.transactions.c.seq)).mappings()]
    if not txs:
        return []
    ids = [tx["id"] for tx in txs]
    by_tx: dict[uuid.UUID, list[dict[str, Any]]] = defaultdict(list)
    for start in range(0, len(ids), 500):
        rows = conn.execute(
            select(t.postings, t.accounts.c.code.label("account"))
            .join(t.accounts, and_(t.accounts.c.tenant_id == t.postings.c.tenant_id,
                                   t.accounts.c.id == t.postings.c.account_id))
            .where(t.postings.c.tenant_id == tenant_id,
                   t.postings.c.transaction_id.in_(ids[start:start + 500]))
            .order_by(t.postings.c.id)).mappings()
        for row in rows:
            by_tx[row["transaction_id"]].append(dict(row))
    return [_view(tenant_id, tx, by_tx[tx["id"]]) for tx in txs]
