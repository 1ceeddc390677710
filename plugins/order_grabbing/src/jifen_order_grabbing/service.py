"""The problem list with order grabbing: 网格下单、全员抢单 (JF-ORD-1..4, JF-FUND-1).

Everything goes through :class:`Orders`, built on a jifen `Platform`::

    open ──grab──▶ grabbed ──complete──▶ completed ──verify──▶ verified
      ▲              │  ▲                    │
      └──reopen──────┘  └──────send back─────┘
      (overdue)

A community posts an order; the departments whose remit covers its category see it and grab
it, and exactly one grab wins: the grab is one conditional ``UPDATE … WHERE state = 'open'``,
whose row count says who won, on SQLite and PostgreSQL alike. The winner completes it with
evidence. The community verifies it (or sends it back) once the reporting resident, if any,
has confirmed or let their days pass without objecting. Verification rewards the department
from the order's pool, split to its staff by their shares, in the same database transaction
as the state change; the reporter then earns the catalogue item ``order.report_verified``
through the core's claim workflow. Every step writes jifen's audit log in its transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, configure, roles, subjects, tenants
from jifen.errors import IdempotencyConflict, JifenError, NotFound
from jifen.funding import Issue, draw, pool_account
from jifen.ledger import Poster, subject_account
from jifen.model import Leg, OrgUnit, TransactionRequest, TransactionView, new_id
from jifen.model.claims import ClaimSubmit
from jifen.platform import Platform
from jifen.store import tables as core
from jifen_order_grabbing import departments as deps
from jifen_order_grabbing import rows
from jifen_order_grabbing import tables as t
from jifen_order_grabbing.errors import (
    AlreadyGrabbed,
    AwaitingReporter,
    EvidenceRequired,
    InvalidOrder,
    NotInRemit,
    NotTheGrabber,
    NotTheReporter,
    ReasonRequired,
    ReporterObjected,
    ReporterWindowClosed,
)
from jifen_order_grabbing.models import (
    Department,
    Lapse,
    Order,
    OrderPost,
    OrderState,
    RankingRow,
)
from jifen_order_grabbing.ranking import ranking_rows

S = OrderState
o = rows.o
REPORT_ITEM = "order.report_verified"
"""The catalogue item a reporting resident earns for a verified order (JF-ORD-4)."""
REOPEN_ACTOR = "system:orders-reopen"


class Orders:
    """The problem list of every tenant on a platform."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    # departments ------------------------------------------------------------------------------

    def set_remit(self, tenant_id: uuid.UUID, department_id: uuid.UUID,
                  categories: Iterable[str], *, actor: str = "operator") -> tuple[str, ...]:
        """Set the problem categories a department covers (replacing its remit)."""
        with self.platform.db.write() as conn:
            return deps.set_remit(conn, tenant_id, department_id, categories,
                                  at=self.platform.clock.now(), actor=actor)

    def set_staff(self, tenant_id: uuid.UUID, department_id: uuid.UUID,
                  shares: Mapping[uuid.UUID, int], *,
                  actor: str = "operator") -> dict[uuid.UUID, int]:
        """Set a department's staff and each one's share of its rewards, in whole percent
        (together at most 100; the department keeps the rest) (JF-ORD-3)."""
        with self.platform.db.write() as conn:
            return deps.set_staff(conn, tenant_id, department_id, shares,
                                  at=self.platform.clock.now(), actor=actor)

    def departments(self, tenant_id: uuid.UUID) -> list[Department]:
        """Every department of the tenant with its remit and staff."""
        with self.platform.db.read() as conn:
            return deps.departments(conn, tenant_id)

    # the community ----------------------------------------------------------------------------

    def post(self, tenant_id: uuid.UUID, request: OrderPost, posted_by: uuid.UUID) -> Order:
        """Post an order (JF-ORD-1). ``posted_by`` holds the ``reviewer`` role at community
        level or above over the community (`access.forbidden`). Refused with `order.invalid`:
        a community that is not one, a grid outside it, a deadline not in the future, a
        reporter who is not a resident, no pool and no default pool; `not_found` for an
        unknown unit, pool or subject. The same idempotency key returns the first order."""
        request_hash = rows.digest(request.model_dump(mode="json"))
        try:
            with self.platform.db.write() as conn:
                order_id = self._post(conn, tenant_id, request, request_hash, posted_by)
        except IntegrityError as exc:
            if "idempotency_key" not in str(exc.orig):
                raise
            raise IdempotencyConflict("a concurrent order with the same idempotency key won; "
                                      "retry to get it") from exc
        return self.get(tenant_id, order_id)

    def _post(self, conn: Connection, tenant_id: uuid.UUID, request: OrderPost,
              request_hash: str, posted_by: uuid.UUID) -> uuid.UUID:
        earlier = rows.by_key(conn, tenant_id, request.idempotency_key)
        if earlier is not None:
            if earlier["request_hash"] != request_hash:
                raise IdempotencyConflict("the idempotency key was used for another order",
                                          idempotency_key=request.idempotency_key)
            return uuid.UUID(str(earlier["id"]))
        community, grid = _places(conn, tenant_id, request)
        roles.require(conn, tenant_id, posted_by, roles.REVIEWER, community.path,
                      at_level_or_above="community")
        now = self.platform.clock.now()
        if request.deadline <= now:
            raise InvalidOrder("the deadline must be in the future", deadline=str(request.deadline))
        _check_reporter(conn, tenant_id, request.reporter_id)
        order_id = new_id()
        conn.execute(insert(o).values(
            tenant_id=tenant_id, id=order_id, idempotency_key=request.idempotency_key,
            request_hash=request_hash, community_id=community.id, grid_id=grid.id,
            category=request.category, description=request.description, source=request.source,
            reporter_id=request.reporter_id, reporter_days=request.reporter_days,
            reward=request.reward, pool=_pool(conn, tenant_id, request.pool),
            deadline=request.deadline, allowance_seconds=int((request.deadline - now)
                                                             .total_seconds()),
            posted_by=posted_by, posted_at=now, state=S.OPEN.value, send_backs=0, reopened=0))
        audit_log.record(conn, tenant_id, now, posted_by, "order.posted", "order", order_id, "",
                         {"category": request.category, "grid": grid.code,
                          "reward": str(request.reward), "source": request.source,
                          "deadline": request.deadline.isoformat()})
        return order_id

    def verify(self, tenant_id: uuid.UUID, order_id: uuid.UUID, verifier: uuid.UUID) -> Order:
        """Verify a completed order and reward the department (JF-ORD-2, JF-ORD-3).

        The verifier holds ``reviewer`` at community level or above over the order's
        community. With a reporting resident, the order is verified only once they confirmed,
        or their ``reporter_days`` from completion passed without an objection
        (`order.awaiting_reporter`, `order.reporter_objected`). The reward is drawn from the
        pool (`funding.pool_exhausted`: nothing is written) and split to the staff, in the
        transaction that marks the order verified. Then the reporter's reward is claimed
        (:meth:`reward_reporter`). Verifying a verified order again only retries that.
        """
        def work(conn: Connection, post: Poster) -> Order:
            found = rows.get(conn, tenant_id, order_id, lock=True)
            if found.state == S.VERIFIED:
                return found
            rows.expect(found, S.COMPLETED)
            self._require_community(conn, tenant_id, found, verifier)
            now = self.platform.clock.now()
            _check_reporter_agrees(found, now)
            view = _pay(conn, post, tenant_id, found, verifier)
            rows.set_values(conn, tenant_id, order_id, state=S.VERIFIED.value,
                            verified_by=verifier, verified_at=now, transaction_id=view.id)
            audit_log.record(conn, tenant_id, now, verifier, "order.verified", "order", order_id,
                             "", {"department": str(found.department_id),
                                  "reward": str(found.reward), "transaction": str(view.id)})
            return found

        self.platform.ledger.run(tenant_id, work)
        return self.reward_reporter(tenant_id, order_id)

    def send_back(self, tenant_id: uuid.UUID, order_id: uuid.UUID, verifier: uuid.UUID,
                  reason: str) -> Order:
        """Refuse a completion with a reason: the order goes back to the department that
        holds it, which completes it again (by the same deadline) (JF-ORD-2)."""
        if not reason.strip():
            raise ReasonRequired("give the reason for sending the order back")
        with self.platform.db.write() as conn:
            found = rows.expect(rows.get(conn, tenant_id, order_id, lock=True), S.COMPLETED)
            self._require_community(conn, tenant_id, found, verifier)
            rows.set_values(conn, tenant_id, order_id, state=S.GRABBED.value, evidence=None,
                            completed_at=None, reporter_response=None, reporter_reason=None,
                            send_backs=found.send_backs + 1)
            audit_log.record(conn, tenant_id, self.platform.clock.now(), verifier,
                             "order.sent_back", "order", order_id, reason,
                             {"department": str(found.department_id)})
        return self.get(tenant_id, order_id)

    # departments at work ----------------------------------------------------------------------

    def open_orders(self, tenant_id: uuid.UUID, department_id: uuid.UUID) -> list[Order]:
        """The open orders whose category the department's remit covers, soonest deadline
        first (JF-ORD-2)."""
        r = t.department_remits
        covered = select(r.c.category).where(r.c.tenant_id == tenant_id,
                                             r.c.department_id == department_id)
        with self.platform.db.read() as conn:
            deps.department(conn, tenant_id, department_id)
            return rows.find(conn, tenant_id, o.c.state == S.OPEN.value,
                             o.c.category.in_(covered))

    def grab(self, tenant_id: uuid.UUID, order_id: uuid.UUID, department_id: uuid.UUID) -> Order:
        """Grab an open order for a department whose remit covers it (`order.not_in_remit`).

        Exactly one grab wins, under any concurrency: the grab is the conditional
        ``UPDATE … SET state = 'grabbed' … WHERE id = … AND state = 'open'``; a row count of 1
        wins, any other grab gets `order.already_grabbed` (JF-ORD-2). A department grabbing
        the order it holds again gets it back unchanged.
        """
        with self.platform.db.write() as conn:
            held = _grab(conn, tenant_id, order_id, department_id, self.platform.clock.now())
        return self.get(tenant_id, order_id) if held is None else held

    def complete(self, tenant_id: uuid.UUID, order_id: uuid.UUID, department_id: uuid.UUID,
                 evidence: str) -> Order:
        """The department holding the order reports it done, with evidence (a photo's hash,
        a work sheet's number, …); without evidence it is refused (`order.evidence_required`)
        and nothing changes (JF-ORD-2)."""
        if not evidence.strip():
            raise EvidenceRequired("completing an order needs evidence (JF-ORD-2)")
        with self.platform.db.write() as conn:
            found = rows.expect(rows.get(conn, tenant_id, order_id, lock=True), S.GRABBED)
            if found.department_id != department_id:
                raise NotTheGrabber("only the department holding the order completes it")
            now = self.platform.clock.now()
            rows.set_values(conn, tenant_id, order_id, state=S.COMPLETED.value,
                            evidence=evidence.strip(), completed_at=now)
            audit_log.record(conn, tenant_id, now, department_id, "order.completed", "order",
                             order_id, "", {"evidence": evidence.strip()[:200]})
        return self.get(tenant_id, order_id)

    # the reporting resident -------------------------------------------------------------------

    def confirm(self, tenant_id: uuid.UUID, order_id: uuid.UUID, reporter_id: uuid.UUID) -> Order:
        """The reporting resident confirms the completion (JF-ORD-2)."""
        return self._respond(tenant_id, order_id, reporter_id, "confirmed", "")

    def object(self, tenant_id: uuid.UUID, order_id: uuid.UUID, reporter_id: uuid.UUID,
               reason: str) -> Order:
        """The reporting resident refuses the completion, with a reason; the order cannot be
        verified until it is sent back and completed again (JF-ORD-2)."""
        if not reason.strip():
            raise ReasonRequired("say why the problem is not solved")
        return self._respond(tenant_id, order_id, reporter_id, "objected", reason)

    def _respond(self, tenant_id: uuid.UUID, order_id: uuid.UUID, reporter_id: uuid.UUID,
                 response: str, reason: str) -> Order:
        with self.platform.db.write() as conn:
            found = rows.expect(rows.get(conn, tenant_id, order_id, lock=True), S.COMPLETED)
            if found.reporter_id is None or found.reporter_id != reporter_id:
                raise NotTheReporter("only the resident who reported the problem responds")
            now = self.platform.clock.now()
            if now >= _reporter_until(found):
                raise ReporterWindowClosed(f"the reporter's {found.reporter_days} day(s) to "
                                           "respond are over")
            rows.set_values(conn, tenant_id, order_id, reporter_response=response,
                            reporter_reason=reason or None)
            audit_log.record(conn, tenant_id, now, reporter_id, f"order.reporter_{response}",
                             "order", order_id, reason)
        return self.get(tenant_id, order_id)

    def reward_reporter(self, tenant_id: uuid.UUID, order_id: uuid.UUID) -> Order:
        """Claim the catalogue reward of the resident whose report led to a verified order
        (JF-ORD-4), as an auto-awarded claim of ``order.report_verified`` with the order as
        evidence, so caps, deduplication and the audit apply. Does nothing for an order not
        verified, without a resident reporter, or claimed already; a refusal (no such item in
        the catalogue, an exhausted pool) is noted on the order and may be retried."""
        found = self.get(tenant_id, order_id)
        if found.state != S.VERIFIED or found.reporter_id is None or found.reporter_claim_id:
            return found
        claim_id, note = self._claim_report(tenant_id, found)
        with self.platform.db.write() as conn:
            rows.set_values(conn, tenant_id, order_id, reporter_claim_id=claim_id,
                            reporter_reward_note=note[:500])
            action = "order.reporter_claimed" if claim_id else "order.reporter_not_rewarded"
            audit_log.record(conn, tenant_id, self.platform.clock.now(), None, action, "order",
                             order_id, note[:1000], {"claim": str(claim_id or "")},
                             actor="system:orders")
        return self.get(tenant_id, order_id)

    def _claim_report(self, tenant_id: uuid.UUID, found: Order) -> tuple[uuid.UUID | None, str]:
        assert found.reporter_id is not None
        try:
            decision = self.platform.claims.submit(tenant_id, ClaimSubmit(
                idempotency_key=f"order:{found.id}:report", subject_id=found.reporter_id,
                item=REPORT_ITEM, deed_date=self._local_date(tenant_id, found.posted_at),
                evidence={"order": str(found.id)}))
        except JifenError as exc:
            return None, f"{exc.code}: {exc.message}"
        claim = decision.claim
        cap = f" ({decision.caps.outcome} by the cap {decision.caps.cap})" if decision.caps.cap \
            else ""
        return claim.id, f"claim {claim.state.value}{cap}"

    # scheduled runs ---------------------------------------------------------------------------

    def reopen_overdue(self, tenant_id: uuid.UUID) -> list[Order]:
        """Reopen every order still held (grabbed, not completed) past its deadline (JF-ORD-3).

        The lapse is recorded with the department that let it lapse; the order is open again
        with a new deadline: now plus the time it was first given. Idempotent: a second run
        finds nothing to reopen. Audited as ``order.reopened``."""
        with self.platform.db.write() as conn:
            now = self.platform.clock.now()
            overdue = rows.find(conn, tenant_id, o.c.state == S.GRABBED.value, o.c.deadline < now)
            reopened = [found for found in overdue if _reopen(conn, tenant_id, found, now)]
        return [self.get(tenant_id, found.id) for found in reopened]

    # reads --------------------------------------------------------------------------------------

    def get(self, tenant_id: uuid.UUID, order_id: uuid.UUID) -> Order:
        """The order, or `not_found`."""
        with self.platform.db.read() as conn:
            return rows.get(conn, tenant_id, order_id)

    def list_orders(self, tenant_id: uuid.UUID, *, state: OrderState | None = None,
                    department_id: uuid.UUID | None = None) -> list[Order]:
        """The tenant's orders, soonest deadline first; optionally in one state or held by
        one department."""
        where = []
        if state is not None:
            where.append(o.c.state == state.value)
        if department_id is not None:
            where.append(o.c.department_id == department_id)
        with self.platform.db.read() as conn:
            return rows.find(conn, tenant_id, *where)

    def lapses(self, tenant_id: uuid.UUID, order_id: uuid.UUID | None = None) -> list[Lapse]:
        """The recorded lapses (departments that let an order pass its deadline), oldest
        first."""
        lapse = t.order_lapses
        query = select(lapse).where(lapse.c.tenant_id == tenant_id)
        if order_id is not None:
            query = query.where(lapse.c.order_id == order_id)
        with self.platform.db.read() as conn:
            found = conn.execute(query.order_by(lapse.c.reopened_at, lapse.c.id)).mappings()
            return [Lapse.model_validate(dict(row)) for row in found]

    def ranking(self, tenant_id: uuid.UUID, since: date, until: date) -> list[RankingRow]:
        """The assessment ranking (考核) of the period ``since``–``until`` (both days included,
        in the tenant's time zone): per department, the points of the orders verified in it
        (staff shares included), how many, and how many it let lapse (JF-ORD-3)."""
        if until < since:
            raise InvalidOrder("the period ends before it starts")
        with self.platform.db.read() as conn:
            return ranking_rows(conn, tenant_id, since, until)

    # helpers ----------------------------------------------------------------------------------

    def _require_community(self, conn: Connection, tenant_id: uuid.UUID, found: Order,
                           actor: uuid.UUID) -> None:
        community = tenants.get_org_unit(conn, tenant_id, found.community)
        roles.require(conn, tenant_id, actor, roles.REVIEWER, community.path,
                      at_level_or_above="community")

    def _local_date(self, tenant_id: uuid.UUID, moment: datetime) -> date:
        with self.platform.db.read() as conn:
            zone = tenants.get_tenant_by_id(conn, tenant_id).timezone
        return moment.astimezone(ZoneInfo(zone)).date()


