"""The contribution score and its explanation (JF-SCORE-1..3, JF-CAT-5, JF-EXP-2, JF-SUB-2).

A subject's score is computed from the postings on its moral account by a published method.
The method is a plugin: the core asks the ``compute_score`` hook and the first answer wins
(JF-SCORE-3); the built-in plugin ``jifen.builtins.default_score`` answers last with
:func:`default_method`, the sum within the window with per-category weights (JF-SCORE-1).

Every :class:`Score` carries its explanation (JF-SCORE-2): one :class:`CategoryScore` per
category and one :class:`ScoreLine` per posting, down to the catalogue item, its version, the
claim, the evidence fingerprint, the approver and the notice. Lines that do not count are listed
too, with the reason. Arithmetic is exact: amounts are integer tenths, weights and contributions
:class:`~decimal.Decimal`, and ``value`` equals the sum of the counted lines' contributions and
the sum of the categories' contributions, exactly; the :class:`Scorer` refuses a method whose
score does not add up.

Time: a score is computed *as of* an aware instant. Only transactions created at or before
``as_of`` are seen, so a score as of a past instant is the same whenever it is recomputed (a
reversal posted after ``as_of`` does not change it). Months are calendar months in the tenant's
time zone; a day that does not exist in the target month is clamped to the month's last day
(31 March − 1 month = 28 or 29 February).
"""

from __future__ import annotations

import calendar
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Context, Decimal, Inexact, Rounded, localcontext
from typing import Any, Literal
from zoneinfo import ZoneInfo

import pluggy
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import Connection, and_, select

from jifen.config import Settings
from jifen.errors import InvalidInput, NotFound, PluginError
from jifen.ledger import subject_account
from jifen.model import PostingView, TransactionView
from jifen.store import Database
from jifen.store import tables as t

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_METHOD_VERSION",
    "MORAL",
    "UNCATEGORISED",
    "CategoryScore",
    "ExcludedReason",
    "LineKind",
    "Score",
    "ScoreLine",
    "ScoreRequest",
    "Scorer",
    "SettingsFor",
    "add_months",
    "check_score",
    "default_method",
]

MORAL = "moral"
"""The point kind scores are computed from (JF-KIND-2)."""
DEFAULT_METHOD = "jifen.default"
"""Name of the default method: the sum within the window, with per-category weights."""
DEFAULT_METHOD_VERSION = "1"
UNCATEGORISED = "uncategorised"
"""Category of a posting whose transaction names none (e.g. a direct award)."""

SettingsFor = Callable[[uuid.UUID, uuid.UUID], Settings]
"""``settings_for(tenant_id, org_unit_id)``: the settings in force at a subject's org unit."""

LineKind = Literal["award", "deduction", "reversal"]
"""An ``award`` adds points, a ``deduction`` takes them away, a ``reversal`` undoes an earlier
transaction (JF-LED-2)."""
ExcludedReason = Literal["reversed", "outside_window", "deduction_expired"]
"""Why a line does not count: it is one of a reversed pair; it was posted before the window
(JF-EXP-2); it is a deduction past its validity (JF-CAT-5)."""

_CHUNK = 500
_TENTHS = 1  # the scale of moral points: amounts are integer tenths
# Exact arithmetic: a context that raises rather than round.
_EXACT = Context(prec=200, traps=[Inexact, Rounded])
_ZERO = Decimal(0)
_ONE = Decimal(1)


# --------------------------------------------------------------------------------------------------
# the score and its explanation


