"""Claims: a deed becomes points that anyone can check (JF-EARN-*, JF-CAT-2..5, JF-DUE-2..7).

    submitted → approved | rejected → in_notice → final
    in_notice → objected → in_notice (dismissed) | rejected (upheld)
    submitted | approved → withdrawn;  rejected → submitted (appeal upheld)
    final → reversed (correction, or a deduction overturned on appeal)

A claim is judged by the catalogue version in force on the date of the deed. Approval applies
the caps, which reduce or refuse the award and say which. Approved claims are published in
notice batches (赋分批次); a batch's notice runs for the configured working days, and
:meth:`Claims.close_notices` posts every entry without an upheld objection to the ledger. Items
the catalogue marks ``auto_award`` post at submission, ``notice_required: false`` at approval.
Every step writes the audit log (actor, time, reason) in the same database transaction as the
step, and a step that posts commits with its postings or not at all.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pluggy
from sqlalchemy import ColumnElement, Connection, Uuid, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, configure, funding, roles, tenants
from jifen.clock import Clock
from jifen.config import CatalogueItem
from jifen.errors import (
    AppealWindowClosed,
    DuplicateDeed,
    Forbidden,
    IdempotencyConflict,
    InvalidAmount,
    InvalidEvidence,
    InvalidInput,
    InvalidTransition,
    JifenError,
    NotFound,
    NoticeClosed,
    NotInCatalogue,
    ReasonRequired,
    SelfReview,
)
from jifen.ledger import Ledger, Poster, subject_account, system_account
from jifen.masking import mask_name
from jifen.model import Leg, TransactionRequest, new_id
from jifen.model.claims import (
    Appeal,
    CapOutcome,
    Claim,
    ClaimState,
    ClaimSubmit,
    Decision,
    NoticeBatch,
    Objection,
    PublicEntry,
    PublicNotice,
)
from jifen.model.points import format_minor, to_minor
from jifen.registry import Registry
from jifen.store import Database
from jifen.store import tables as t
from jifen.store.bulk import set_many

log = logging.getLogger(__name__)
S = ClaimState
_T = TypeVar("_T")
_D = TypeVar("_D", Objection, Appeal)

#: States whose amounts count towards caps: the award is granted or on its way.
COUNTED = (S.APPROVED, S.IN_NOTICE, S.OBJECTED, S.FINAL)
CLOSE_ACTOR = "system:notices-close"


@dataclass(frozen=True)
class CloseReport:
    """What a :meth:`Claims.close_notices` run did."""

    finalised: int = 0
    batches_closed: int = 0
    failed: dict[uuid.UUID, str] = field(default_factory=dict)


class Claims:
    """The claim workflow of every tenant."""

    def __init__(self, db: Database, clock: Clock, ledger: Ledger, registry: Registry,
                 pm: pluggy.PluginManager) -> None:
        self.db, self.clock, self.ledger, self.registry, self.pm = db, clock, ledger, registry, pm

    # --- submission ------------------------------------------------------------------------

    def submit(self, tenant_id: uuid.UUID, request: ClaimSubmit) -> Decision:
        """File a claim. Auto-awarded items are capped and posted at once (JF-EARN-1)."""
        request_hash = _digest(request.model_dump(mode="json"))

        def work(conn: Connection, post: Poster) -> tuple[Claim, CapOutcome]:
            earlier = _find_by_key(conn, tenant_id, request.idempotency_key)
            if earlier is not None:
                if earlier["request_hash"] != request_hash:
                    raise IdempotencyConflict("idempotency key used before for another claim",
                                              idempotency_key=request.idempotency_key)
                claim = _claim(earlier)
                return claim, _outcome_of(claim)
            subject = _lock_subject(conn, tenant_id, request.subject_id)
            item = configure.item_in_force(conn, tenant_id, request.item, request.deed_date)
            if request.deed_date > self._today(conn, tenant_id):
                raise InvalidInput("the deed date is in the future", deed_date=str(request.deed_date))
            requested = self._requested(item, request)
            self._check_evidence(tenant_id, item, request.evidence)
            fingerprint = _digest(request.evidence)
            claim_id = new_id()
            row: dict[str, Any] = {"tenant_id": tenant_id, "id": claim_id,
                   "idempotency_key": request.idempotency_key, "request_hash": request_hash,
                   "subject_id": request.subject_id, "item_code": item.code,
                   "item_version": item.valid_from, "category": item.category,
                   "kind": item.kind, "deed_date": request.deed_date, "units": request.units,
                   "requested": requested, "amount": None, "evidence": dict(request.evidence),
                   "evidence_fingerprint": fingerprint,
                   "deed_key": _deed_key(item.code, request.subject_id, fingerprint,
                                         request.deed_date),
                   "state": S.SUBMITTED.value, "submitted_by": request.submitted_by,
                   "submitted_at": self.clock.now(), "reviewed_by": None, "reviewed_at": None,
                   "cap_note": None, "reason": None, "notice_batch_id": None,
                   "notice_ends_on": None, "transaction_id": None, "decided_at": None}
            if conn.execute(select(t.claims.c.id).where(
                    t.claims.c.tenant_id == tenant_id,
                    t.claims.c.deed_key == row["deed_key"])).first():
                raise _duplicate(item.code)
            conn.execute(insert(t.claims).values(row))
            self._log(conn, tenant_id, request.submitted_by, "claim.submitted", claim_id, "",
                      item=item.code, deed_date=str(request.deed_date))
            if not item.auto_award:
                return _claim(row), CapOutcome(outcome="none", requested=requested or 0,
                                               granted=requested or 0)
            return self._decide(conn, post, tenant_id, _claim(row), item, subject_path=subject,
                                reviewer=None, amount=requested)

        claim, caps = self._run(tenant_id, work)
        self._announce(tenant_id, [claim])
        return Decision(claim=claim, caps=caps)

    def _requested(self, item: CatalogueItem, request: ClaimSubmit) -> int | None:
        """The amount asked for, in minor units; ``None`` when the reviewer decides (ranges)."""
        scale = self.registry.kind(item.kind).scale
        if item.amount_mode == "per_unit":
            if request.units is None or request.amount is not None:
                raise InvalidAmount(f"item {item.code!r} is paid per {item.unit}: give units")
            assert item.per_unit is not None
            return to_minor(item.per_unit * request.units, scale)
        if request.units is not None:
            raise InvalidAmount(f"item {item.code!r} is not paid per unit")
        if item.amount_mode == "fixed":
            if request.amount is not None:
                raise InvalidAmount(f"item {item.code!r} has a fixed amount")
            return to_minor(item.amount, scale)
        if request.amount is None:
            return None
        return self._in_range(item, to_minor(request.amount, scale))

    def _in_range(self, item: CatalogueItem, minor: int) -> int:
        scale = self.registry.kind(item.kind).scale
        assert item.min is not None and item.max is not None
        low, high = to_minor(item.min, scale), to_minor(item.max, scale)
        if not low <= minor <= high:
            raise InvalidAmount(f"item {item.code!r} awards between {item.min} and {item.max}; "
                                f"{format_minor(minor, scale)} is outside (JF-CAT-1)")
        return minor

    def _check_evidence(self, tenant_id: uuid.UUID, item: CatalogueItem,
                        evidence: dict[str, str]) -> None:
        if item.evidence_required and not any(v.strip() for v in evidence.values()):
            raise InvalidEvidence(f"item {item.code!r} requires evidence")
        problems = [p for p in self.pm.hook.check_claim_evidence(
            tenant_id=tenant_id, item=item, evidence=evidence) if p]
        if problems:
            raise InvalidEvidence("; ".join(problems), item=item.code)

    # --- review ----------------------------------------------------------------------------

    def approve(self, tenant_id: uuid.UUID, claim_id: uuid.UUID, reviewer: uuid.UUID, *,
                amount: str | None = None) -> Decision:
        """Approve a submitted claim, capped (JF-CAT-2); for a range item the reviewer sets
        the amount. Refused by a cap, the claim is rejected and the reply says which cap."""

        def work(conn: Connection, post: Poster) -> tuple[Claim, CapOutcome]:
            claim = _expect(_lock_claim(conn, tenant_id, claim_id), S.SUBMITTED)
            path = _lock_subject(conn, tenant_id, claim.subject_id)
            item = configure.item_version(conn, tenant_id, claim.item_code, claim.item_version)
            self._check_reviewer(conn, tenant_id, claim, reviewer, path, item.review_level)
            minor = claim.requested
            if amount is not None:
                if item.amount_mode != "range":
                    raise InvalidAmount(f"item {item.code!r} has no range to choose from")
                minor = self._in_range(item, to_minor(amount, self.registry.kind(item.kind).scale))
            if minor is None:
                raise InvalidAmount(f"item {item.code!r} awards a range: the reviewer gives the "
                                    "amount")
            return self._decide(conn, post, tenant_id, claim, item, subject_path=path,
                                reviewer=reviewer, amount=minor)

        claim, caps = self._run(tenant_id, work)
        self._announce(tenant_id, [claim])
        return Decision(claim=claim, caps=caps)

    def _decide(self, conn: Connection, post: Poster, tenant_id: uuid.UUID, claim: Claim,
                item: CatalogueItem, *, subject_path: str, reviewer: uuid.UUID | None,
                amount: int | None) -> tuple[Claim, CapOutcome]:
        assert amount is not None
        caps = self._caps(conn, tenant_id, claim, item, amount, subject_path)
        now = self.clock.now()
        values: dict[str, Any] = {"reviewed_by": reviewer, "reviewed_at": now,
                                  "cap_note": caps.cap}
        if caps.outcome == "refused":
            reason = f"refused by the cap {caps.cap} (JF-CAT-2)"
            values.update(state=S.REJECTED, reason=reason, deed_key=None, decided_at=now)
            claim = _set(conn, claim, **values)
            self._log(conn, tenant_id, reviewer, "claim.rejected", claim.id, reason)
            return claim, caps
        values.update(amount=caps.granted, state=S.APPROVED)
        claim = _set(conn, claim, **values)
        self._log(conn, tenant_id, reviewer, "claim.approved", claim.id,
                  f"{caps.outcome} by the cap {caps.cap}" if caps.cap else "",
                  amount=str(caps.granted))
        if item.notice_required and not item.auto_award:
            return claim, caps
        view = post(self._funded_requests(conn, tenant_id, [claim]))[0]
        claim = _set(conn, claim, state=S.FINAL, transaction_id=view.id, decided_at=now)
        self._log(conn, tenant_id, reviewer, "claim.final", claim.id, "no notice needed",
                  transaction=str(view.id))
        return claim, caps

    def reject(self, tenant_id: uuid.UUID, claim_id: uuid.UUID, reviewer: uuid.UUID,
               reason: str) -> Claim:
        """Reject a submitted claim, giving the reason (JF-EARN-2)."""
        _require_reason(reason)
        with self.db.write() as conn:
            claim = _expect(_lock_claim(conn, tenant_id, claim_id), S.SUBMITTED)
            path = _subject_path(conn, tenant_id, claim.subject_id)
            item = configure.item_version(conn, tenant_id, claim.item_code, claim.item_version)
            self._check_reviewer(conn, tenant_id, claim, reviewer, path, item.review_level)
            now = self.clock.now()
            claim = _set(conn, claim, state=S.REJECTED, reason=reason, deed_key=None,
                         reviewed_by=reviewer, reviewed_at=now, decided_at=now)
            self._log(conn, tenant_id, reviewer, "claim.rejected", claim.id, reason)
            return claim

    def withdraw(self, tenant_id: uuid.UUID, claim_id: uuid.UUID, actor: uuid.UUID,
                 reason: str = "") -> Claim:
        """The claimant (or whoever filed it) withdraws a claim not yet in notice."""
        with self.db.write() as conn:
            claim = _expect(_lock_claim(conn, tenant_id, claim_id), S.SUBMITTED, S.APPROVED)
            if actor not in (claim.subject_id, claim.submitted_by):
                raise Forbidden("only the claimant or whoever filed the claim withdraws it")
            claim = _set(conn, claim, state=S.WITHDRAWN, deed_key=None,
                         decided_at=self.clock.now())
            self._log(conn, tenant_id, actor, "claim.withdrawn", claim.id, reason)
            return claim

    # --- public notice ---------------------------------------------------------------------

    def publish(self, tenant_id: uuid.UUID, org_code: str,
                publisher: uuid.UUID) -> NoticeBatch | None:
        """Publish every approved claim of subjects under ``org_code`` as one notice batch
        (JF-EARN-6), open for the unit's notice period in working days (JF-EARN-3). ``None``
        when nothing is waiting."""
        with self.db.write() as conn:
            unit = tenants.get_org_unit(conn, tenant_id, org_code)
            roles.require(conn, tenant_id, publisher, roles.REVIEWER, unit.path,
                          at_level_or_above=unit.level)
            waiting = conn.execute(
                select(t.claims.c.id)
                .where(of_subjects_under(conn, tenant_id, [unit.path]), t.claims.c.state == S.APPROVED)
                .order_by(t.claims.c.id).with_for_update()).scalars().all()
            if not waiting:
                return None
            policy = configure.policy(conn, tenant_id)
            today = self._today(conn, tenant_id)
            days = policy.settings(tenants.path_codes(conn, tenant_id, unit.path)).notice_working_days
            batch = NoticeBatch(tenant_id=tenant_id, id=new_id(), org_unit_id=unit.id,
                                published_by=publisher, published_at=self.clock.now(),
                                starts_on=today, ends_on=policy.add_working_days(today, days),
                                closed_at=None, entries=len(waiting))
            conn.execute(insert(t.notice_batches).values(batch.model_dump(exclude={"entries"})))
            for chunk in _chunks(waiting, 1000):
                conn.execute(update(t.claims).where(
                    t.claims.c.tenant_id == tenant_id, t.claims.c.id.in_(chunk)).values(
                    state=S.IN_NOTICE, notice_batch_id=batch.id, notice_ends_on=batch.ends_on))
            audit_log.record(conn, tenant_id, batch.published_at, publisher, "notice.published",
                             "notice", batch.id, "", {"org_unit": org_code,
                                                      "entries": str(len(waiting)),
                                                      "ends_on": str(batch.ends_on)})
            audit_log.record_many(conn, tenant_id, batch.published_at, publisher,
                                  "claim.in_notice", "claim",
                                  [(cid, "", {"notice": str(batch.id)}) for cid in waiting])
            return batch

    def public_notice(self, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> PublicNotice:
        """The public list of a batch while its notice runs: masked names, no identifiers
        (JF-DUE-4); it leaves public view when the notice ends (JF-DUE-7)."""
        with self.db.read() as conn:
            batch = _batch(conn, tenant_id, batch_id)
            if self._today(conn, tenant_id) > batch.ends_on:
                raise NoticeClosed("this notice has ended and is no longer public; its record "
                                   "stays in the audit log (JF-DUE-7)")
            rows = conn.execute(
                select(t.subjects.c.name, t.org_units.c.name.label("unit"),
                       t.claims.c.item_code, t.claims.c.item_version, t.claims.c.kind,
                       t.claims.c.amount, t.claims.c.deed_date)
                .join(t.subjects, and_(t.subjects.c.tenant_id == t.claims.c.tenant_id,
                                       t.subjects.c.id == t.claims.c.subject_id))
                .join(t.org_units, and_(t.org_units.c.tenant_id == t.subjects.c.tenant_id,
                                        t.org_units.c.id == t.subjects.c.org_unit_id))
                .where(t.claims.c.tenant_id == tenant_id, t.claims.c.notice_batch_id == batch_id)
                .order_by(t.claims.c.id)).all()
            names = {(r.item_code, r.item_version): configure.item_version(
                conn, tenant_id, r.item_code, r.item_version).name for r in rows}
            unit = conn.execute(select(t.org_units.c.name).where(
                t.org_units.c.tenant_id == tenant_id,
                t.org_units.c.id == batch.org_unit_id)).scalar_one()
        return PublicNotice(
            batch_id=batch.id, org_unit=unit, starts_on=batch.starts_on, ends_on=batch.ends_on,
            entries=tuple(PublicEntry(
                entry=i + 1, name=mask_name(r.name), org_unit=r.unit,
                item=names[(r.item_code, r.item_version)],
                amount=format_minor(r.amount, self.registry.kind(r.kind).scale),
                deed_date=r.deed_date) for i, r in enumerate(rows)))

    def close_notices(self, tenant_id: uuid.UUID, *, batch_size: int = 1000) -> CloseReport:
        """Post every entry whose notice has ended without an upheld objection, and close the
        batches whose notice has ended (JF-EARN-3, JF-EARN-6). Idempotent: a re-run finds
        nothing to do, and each claim's posting has its own idempotency key."""
        finalised = 0
        failed: dict[uuid.UUID, str] = {}
        while True:
            with self.db.read() as conn:
                today = self._today(conn, tenant_id)
                query = select(t.claims.c.id).where(
                    t.claims.c.tenant_id == tenant_id, t.claims.c.state == S.IN_NOTICE,
                    t.claims.c.notice_ends_on < today)
                if failed:
                    query = query.where(t.claims.c.id.not_in(list(failed)))
                due = conn.execute(query.order_by(t.claims.c.id).limit(batch_size)
                                   ).scalars().all()
            if not due:
                break
            try:
                finalised += len(self._finalise(tenant_id, due, today))
            except JifenError:
                for claim_id in due:  # isolate the entries that cannot post
                    try:
                        finalised += len(self._finalise(tenant_id, [claim_id], today))
                    except JifenError as exc:
                        failed[claim_id] = exc.code
                        log.warning("claim %s could not be finalised: %s", claim_id, exc)
        with self.db.write() as conn:
            today = self._today(conn, tenant_id)
            ended = conn.execute(select(t.notice_batches.c.id).where(
                t.notice_batches.c.tenant_id == tenant_id, t.notice_batches.c.closed_at.is_(None),
                t.notice_batches.c.ends_on < today).with_for_update()).scalars().all()
            if ended:
                now = self.clock.now()
                for chunk in _chunks(ended, 1000):
                    conn.execute(update(t.notice_batches).where(
                        t.notice_batches.c.tenant_id == tenant_id,
                        t.notice_batches.c.id.in_(chunk)).values(closed_at=now))
                audit_log.record_many(conn, tenant_id, now, None, "notice.closed", "notice",
                                      [(b, "", {}) for b in ended], actor=CLOSE_ACTOR)
        return CloseReport(finalised, len(ended), failed)

    def _finalise(self, tenant_id: uuid.UUID, claim_ids: Sequence[uuid.UUID],
                  today: date) -> list[Claim]:
        with self.db.read() as conn:
            kinds_subjects = conn.execute(select(t.claims.c.kind, t.claims.c.subject_id).where(
                t.claims.c.tenant_id == tenant_id, t.claims.c.id.in_(claim_ids))).all()
        self.ledger.open_accounts(tenant_id, {  # so that the work below runs once
            code for kind, subject_id in kinds_subjects
            for code in (subject_account(subject_id, kind), system_account("issuance", kind))
            if kind != funding.KIND or code.startswith("subject:")})

        def work(conn: Connection, post: Poster) -> list[Claim]:
            rows = conn.execute(select(t.claims).where(
                t.claims.c.tenant_id == tenant_id, t.claims.c.id.in_(claim_ids),
                t.claims.c.state == S.IN_NOTICE, t.claims.c.notice_ends_on < today)
                .order_by(t.claims.c.id).with_for_update()).mappings().all()
            claims = [_claim(r) for r in rows]
            if not claims:
                return []
            views = post(self._funded_requests(conn, tenant_id, claims))
            now = self.clock.now()
            set_many(conn, t.claims, tenant_id, "transaction_id",
                     [(c.id, v.id) for c, v in zip(claims, views, strict=True)],
                     value_type=Uuid(), state=S.FINAL.value, decided_at=now)
            audit_log.record_many(conn, tenant_id, now, None, "claim.final", "claim",
                                  [(c.id, "notice ended without an upheld objection",
                                    {"transaction": str(v.id)})
                                   for c, v in zip(claims, views, strict=True)],
                                  actor=CLOSE_ACTOR)
            return [c.model_copy(update={"state": S.FINAL, "transaction_id": v.id,
                                         "decided_at": now})
                    for c, v in zip(claims, views, strict=True)]

        claims = self._run(tenant_id, work)
        self._announce(tenant_id, claims)
        return claims

    # --- objections (JF-DUE-2) -------------------------------------------------------------

    def object(self, tenant_id: uuid.UUID, claim_id: uuid.UUID, grounds: str,
               raised_by: uuid.UUID | None = None) -> Objection:
        """Anyone objects to an entry while its notice runs; the entry goes back to review."""
        if not grounds.strip():
            raise ReasonRequired("an objection states its grounds")
        with self.db.write() as conn:
            claim = _lock_claim(conn, tenant_id, claim_id)
            if claim.state not in (S.IN_NOTICE, S.OBJECTED):
                raise InvalidTransition(f"only an entry in public notice can be objected to; "
                                        f"this claim is {claim.state}", state=claim.state)
            assert claim.notice_ends_on is not None
            if self._today(conn, tenant_id) > claim.notice_ends_on:
                raise NoticeClosed("the notice of this entry has ended")
            objection = Objection(tenant_id=tenant_id, id=new_id(), claim_id=claim.id,
                                  raised_by=raised_by, raised_at=self.clock.now(),
                                  grounds=grounds, state="open", decided_by=None,
                                  decided_at=None, decision_reason=None)
            conn.execute(insert(t.objections).values(objection.model_dump()))
            if claim.state == S.IN_NOTICE:
                _set(conn, claim, state=S.OBJECTED)
            audit_log.record(conn, tenant_id, objection.raised_at, raised_by, "objection.raised",
                             "claim", claim.id, grounds, {"objection": str(objection.id)},
                             actor=None if raised_by else "anonymous")
            return objection

    def decide_objection(self, tenant_id: uuid.UUID, objection_id: uuid.UUID,
                         decider: uuid.UUID, *, upheld: bool, reason: str) -> Objection:
        """Decide an objection with reasons, by someone other than the approver (JF-DUE-2).
        Upheld: the claim is rejected (and can be appealed). Dismissed: back in notice."""
        _require_reason(reason)
        with self.db.write() as conn:
            objection = _decision_row(conn, t.objections, Objection, tenant_id, objection_id, "objection")
            if objection.state != "open":
                raise InvalidTransition(f"the objection is {objection.state} already")
            claim = _expect(_lock_claim(conn, tenant_id, objection.claim_id), S.OBJECTED)
            if decider == claim.reviewed_by:
                raise SelfReview("the approver of an entry does not decide objections to it")
            path = _subject_path(conn, tenant_id, claim.subject_id)
            item = configure.item_version(conn, tenant_id, claim.item_code, claim.item_version)
            self._check_reviewer(conn, tenant_id, claim, decider, path, item.review_level)
            now = self.clock.now()
            state = "upheld" if upheld else "dismissed"
            conn.execute(update(t.objections).where(
                t.objections.c.tenant_id == tenant_id, t.objections.c.id == objection.id)
                .values(state=state, decided_by=decider, decided_at=now, decision_reason=reason))
            if upheld:
                _set(conn, claim, state=S.REJECTED, deed_key=None, decided_at=now,
                     reason=f"objection upheld: {reason}")
                _close_open(conn, tenant_id, claim.id, decider, now, reason)
            elif not _any_open(conn, t.objections, tenant_id, claim.id):
                _set(conn, claim, state=S.IN_NOTICE)
            self._log(conn, tenant_id, decider, f"objection.{state}", claim.id, reason,
                      objection=str(objection.id))
            return objection.model_copy(update={"state": state, "decided_by": decider,
                                                "decided_at": now, "decision_reason": reason})

    # --- appeals (JF-DUE-3) ----------------------------------------------------------------

    def appeal(self, tenant_id: uuid.UUID, claim_id: uuid.UUID, filed_by: uuid.UUID,
               grounds: str) -> Appeal:
        """The person affected appeals a rejection or a final deduction within the window."""
        if not grounds.strip():
            raise ReasonRequired("an appeal states its grounds")
        with self.db.write() as conn:
            claim = _lock_claim(conn, tenant_id, claim_id)
            deduction = claim.state == S.FINAL and (claim.amount or 0) < 0
            if claim.state != S.REJECTED and not deduction:
                raise InvalidTransition("only rejections and deductions can be appealed",
                                        state=claim.state)
            if not _same_household(conn, tenant_id, filed_by, claim.subject_id):
                raise Forbidden("an appeal is filed by the person affected or their household")
            if _any_open(conn, t.appeals, tenant_id, claim.id):
                raise InvalidTransition("an appeal of this claim is open already")
            path = _subject_path(conn, tenant_id, claim.subject_id)
            days = configure.policy(conn, tenant_id).settings(
                tenants.path_codes(conn, tenant_id, path)).appeal_days
            assert claim.decided_at is not None
            if self._today(conn, tenant_id) > self._local(conn, tenant_id, claim.decided_at) \
                    + timedelta(days=days):
                raise AppealWindowClosed(f"appeals are filed within {days} days of the decision")
            appeal = Appeal(tenant_id=tenant_id, id=new_id(), claim_id=claim.id,
                            filed_by=filed_by, filed_at=self.clock.now(), grounds=grounds,
                            state="open", decided_by=None, decided_at=None, decision_reason=None)
            conn.execute(insert(t.appeals).values(appeal.model_dump()))
            self._log(conn, tenant_id, filed_by, "appeal.filed", claim.id, grounds,
                      appeal=str(appeal.id))
            return appeal

    def decide_appeal(self, tenant_id: uuid.UUID, appeal_id: uuid.UUID, decider: uuid.UUID, *,
                      upheld: bool, reason: str) -> Appeal:
        """Decide an appeal with reasons, by someone who took no part in the decision appealed.
        Upheld: a rejection goes back to review; a deduction is reversed."""
        _require_reason(reason)

        def work(conn: Connection, post: Poster) -> Appeal:
            appeal = _decision_row(conn, t.appeals, Appeal, tenant_id, appeal_id, "appeal")
            if appeal.state != "open":
                raise InvalidTransition(f"the appeal is {appeal.state} already")
            claim = _lock_claim(conn, tenant_id, appeal.claim_id)
            if decider in _deciders(conn, tenant_id, claim):
                raise SelfReview("an appeal is decided by someone who took no part in the "
                                 "decision appealed (JF-DUE-3)")
            path = _subject_path(conn, tenant_id, claim.subject_id)
            item = configure.item_version(conn, tenant_id, claim.item_code, claim.item_version)
            self._check_reviewer(conn, tenant_id, claim, decider, path, item.review_level)
            now = self.clock.now()
            state = "upheld" if upheld else "dismissed"
            if upheld and claim.state == S.REJECTED:
                key = _deed_key(claim.item_code, claim.subject_id, claim.evidence_fingerprint,
                                claim.deed_date)
                if conn.execute(select(t.claims.c.id).where(
                        t.claims.c.tenant_id == tenant_id, t.claims.c.deed_key == key)).first():
                    raise _duplicate(claim.item_code)
                _set(conn, claim, state=S.SUBMITTED, deed_key=key, reason=None, amount=None,
                     reviewed_by=None, reviewed_at=None, cap_note=None, decided_at=None)
            elif upheld:
                assert claim.transaction_id is not None
                post.reverse(claim.transaction_id, f"claim:{claim.id}:reversal",
                             f"appeal upheld: {reason}")
                _set(conn, claim, state=S.REVERSED, decided_at=now, reason=reason)
            conn.execute(update(t.appeals).where(
                t.appeals.c.tenant_id == tenant_id, t.appeals.c.id == appeal.id)
                .values(state=state, decided_by=decider, decided_at=now, decision_reason=reason))
            self._log(conn, tenant_id, decider, f"appeal.{state}", claim.id, reason,
                      appeal=str(appeal.id))
            return appeal.model_copy(update={"state": state, "decided_by": decider,
                                             "decided_at": now, "decision_reason": reason})

        return self._run(tenant_id, work)

    def reverse(self, tenant_id: uuid.UUID, claim_id: uuid.UUID, actor: uuid.UUID,
                reason: str) -> Claim:
        """Correct a final award: its posting is reversed in the ledger (JF-LED-2)."""
        _require_reason(reason)

        def work(conn: Connection, post: Poster) -> Claim:
            claim = _expect(_lock_claim(conn, tenant_id, claim_id), S.FINAL)
            path = _subject_path(conn, tenant_id, claim.subject_id)
            item = configure.item_version(conn, tenant_id, claim.item_code, claim.item_version)
            self._check_reviewer(conn, tenant_id, claim, actor, path, item.review_level)
            assert claim.transaction_id is not None
            post.reverse(claim.transaction_id, f"claim:{claim.id}:reversal", reason)
            claim = _set(conn, claim, state=S.REVERSED, reason=reason,
                         decided_at=self.clock.now())
            self._log(conn, tenant_id, actor, "claim.reversed", claim.id, reason)
            return claim

        return self._run(tenant_id, work)

    # --- reads -----------------------------------------------------------------------------

    def get(self, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> Claim:
        with self.db.read() as conn:
            return _load_claim(conn, tenant_id, claim_id)

    def of_subject(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> list[Claim]:
        with self.db.read() as conn:
            rows = conn.execute(select(t.claims).where(
                t.claims.c.tenant_id == tenant_id, t.claims.c.subject_id == subject_id)
                .order_by(t.claims.c.deed_date, t.claims.c.id)).mappings()
            return [_claim(r) for r in rows]

    def objections(self, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> list[Objection]:
        with self.db.read() as conn:
            rows = conn.execute(select(t.objections).where(
                t.objections.c.tenant_id == tenant_id, t.objections.c.claim_id == claim_id)
                .order_by(t.objections.c.id)).mappings()
            return [Objection.model_validate(dict(r)) for r in rows]

    def batch(self, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> NoticeBatch:
        with self.db.read() as conn:
            return _batch(conn, tenant_id, batch_id)

    # --- shared steps ----------------------------------------------------------------------

    def _run(self, tenant_id: uuid.UUID, work: Callable[[Connection, Poster], _T]) -> _T:
        """Run ``work`` in one transaction with the ledger (see :meth:`Ledger.run`)."""
        try:
            return self.ledger.run(tenant_id, work)
        except IntegrityError as exc:
            if "deed_key" in str(exc.orig).lower():  # a concurrent claim of the same deed won
                raise _duplicate("") from exc
            raise

    def _announce(self, tenant_id: uuid.UUID, claims: list[Claim]) -> None:
        """Tell plugins about claims that became final (after commit)."""
        if not self.pm.hook.claim_finalised.get_hookimpls():
            return
        for claim in claims:
            if claim.state != S.FINAL or claim.transaction_id is None:
                continue
            view = self.ledger.transaction(tenant_id, claim.transaction_id)
            try:
                self.pm.hook.claim_finalised(tenant_id=tenant_id, claim=claim, transaction=view)
            except Exception:  # a plugin's failure must not undo a committed award
                log.exception("claim_finalised hook failed")

    def _funded_requests(self, conn: Connection, tenant_id: uuid.UUID,
                         claims: Sequence[Claim]) -> list[TransactionRequest]:
        """The awards of ``claims``; material ones draw on their item's pool (JF-FUND-1), which
        refuses with `funding.pool_exhausted` (nothing posted) when the pool is short."""
        config = configure.policy(conn, tenant_id).config
        pools: dict[uuid.UUID, str] = {}
        for claim in claims:
            if claim.kind == funding.KIND:
                item = configure.item_version(conn, tenant_id, claim.item_code, claim.item_version)
                pool = config.pool_of(item) if config is not None else item.pool
                if pool is None:
                    raise NotInCatalogue(f"material item {claim.item_code!r} has no funding pool "
                                         "(JF-FUND-1)", item=claim.item_code)
                pools[claim.id] = pool
        funding.draw(conn, tenant_id, [
            funding.Issue(pools[c.id], c.subject_id, c.amount or 0, f"claim:{c.id}", "", {})
            for c in claims if c.id in pools and (c.amount or 0) > 0])
        return [self._award_request(c, pools.get(c.id)) for c in claims]

    def _award_request(self, claim: Claim, pool: str | None) -> TransactionRequest:
        assert claim.amount is not None
        issuance = (funding.pool_account(pool) if pool is not None
                    else system_account("issuance", claim.kind))
        own = subject_account(claim.subject_id, claim.kind)
        return TransactionRequest(
            idempotency_key=f"claim:{claim.id}",
            legs=(Leg(account=issuance, amount=-claim.amount),
                  Leg(account=own, amount=claim.amount)),
            memo=f"claim {claim.item_code} of {claim.deed_date}",
            metadata={"source": "claim", "claim": str(claim.id), "item": claim.item_code,
                      "item_version": str(claim.item_version), "category": claim.category,
                      "evidence": claim.evidence_fingerprint,
                      "approver": str(claim.reviewed_by) if claim.reviewed_by else "auto",
                      "deed_date": str(claim.deed_date),
                      "notice": str(claim.notice_batch_id) if claim.notice_batch_id else "",
                      "notice_ends": str(claim.notice_ends_on) if claim.notice_ends_on else "",
                      **({"pool": pool} if pool else {})})

    def _caps(self, conn: Connection, tenant_id: uuid.UUID, claim: Claim, item: CatalogueItem,
              requested: int, subject_path: str) -> CapOutcome:
        """Reduce ``requested`` to the room left under every cap, or refuse (JF-CAT-2).

        Caps bound magnitudes: an award's caps count the subject's awards, a deduction's caps
        count their deductions, each in the item's kind only.
        """
        sign = 1 if requested > 0 else -1
        scale = self.registry.kind(item.kind).scale
        limits: list[tuple[str, int]] = []
        if item.max_units is not None and item.per_unit is not None:
            limits.append((f"item {item.code} max_units {item.max_units}",
                           abs(to_minor(item.per_unit * item.max_units, scale))))
        category_caps = configure.policy(conn, tenant_id).category_caps(item.category)
        same_sign = t.claims.c.amount > 0 if sign > 0 else t.claims.c.amount < 0
        for scope, caps, column, value in (
                ("item", item.caps, t.claims.c.item_code, item.code),
                ("category", category_caps, t.claims.c.category, item.category)):
            if caps is None:
                continue
            for period in ("per_day", "per_month", "per_year"):
                cap: Decimal | None = getattr(caps, period)
                if cap is None:
                    continue
                start, end = _period(claim.deed_date, period)
                used = conn.execute(select(func.coalesce(func.sum(t.claims.c.amount), 0)).where(
                    t.claims.c.tenant_id == tenant_id, t.claims.c.subject_id == claim.subject_id,
                    column == value, t.claims.c.kind == item.kind, same_sign,
                    t.claims.c.state.in_(COUNTED), t.claims.c.id != claim.id,
                    t.claims.c.deed_date >= start, t.claims.c.deed_date < end)).scalar_one()
                limits.append((f"{scope} {value} {period} {cap}",
                               to_minor(cap, scale) - abs(int(used))))
        granted, binding = abs(requested), None
        for name, room in limits:
            if room < granted:
                granted, binding = max(room, 0), name
        if binding is None:
            return CapOutcome(outcome="none", requested=requested, granted=requested)
        return CapOutcome(outcome="refused" if granted == 0 else "reduced",
                          requested=requested, granted=sign * granted, cap=binding)

    def _check_reviewer(self, conn: Connection, tenant_id: uuid.UUID, claim: Claim,
                        reviewer: uuid.UUID, subject_path: str, level: str) -> None:
        """JF-EARN-4: not one's own claim nor one's household's; and JF-PRIV-1: a reviewer at
        the item's review level or above, over the claimant's unit."""
        if _same_household(conn, tenant_id, reviewer, claim.subject_id):
            raise SelfReview("a reviewer may not decide on their own claim or their "
                             "household's (JF-EARN-4)")
        roles.require(conn, tenant_id, reviewer, roles.REVIEWER, subject_path,
                      at_level_or_above=level)

    def _today(self, conn: Connection, tenant_id: uuid.UUID) -> date:
        return self._local(conn, tenant_id, self.clock.now())

    @staticmethod
    def _local(conn: Connection, tenant_id: uuid.UUID, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(_timezone(conn, tenant_id))).date()

    def _log(self, conn: Connection, tenant_id: uuid.UUID, actor: uuid.UUID | None, action: str,
             claim_id: uuid.UUID, reason: str, **data: str) -> None:
        audit_log.record(conn, tenant_id, self.clock.now(), actor, action, "claim", claim_id,
                         reason, data)


# --- rows -------------------------------------------------------------------------------------

def _claim(row: Any) -> Claim:
    """A claim from its row (trusted: the database's constraints keep it valid)."""
    values = {name: row[name] for name in Claim.model_fields}
    values["state"] = ClaimState(values["state"])
    return Claim.model_construct(**values)


def _find_by_key(conn: Connection, tenant_id: uuid.UUID, key: str) -> dict[str, Any] | None:
    row = conn.execute(select(t.claims).where(t.claims.c.tenant_id == tenant_id,
                                              t.claims.c.idempotency_key == key)).mappings().first()
    return dict(row) if row else None


def _load_claim(conn: Connection, tenant_id: uuid.UUID, claim_id: uuid.UUID,
                lock: bool = False) -> Claim:
    query = select(t.claims).where(t.claims.c.tenant_id == tenant_id, t.claims.c.id == claim_id)
    row = conn.execute(query.with_for_update() if lock else query).mappings().first()
    if row is None:
        raise NotFound("no such claim in this tenant", claim=str(claim_id))
    return _claim(row)


def _lock_claim(conn: Connection, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> Claim:
    return _load_claim(conn, tenant_id, claim_id, lock=True)


def _expect(claim: Claim, *states: ClaimState) -> Claim:
    if claim.state not in states:
        raise InvalidTransition(
            f"the claim is {claim.state}; this step needs {' or '.join(states)} (JF-EARN-1)",
            state=claim.state)
    return claim


def _set(conn: Connection, claim: Claim, **values: Any) -> Claim:
    conn.execute(update(t.claims).where(t.claims.c.tenant_id == claim.tenant_id,
                                        t.claims.c.id == claim.id).values(**values))
    return claim.model_copy(update={k: v for k, v in values.items() if k in Claim.model_fields})


def _lock_subject(conn: Connection, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> str:
    """Lock the subject's row (so caps are counted by one reviewer at a time); its unit's path."""
    row = conn.execute(select(t.subjects.c.id).where(
        t.subjects.c.tenant_id == tenant_id, t.subjects.c.id == subject_id)
        .with_for_update()).first()
    if row is None:
        raise NotFound("no such subject in this tenant", subject=str(subject_id))
    return _subject_path(conn, tenant_id, subject_id)


def _subject_path(conn: Connection, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> str:
    path = conn.execute(select(t.org_units.c.path).join(
        t.subjects, and_(t.subjects.c.tenant_id == t.org_units.c.tenant_id,
                         t.subjects.c.org_unit_id == t.org_units.c.id)).where(
        t.subjects.c.tenant_id == tenant_id, t.subjects.c.id == subject_id)).scalar()
    if path is None:
        raise NotFound("no such subject in this tenant", subject=str(subject_id))
    return str(path)


def of_subjects_under(conn: Connection, tenant_id: uuid.UUID,
                      paths: list[str]) -> ColumnElement[bool]:
    """Claims of the subjects attached to the units at ``paths`` or below them.

    The units are read first (a few rows of the org tree) and passed as values, so that the
    database starts from those units' subjects (``ix_subjects_org_unit``) and fetches their
    claims (``ix_claims_subject``): a community's publication or review queue reads that
    community's share, not every waiting claim of the city. (Given a join to ``org_units``
    instead, PostgreSQL cannot tell how few subjects the units hold.)"""
    units = conn.execute(select(t.org_units.c.id).where(
        t.org_units.c.tenant_id == tenant_id,
        or_(*(or_(t.org_units.c.path == p, t.org_units.c.path.like(f"{p}/%")) for p in paths)))
        ).scalars().all()
    subjects = select(t.subjects.c.id).where(t.subjects.c.tenant_id == tenant_id,
                                             t.subjects.c.org_unit_id.in_(units))
    return and_(t.claims.c.tenant_id == tenant_id, t.claims.c.subject_id.in_(subjects))


def _timezone(conn: Connection, tenant_id: uuid.UUID) -> str:
    return str(conn.execute(select(t.tenants.c.timezone).where(
        t.tenants.c.id == tenant_id)).scalar_one())


def _households(conn: Connection, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> set[uuid.UUID]:
    """The households the subject belongs to, and the subject itself."""
    found = set(conn.execute(select(t.household_links.c.household_id).where(
        t.household_links.c.tenant_id == tenant_id,
        t.household_links.c.member_id == subject_id)).scalars())
    return found | {subject_id}


def _same_household(conn: Connection, tenant_id: uuid.UUID, a: uuid.UUID, b: uuid.UUID) -> bool:
    return bool(_households(conn, tenant_id, a) & _households(conn, tenant_id, b))


def _deciders(conn: Connection, tenant_id: uuid.UUID, claim: Claim) -> set[uuid.UUID]:
    """Who took part in the decisions on a claim: its reviewer and objection deciders."""
    decided = set(conn.execute(select(t.objections.c.decided_by).where(
        t.objections.c.tenant_id == tenant_id, t.objections.c.claim_id == claim.id,
        t.objections.c.decided_by.is_not(None))).scalars())
    return decided | ({claim.reviewed_by} if claim.reviewed_by else set())


def _decision_row(conn: Connection, table: Any, model: type[_D], tenant_id: uuid.UUID,
                  row_id: uuid.UUID, what: str) -> _D:
    """An objection or appeal (tables of one shape), locked for its decision."""
    row = conn.execute(select(table).where(table.c.tenant_id == tenant_id, table.c.id == row_id)
                       .with_for_update()).mappings().first()
    if row is None:
        raise NotFound(f"no such {what} in this tenant", **{what: str(row_id)})
    return model.model_validate(dict(row))


def _any_open(conn: Connection, table: Any, tenant_id: uuid.UUID, claim_id: uuid.UUID) -> bool:
    """Whether the claim has an open objection or appeal (``table`` says which)."""
    return conn.execute(select(table.c.id).where(
        table.c.tenant_id == tenant_id, table.c.claim_id == claim_id,
        table.c.state == "open")).first() is not None


def _close_open(conn: Connection, tenant_id: uuid.UUID, claim_id: uuid.UUID,
                decider: uuid.UUID, now: datetime, reason: str) -> None:
    """When one objection is upheld the entry is out; the others are upheld with it."""
    conn.execute(update(t.objections).where(
        t.objections.c.tenant_id == tenant_id, t.objections.c.claim_id == claim_id,
        t.objections.c.state == "open").values(
        state="upheld", decided_by=decider, decided_at=now,
        decision_reason=f"decided with another objection: {reason}"))


def _batch(conn: Connection, tenant_id: uuid.UUID, batch_id: uuid.UUID) -> NoticeBatch:
    row = conn.execute(select(t.notice_batches).where(
        t.notice_batches.c.tenant_id == tenant_id,
        t.notice_batches.c.id == batch_id)).mappings().first()
    if row is None:
        raise NotFound("no such notice in this tenant", notice=str(batch_id))
    entries = conn.execute(select(func.count()).where(
        t.claims.c.tenant_id == tenant_id, t.claims.c.notice_batch_id == batch_id)).scalar_one()
    return NoticeBatch.model_validate({**dict(row), "entries": entries})


# --- small pure helpers -----------------------------------------------------------------------

def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def _deed_key(item: str, subject_id: uuid.UUID, fingerprint: str, deed_date: date) -> str:
    """JF-EARN-5: one deed is item, subject, evidence fingerprint and date."""
    return _digest([item, str(subject_id), fingerprint, str(deed_date)])


def _duplicate(item: str) -> DuplicateDeed:
    return DuplicateDeed(f"this deed{f' ({item})' if item else ''} is already claimed for this "
                         "subject with the same evidence and date (JF-EARN-5)", item=item)


def _require_reason(reason: str) -> None:
    if not reason.strip():
        raise ReasonRequired("give the reason for this decision (JF-EARN-2)")


def _period(day: date, period: str) -> tuple[date, date]:
    if period == "per_day":
        return day, day + timedelta(days=1)
    if period == "per_month":
        start = day.replace(day=1)
        return start, (start + timedelta(days=32)).replace(day=1)
    start = day.replace(month=1, day=1)
    return start, start.replace(year=start.year + 1)


def _outcome_of(claim: Claim) -> CapOutcome:
    """The cap outcome recorded on a claim (its ``cap_note`` names the deciding cap)."""
    requested = claim.requested or 0
    if claim.cap_note is None:
        granted = claim.amount if claim.amount is not None else requested
        return CapOutcome(outcome="none", requested=requested, granted=granted)
    if claim.state == S.REJECTED:
        return CapOutcome(outcome="refused", requested=requested, granted=0, cap=claim.cap_note)
    return CapOutcome(outcome="reduced", requested=requested, granted=claim.amount or 0,
                      cap=claim.cap_note)


def _chunks(items: Sequence[uuid.UUID], size: int) -> Iterable[Sequence[uuid.UUID]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