# --- inside a transaction ----------------------------------------------------------------------

def _places(conn: Connection, tenant_id: uuid.UUID, request: OrderPost) -> tuple[OrgUnit, OrgUnit]:
    """The community and the grid of a new order; the grid lies at or under the community."""
    community = tenants.get_org_unit(conn, tenant_id, request.community)
    if community.level != "community":
        raise InvalidOrder(f"{community.code!r} is a {community.level}, not a community",
                           community=community.code)
    grid = tenants.get_org_unit(conn, tenant_id, request.grid)
    if grid.path != community.path and not grid.path.startswith(community.path + "/"):
        raise InvalidOrder(f"{grid.code!r} is not in the community {community.code!r}",
                           grid=grid.code)
    return community, grid


def _pool(conn: Connection, tenant_id: uuid.UUID, pool: str | None) -> str:
    """The pool named, or the tenant's default pool; it must exist (JF-FUND-1)."""
    if pool is None:
        config = configure.policy(conn, tenant_id).config
        pool = config.default_pool if config is not None else None
    if pool is None:
        raise InvalidOrder("name the pool the reward is paid from: the tenant has no "
                           "default_pool (JF-FUND-1)")
    if conn.execute(select(core.pools.c.id).where(core.pools.c.tenant_id == tenant_id,
                                                  core.pools.c.code == pool)).first() is None:
        raise NotFound(f"no funding pool {pool!r} in this tenant", pool=pool)
    return pool