class ScoreLine(BaseModel):
    """One posting on the subject's moral account, and what it contributes (JF-SCORE-2).

    The item, version, category, claim, evidence, approver, deed date and notice are those the
    claim recorded on its ledger transaction; a reversal repeats those of the transaction it
    reverses. A posting made without a claim (a direct award) has the item and category its
    transaction's metadata names, else ``""`` and ``uncategorised``.
    """

    model_config = ConfigDict(frozen=True)

    transaction_id: uuid.UUID
    posting_id: uuid.UUID
    posted_at: datetime
    """When the transaction was created: what the window and the validity are measured on."""
    amount: int
    """Signed, in tenths of a moral point (211.2 is 2112)."""
    kind: LineKind
    item: str
    """Catalogue item code, ``""`` when the transaction names none."""
    item_version: date | None
    """``valid_from`` of the catalogue item version applied (JF-CAT-3)."""
    category: str
    claim: uuid.UUID | None
    evidence: str
    """Fingerprint (sha256 hex) of the claim's evidence, ``""`` when none."""
    approver: str
    """Subject id of the reviewer who approved the claim, ``auto`` for auto-awarded items,
    ``""`` when the transaction did not come from a claim."""
    deed_date: date | None
    notice: uuid.UUID | None
    """The public notice batch the claim was listed in (JF-EARN-6)."""
    memo: str
    paired_with: uuid.UUID | None = None
    """For one of a reversed pair: the other transaction."""
    counts_until: datetime | None = None
    """For a deduction: the instant it stops lowering the score (JF-CAT-5)."""
    weight: Decimal
    """The category's weight (JF-SCORE-1)."""
    contribution: Decimal
    """What the line adds to the score: points × weight when counted, else 0."""
    counted: bool
    excluded_reason: ExcludedReason | None = None


class CategoryScore(BaseModel):
    """The counted lines of one category, summed (JF-SCORE-2)."""

    model_config = ConfigDict(frozen=True)

    category: str
    weight: Decimal
    points: int
    """The counted amount, in tenths of a moral point."""
    contribution: Decimal
    """points × weight, exactly."""


class Score(BaseModel):
    """A contribution score with its explanation, and the method that computed it (JF-SCORE-3).

    ``value`` is the sum of ``categories[*].contribution`` and of the contributions of the
    counted ``lines``, exactly. ``basis_subject_id`` is the subject whose postings were used:
    the subject itself, or a guardian when a scenario uses a guardian's score for a child
    (JF-SUB-2, see [`Scorer.score_for_scenario`][jifen.scoring.Scorer.score_for_scenario]).
    """

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    subject_id: uuid.UUID
    basis_subject_id: uuid.UUID
    as_of: AwareDatetime
    window_start: AwareDatetime | None
    """Earliest instant of a posting that counts; ``None`` if the method has no window."""
    method: str = Field(min_length=1, max_length=100)
    method_version: str = Field(min_length=1, max_length=50)
    value: Decimal
    categories: tuple[CategoryScore, ...]
    lines: tuple[ScoreLine, ...]


class ScoreRequest(BaseModel):
    """What a method is given to score one subject (the argument of ``compute_score``).

    ``history`` holds every transaction created at or before ``as_of`` that touches the
    subject's moral account (``subject:<id>:moral``), oldest first; each carries **only its
    postings on that account** (the issuance leg is left out). ``settings`` are those in force
    at the subject's org unit (JF-ORG-3): window, deduction validity, category weights.
    ``timezone`` is the tenant's, in which calendar months are counted.
    """

    model_config = ConfigDict(frozen=True)

    tenant_id: uuid.UUID
    subject_id: uuid.UUID
    as_of: AwareDatetime
    timezone: str = "UTC"
    settings: Settings
    history: tuple[TransactionView, ...]

    @property
    def account(self) -> str:
        """The code of the subject's moral account."""
        return subject_account(self.subject_id, MORAL)