def _check_reporter(conn: Connection, tenant_id: uuid.UUID, reporter_id: uuid.UUID | None) -> None:
    if reporter_id is None:
        return
    reporter = subjects.get_subject(conn, tenant_id, reporter_id)
    if reporter.type != "resident":
        raise InvalidOrder(f"a photo report comes from a resident, not a {reporter.type}",
                           reporter=str(reporter_id))


def _reporter_until(found: Order) -> datetime:
    assert found.completed_at is not None
    return found.completed_at + timedelta(days=found.reporter_days)


def _check_reporter_agrees(found: Order, now: datetime) -> None:
    """The reporter's half of the verification: confirmed, or silent past their days."""
    if found.reporter_id is None or found.reporter_response == "confirmed":
        return
    if found.reporter_response == "objected":
        raise ReporterObjected(f"the reporting resident refused the completion: "
                               f"{found.reporter_reason}; send the order back")
    until = _reporter_until(found)
    if now < until:
        raise AwaitingReporter(f"the reporting resident may confirm or object until "
                               f"{until.isoformat()}", until=until.isoformat())


def _pay(conn: Connection, post: Poster, tenant_id: uuid.UUID, found: Order,
         verifier: uuid.UUID) -> TransactionView:
    """Draw the reward from the pool (`funding.pool_exhausted`) and post it: staff shares
    rounded down, the rest to the department, in one transaction with provenance."""
    assert found.department_id is not None
    key = f"order:{found.id}:reward"
    draw(conn, tenant_id, [Issue(found.pool, found.department_id, found.reward, key, "", {})])
    parts = deps.split(found.reward, deps.staff(conn, tenant_id, found.department_id))
    legs = [Leg(account=pool_account(found.pool), amount=-found.reward),
            Leg(account=subject_account(found.department_id, "material"),
                amount=found.reward - sum(parts.values()))]
    legs += [Leg(account=subject_account(who, "material"), amount=amount)
             for who, amount in parts.items() if amount > 0]
    return post([TransactionRequest(
        idempotency_key=key, legs=tuple(leg for leg in legs if leg.amount != 0),
        memo=f"order {found.category} in {found.grid}: {found.description}"[:500],
        metadata={"source": "order", "order": str(found.id), "category": found.category,
                  "grid": found.grid, "verifier": str(verifier),
                  "department": str(found.department_id), "pool": found.pool})])[0]


_GRAB_VIEW = select(o.c.state, o.c.category, o.c.department_id).where(
    o.c.tenant_id == bindparam("tenant_id"), o.c.id == bindparam("order_id"))
_GRAB = update(o).where(
    o.c.tenant_id == bindparam("b_tenant"), o.c.id == bindparam("b_order"),
    o.c.state == S.OPEN.value).values(state=S.GRABBED.value, department_id=bindparam("dept"),
                                      grabbed_at=bindparam("now"))


def _grab(conn: Connection, tenant_id: uuid.UUID, order_id: uuid.UUID,
          department_id: uuid.UUID, now: datetime) -> Order | None:
    """One grab inside a write transaction: ``None`` when it won, the order unchanged when
    the department holds it already; `order.already_grabbed` when another one does. The
    statements are built once (a grab is the hot path under contention)."""
    view = conn.execute(_GRAB_VIEW, {"tenant_id": tenant_id, "order_id": order_id}).first()
    if view is None:
        raise NotFound("no such order in this tenant", order=str(order_id))
    if view.department_id == department_id:
        return rows.get(conn, tenant_id, order_id)
    if view.state != S.OPEN.value:  # lost already: no need to try
        raise AlreadyGrabbed("another department grabbed this order first", order=str(order_id))
    if not deps.covers(conn, tenant_id, department_id, view.category):
        raise NotInRemit(f"the department's remit does not cover {view.category!r}",
                         category=view.category)
    done = conn.execute(_GRAB, {"b_tenant": tenant_id, "b_order": order_id,
                                "dept": department_id, "now": now})
    if done.rowcount != 1:  # lost the race on the row itself
        raise AlreadyGrabbed("another department grabbed this order first", order=str(order_id))
    audit_log.record(conn, tenant_id, now, department_id, "order.grabbed", "order", order_id,
                     "", {"category": view.category})
    return None