# --------------------------------------------------------------------------------------------------
# month arithmetic


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` moved by whole calendar ``months`` (negative: back), on its own wall clock.

    The day is clamped to the last day of the target month: 31 March + (−1) is 28 or 29
    February; the time of day and the time zone are kept.
    """
    index = moment.year * 12 + moment.month - 1 + months
    year, month0 = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


def _shift(moment: datetime, months: int, zone: ZoneInfo) -> datetime:
    """Move an aware instant by calendar months in ``zone``; the result is in UTC."""
    return add_months(moment.astimezone(zone), months).astimezone(UTC)


# --------------------------------------------------------------------------------------------------
# the default method


def _date_or_none(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _points(amount: int) -> Decimal:
    return Decimal(amount).scaleb(-_TENTHS)


def default_method(request: ScoreRequest) -> Score:
    """The default method ``jifen.default``, version 1 (JF-SCORE-1, JF-EXP-2, JF-CAT-5).

    Every posting on the subject's moral account is listed. A posting counts, with
    ``contribution = points × weight`` (the weight of its category in
    ``settings.category_weights``, default 1), unless:

    * its transaction was reversed, or is the reversal of another: both lines are listed with
      reason ``reversed`` and neither counts (a correction removes the original whole, wherever
      the two fall with respect to the window);
    * it was posted before the window start, ``as_of`` − ``score_window_months`` calendar
      months (reason ``outside_window``); a posting at exactly the window start counts;
    * it is a deduction and ``as_of`` is at or after ``posted_at`` +
      ``deduction_validity_months`` (reason ``deduction_expired``, JF-CAT-5): the deduction
      stays listed, with ``counts_until``, but no longer lowers the score.

    Postings after ``as_of`` are not listed (they did not exist then).
    """
    zone = ZoneInfo(request.timezone)
    as_of = request.as_of.astimezone(UTC)
    settings = request.settings
    window_start = _shift(as_of, -settings.score_window_months, zone)
    account = request.account
    weights = settings.category_weights

    visible = [tx for tx in request.history if tx.created_at.astimezone(UTC) <= as_of]
    by_id = {tx.id: tx for tx in visible}
    reversed_by = {tx.reverses_id: tx.id for tx in visible if tx.reverses_id is not None}

    lines: list[ScoreLine] = []
    totals: dict[str, list[Any]] = {}
    with localcontext(_EXACT):
        for tx in visible:
            # a reversal explains itself by the transaction it reverses
            original = by_id.get(tx.reverses_id) if tx.reverses_id is not None else None
            meta = (original or tx).metadata
            from_claim = meta.get("source") == "claim"
            category = meta.get("category") or UNCATEGORISED
            weight = weights.get(category, _ONE)
            posted_at = tx.created_at.astimezone(UTC)
            for posting in tx.postings:
                if posting.account != account or posting.kind != MORAL:
                    continue
                kind: LineKind
                if tx.reverses_id is not None:
                    kind = "reversal"
                elif posting.amount < 0:
                    kind = "deduction"
                else:
                    kind = "award"
                paired = tx.reverses_id if tx.reverses_id is not None else reversed_by.get(tx.id)
                counts_until = None
                if kind == "deduction":
                    counts_until = _shift(posted_at, settings.deduction_validity_months, zone)
                reason: ExcludedReason | None = None
                if paired is not None:
                    reason = "reversed"
                elif posted_at < window_start:
                    reason = "outside_window"
                elif counts_until is not None and as_of >= counts_until:
                    reason = "deduction_expired"
                contribution = _points(posting.amount) * weight if reason is None else _ZERO
                lines.append(ScoreLine(
                    transaction_id=tx.id, posting_id=posting.id, posted_at=posted_at,
                    amount=posting.amount, kind=kind, item=meta.get("item", ""),
                    item_version=_date_or_none(meta.get("item_version")), category=category,
                    claim=_uuid_or_none(meta.get("claim")), evidence=meta.get("evidence", ""),
                    approver=meta.get("approver", "") if from_claim else "",
                    deed_date=_date_or_none(meta.get("deed_date")),
                    notice=_uuid_or_none(meta.get("notice")), memo=tx.memo, paired_with=paired,
                    counts_until=counts_until, weight=weight, contribution=contribution,
                    counted=reason is None, excluded_reason=reason))
                total = totals.setdefault(category, [weight, 0, _ZERO])
                if reason is None:
                    total[1] += posting.amount
                    total[2] += contribution
        categories = tuple(
            CategoryScore(category=name, weight=w, points=p, contribution=c)
            for name, (w, p, c) in sorted(totals.items()))
        value = sum((c.contribution for c in categories), _ZERO)
    return Score(
        tenant_id=request.tenant_id, subject_id=request.subject_id,
        basis_subject_id=request.subject_id, as_of=as_of, window_start=window_start,
        method=DEFAULT_METHOD, method_version=DEFAULT_METHOD_VERSION, value=value,
        categories=categories, lines=tuple(lines))


# --------------------------------------------------------------------------------------------------
# checking a method's answer


def check_score(score: object, request: ScoreRequest) -> Score:
    """Refuse (``plugin.invalid``) a score that is not for the request or does not add up.

    The score must be a [`Score`][jifen.scoring.Score] for the request's tenant, subject
    (also its basis) and ``as_of``; a counted line has no ``excluded_reason``, a line not
    counted has one and contributes 0; ``value`` equals the sum of the counted lines'
    contributions and the sum of the categories' contributions, exactly. Plugin authors can
    call it in their own tests.
    """
    if not isinstance(score, Score):
        raise PluginError(f"compute_score returned {type(score).__name__}, not a Score")
    where = f"score of method {score.method!r} {score.method_version!r}"
    if (score.tenant_id, score.subject_id, score.basis_subject_id) != (
            request.tenant_id, request.subject_id, request.subject_id):
        raise PluginError(f"{where} is not for the subject asked about",
                          subject=str(request.subject_id))
    if score.as_of != request.as_of:
        raise PluginError(f"{where} is as of {score.as_of}, not {request.as_of}")
    with localcontext(_EXACT):
        for line in score.lines:
            if line.counted == (line.excluded_reason is not None):
                raise PluginError(f"{where}: line {line.posting_id} must give an excluded_reason "
                                  "exactly when it is not counted")
            if not line.counted and line.contribution != 0:
                raise PluginError(f"{where}: line {line.posting_id} is not counted but "
                                  f"contributes {line.contribution}")
        by_lines = sum((line.contribution for line in score.lines if line.counted), _ZERO)
        by_categories = sum((c.contribution for c in score.categories), _ZERO)
    if not score.value == by_lines == by_categories:
        raise PluginError(
            f"{where} does not add up: value {score.value}, counted lines {by_lines}, "
            f"categories {by_categories} (JF-SCORE-2)",
            value=str(score.value), lines=str(by_lines), categories=str(by_categories))
    return score


# --------------------------------------------------------------------------------------------------
# the scorer


class Scorer:
    """Loads histories, asks the ``compute_score`` hook, checks the answer.

    Args:
        db: the database.
        pm: the plugin manager (its first ``compute_score`` answer is the method).
        settings_for: ``settings_for(tenant_id, org_unit_id)``, the settings in force at a
            subject's org unit (JF-ORG-3).
    """

    def __init__(self, db: Database, pm: pluggy.PluginManager, settings_for: SettingsFor) -> None:
        self.db = db
        self.pm = pm
        self.settings_for = settings_for

    def score(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, as_of: datetime) -> Score:
        """The subject's own score as of ``as_of``, with its explanation (JF-SCORE-1/2).

        Raises:
            NotFound: no such subject in this tenant.
            InvalidInput: ``as_of`` is naive.
            PluginError: no plugin computes scores, or the method's score does not add up.
        """
        return self.score_many(tenant_id, [subject_id], as_of)[subject_id]

    def score_many(self, tenant_id: uuid.UUID, subject_ids: Iterable[uuid.UUID],
                   as_of: datetime) -> dict[uuid.UUID, Score]:
        """The scores of many subjects as of one instant, each equal to its :meth:`score`.

        Histories are loaded in bulk (see :meth:`iter_scores`), never one subject at a time.
        A subject not in the tenant raises NotFound (naming the first one missing) and
        nothing is returned.
        """
        return {score.subject_id: score for score in self.iter_scores(tenant_id, subject_ids, as_of)}

    def iter_scores(self, tenant_id: uuid.UUID, subject_ids: Iterable[uuid.UUID],
                    as_of: datetime) -> Iterator[Score]:
        """The scores of many subjects as of one instant, one by one, in the order given.

        Subjects are taken 500 at a time: for each chunk, three queries in one short read
        (org units, moral accounts, their postings with their transactions), then the chunk is
        scored and its histories dropped; so memory stays flat however many subjects are
        scored. A subject named twice is scored once. A subject not in the tenant raises
        NotFound when its chunk is reached.
        """
        as_of = _aware(as_of)
        ids = list(dict.fromkeys(subject_ids))
        return self._iter_scores(tenant_id, ids, as_of)

    def _iter_scores(self, tenant_id: uuid.UUID, ids: list[uuid.UUID],
                     as_of: datetime) -> Iterator[Score]:
        settings: dict[uuid.UUID, Settings] = {}
        timezone: str | None = None
        for chunk in _chunks(ids):
            with self.db.read() as conn:
                if timezone is None:
                    timezone = _timezone(conn, tenant_id)
                units = _org_units(conn, tenant_id, chunk)
                histories = _histories(conn, tenant_id, chunk, as_of)
            for subject_id in chunk:
                unit = units[subject_id]
                if unit not in settings:
                    settings[unit] = self.settings_for(tenant_id, unit)
                yield self.compute(ScoreRequest(
                    tenant_id=tenant_id, subject_id=subject_id, as_of=as_of, timezone=timezone,
                    settings=settings[unit], history=tuple(histories.pop(subject_id, ()))))

    def score_for_scenario(self, tenant_id: uuid.UUID, subject_id: uuid.UUID,
                           as_of: datetime) -> Score:
        """The score a scenario decides on (JF-SUB-2).

        For a child in a household (linked with role ``child``) whose effective setting
        ``child_score`` is ``best_of_guardians``: the highest of the child's own score and the
        score of each guardian of each of its households (each guardian scored under the
        settings of the guardian's own org unit). A tie keeps the child's own score; between
        guardians, the first by subject id. The score returned is for the child
        (``subject_id``), and ``basis_subject_id`` names whose postings it is. Otherwise, and
        with the default ``child_score: own``, it is the subject's own score.
        """
        as_of = _aware(as_of)
        with self.db.read() as conn:
            unit = _org_units(conn, tenant_id, [subject_id])[subject_id]
            guardians = _guardians(conn, tenant_id, subject_id)
        if not guardians or self.settings_for(tenant_id, unit).child_score != "best_of_guardians":
            return self.score(tenant_id, subject_id, as_of)
        scores = self.score_many(tenant_id, [subject_id, *guardians], as_of)
        best = scores[subject_id]
        for guardian in guardians:
            if scores[guardian].value > best.value:
                best = scores[guardian]
        return best.model_copy(update={"subject_id": subject_id})

    def compute(self, request: ScoreRequest) -> Score:
        """Ask the ``compute_score`` hook (first answer wins, JF-SCORE-3) and check the answer."""
        answer = self.pm.hook.compute_score(request=request)
        if answer is None:
            raise PluginError(
                "no plugin computes contribution scores: the built-in jifen.builtins.default_score "
                "is disabled and no other plugin answers compute_score (JF-SCORE-3)")
        return check_score(answer, request)


# --------------------------------------------------------------------------------------------------
# queries


def _aware(as_of: datetime) -> datetime:
    if as_of.tzinfo is None or as_of.utcoffset() is None:
        raise InvalidInput("as_of must be an aware datetime (with a time zone)", as_of=str(as_of))
    return as_of.astimezone(UTC)


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def _timezone(conn: Connection, tenant_id: uuid.UUID) -> str:
    zone = conn.execute(select(t.tenants.c.timezone).where(t.tenants.c.id == tenant_id)).scalar()
    if zone is None:
        raise NotFound("no such tenant", tenant=str(tenant_id))
    return str(zone)


def _org_units(conn: Connection, tenant_id: uuid.UUID,
               ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    """Each subject's org unit; NotFound for a subject not in the tenant."""
    units: dict[uuid.UUID, uuid.UUID] = {}
    for chunk in _chunks(ids):
        units.update((row.id, row.org_unit_id) for row in conn.execute(
            select(t.subjects.c.id, t.subjects.c.org_unit_id).where(
                t.subjects.c.tenant_id == tenant_id, t.subjects.c.id.in_(chunk))))
    for subject_id in ids:
        if subject_id not in units:
            raise NotFound("no such subject in this tenant", subject=str(subject_id))
    return units


def _histories(conn: Connection, tenant_id: uuid.UUID, ids: Sequence[uuid.UUID],
               as_of: datetime) -> dict[uuid.UUID, list[TransactionView]]:
    """Per subject, the transactions up to ``as_of`` with their postings on its moral account.

    Two queries per chunk of subjects: the accounts by code, then their postings by account id
    (so that every backend searches the postings by their account index).
    """
    p, a, x = t.postings, t.accounts, t.transactions
    result: dict[uuid.UUID, list[TransactionView]] = defaultdict(list)
    for chunk in _chunks(ids):
        codes = [subject_account(subject_id, MORAL) for subject_id in chunk]
        accounts = {row.id: (row.subject_id, row.code) for row in conn.execute(
            select(a.c.id, a.c.subject_id, a.c.code).where(
                a.c.tenant_id == tenant_id, a.c.code.in_(codes)))}
        if not accounts:
            continue
        rows = conn.execute(
            select(p.c.id, p.c.transaction_id, p.c.account_id, p.c.kind, p.c.amount, p.c.lot_id,
                   x.c.seq, x.c.idempotency_key, x.c.memo, x.c.meta, x.c.reverses_id,
                   x.c.created_at, x.c.hash)
            .select_from(p.join(x, and_(x.c.tenant_id == p.c.tenant_id,
                                        x.c.id == p.c.transaction_id)))
            .where(p.c.tenant_id == tenant_id, p.c.account_id.in_(list(accounts)),
                   x.c.tenant_id == tenant_id, x.c.created_at <= as_of)
            .order_by(x.c.seq, p.c.id))
        found: dict[tuple[uuid.UUID, uuid.UUID], tuple[Any, list[PostingView]]] = {}
        for row in rows.all():
            (posting_id, tx_id, account_id, kind, amount, lot_id) = row[:6]
            subject_id, code = accounts[account_id]
            key = (subject_id, tx_id)
            if key not in found:
                found[key] = (row, [])
            found[key][1].append(PostingView(
                id=posting_id, transaction_id=tx_id, account=code, kind=kind,
                amount=int(amount), lot_id=lot_id))
        for (subject_id, tx_id), (row, postings) in found.items():  # insertion order: by seq
            seq, key_, memo, meta, reverses_id, created_at, hash_ = row[6:]
            result[subject_id].append(TransactionView(
                tenant_id=tenant_id, id=tx_id, seq=int(seq), idempotency_key=key_, memo=memo,
                metadata=meta or {}, reverses_id=reverses_id, created_at=created_at,
                hash=hash_, postings=tuple(postings)))
    return result


def _guardians(conn: Connection, tenant_id: uuid.UUID, child_id: uuid.UUID) -> list[uuid.UUID]:
    """The guardians of every household in which ``child_id`` is a child, by id (JF-SUB-2).

    Two indexed lookups (the child's households, then their guardians) rather than a self-join,
    whose plan SQLite without statistics drove from every guardian of the tenant."""
    links = t.household_links.c
    households = conn.execute(select(links.household_id).where(
        links.tenant_id == tenant_id, links.member_id == child_id,
        links.role == "child")).scalars().all()
    if not households:
        return []
    rows = conn.execute(select(links.member_id).where(
        links.tenant_id == tenant_id, links.household_id.in_(households),
        links.role == "guardian", links.member_id != child_id)).scalars()
    return sorted(set(rows))