def _reopen(conn: Connection, tenant_id: uuid.UUID, found: Order, now: datetime) -> bool:
    """Reopen one overdue order if it still is (a conditional UPDATE, like a grab)."""
    deadline = now + timedelta(seconds=_allowance(conn, tenant_id, found))
    done = conn.execute(update(o).where(
        o.c.tenant_id == tenant_id, o.c.id == found.id, o.c.state == S.GRABBED.value,
        o.c.deadline < now).values(
        state=S.OPEN.value, department_id=None, grabbed_at=None, deadline=deadline,
        reopened=o.c.reopened + 1))
    if done.rowcount != 1:
        return False
    assert found.department_id is not None and found.grabbed_at is not None
    conn.execute(insert(t.order_lapses).values(
        tenant_id=tenant_id, id=new_id(), order_id=found.id, department_id=found.department_id,
        grabbed_at=found.grabbed_at, deadline=found.deadline, reopened_at=now))
    audit_log.record(conn, tenant_id, now, None, "order.reopened", "order", found.id,
                     f"deadline {found.deadline.isoformat()} passed",
                     {"lapsed_department": str(found.department_id),
                      "new_deadline": deadline.isoformat()}, actor=REOPEN_ACTOR)
    return True


def _allowance(conn: Connection, tenant_id: uuid.UUID, found: Order) -> int:
    return int(conn.execute(select(o.c.allowance_seconds).where(
        and_(o.c.tenant_id == tenant_id, o.c.id == found.id))).scalar_one())
