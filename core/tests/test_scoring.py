"""The contribution score and its explanation (JF-SCORE-1..3, JF-CAT-5, JF-EXP-2, JF-SUB-2).
Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event

from jifen import hookimpl
from jifen.clock import MovableClock
from jifen.config import Settings
from jifen.errors import JifenError
from jifen.model import LinkRole, Points, PostingView, Subject, SubjectCreate, TransactionView
from jifen.model.claims import ClaimSubmit
from jifen.platform import Platform
from jifen.plugins import make_plugin_manager
from jifen.scoring import (
    DEFAULT_METHOD,
    Score,
    Scorer,
    ScoreRequest,
    add_months,
    check_score,
    default_method,
)
from jifen.testing import TenantFixture, make_claims_city, make_tenant, registered_plugin

START = datetime(2024, 3, 1, 8, 0, tzinfo=UTC)  # make_platform's clock; 16:00 in Asia/Shanghai


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


def scorer(platform: Platform, settings: Settings | None = None, **fields: Any) -> Scorer:
    chosen = settings or Settings.model_validate(fields)
    return Scorer(platform.db, platform.pm, lambda _tenant, _unit: chosen)


def give(city: TenantFixture, who: Subject, amount: str, category: str | None = "volunteering",
         item: str = "volunteer.hour") -> TransactionView:
    """A direct moral award (or, with a negative amount, a deduction) without a claim."""
    metadata = {"item": item} | ({"category": category} if category else {})
    return city.platform.award(city.id, who.id, Points.of("moral", amount),
                               idempotency_key=uuid.uuid4().hex, metadata=metadata)


def code_of(call: Any) -> str:
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def adds_up(score: Score) -> bool:
    lines = sum((line.contribution for line in score.lines if line.counted), Decimal(0))
    categories = sum((c.contribution for c in score.categories), Decimal(0))
    return score.value == lines == categories


# --- JF-SCORE-1: the default method ----------------------------------------------------------------

def test_jf_score_1_default_is_the_sum_of_moral_postings_within_the_window(
        city: TenantFixture) -> None:
    p, wu, nobody = city.platform, city.resident("武建国"), city.resident("李四")
    give(city, wu, "10")
    give(city, wu, "5.5", category="good_deed", item="good.deed")
    give(city, wu, "-2", category="civility", item="litter")
    p.award(city.id, wu.id, Points.of("material", "300"), idempotency_key=uuid.uuid4().hex)  # not moral
    score = scorer(p).score(city.id, wu.id, p.clock.now())
    assert score.value == Decimal("13.5")
    assert (score.method, score.method_version) == (DEFAULT_METHOD, "1")
    assert (score.subject_id, score.basis_subject_id, score.tenant_id) == (wu.id, wu.id, city.id)
    assert [line.amount for line in score.lines] == [100, 55, -20]
    assert [line.kind for line in score.lines] == ["award", "award", "deduction"]
    assert all(line.counted for line in score.lines)
    assert score.window_start == datetime(2021, 3, 1, 8, 0, tzinfo=UTC)  # 36 months back

    empty = scorer(p).score(city.id, nobody.id, p.clock.now())
    assert (empty.value, empty.lines, empty.categories) == (Decimal(0), (), ())


def test_jf_score_1_category_weights_are_exact_decimals(city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    give(city, wu, "10.1", category="volunteering")
    give(city, wu, "3.3", category="good_deed")
    give(city, wu, "1.1", category=None, item="")  # a direct award naming no category
    weights = {"volunteering": "1.5", "good_deed": "0.3"}
    score = scorer(p, category_weights=weights).score(city.id, wu.id, p.clock.now())
    by_category = {c.category: c for c in score.categories}
    assert by_category["volunteering"].contribution == Decimal("15.15")
    assert by_category["good_deed"].contribution == Decimal("0.99")
    assert by_category["uncategorised"].weight == Decimal(1)
    assert by_category["uncategorised"].contribution == Decimal("1.1")
    assert score.value == Decimal("17.24") and isinstance(score.value, Decimal)
    assert str(score.value) == "17.24"
    assert [c.points for c in score.categories] == [33, 11, 101]  # sorted by category, tenths
    assert adds_up(score)
    dumped = score.model_dump()
    assert not _floats(dumped), "floats in a score"


def _floats(value: Any) -> list[Any]:
    if isinstance(value, float):
        return [value]
    if isinstance(value, dict):
        return [f for v in value.values() for f in _floats(v)]
    if isinstance(value, list | tuple):
        return [f for v in value for f in _floats(v)]
    return []


# --- JF-SCORE-2: the explanation ------------------------------------------------------------------

def test_jf_score_2_explanation_adds_up_to_the_score(city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    amounts = ["0.1", "211.2", "-3.7", "45.5", "-0.3", "7", "19.9"]
    categories = ["volunteering", "good_deed", "civility", "blood", "civility", None, "good_deed"]
    txs = [give(city, wu, a, category=c) for a, c in zip(amounts, categories, strict=True)]
    p.ledger.reverse(city.id, txs[3].id, uuid.uuid4().hex, "entered twice")
    weights = {"volunteering": "1.25", "good_deed": "0.333", "civility": "2", "blood": "0"}
    score = scorer(p, category_weights=weights).score(city.id, wu.id, p.clock.now())
    assert adds_up(score)
    assert all(line.contribution == 0 for line in score.lines if not line.counted)
    expected = (Decimal("0.1") * Decimal("1.25") + Decimal("211.2") * Decimal("0.333")
                + Decimal("-3.7") * 2 + Decimal("-0.3") * 2 + Decimal("7")
                + Decimal("19.9") * Decimal("0.333"))
    assert score.value == expected == Decimal("76.0813")
    assert len(score.lines) == len(amounts) + 1  # and the reversal
    assert check_score(score, _request_for(score)) is score


def _request_for(score: Score) -> ScoreRequest:
    return ScoreRequest(tenant_id=score.tenant_id, subject_id=score.subject_id,
                        as_of=score.as_of, settings=Settings(), history=())


def test_jf_score_2_explanation_names_item_version_claim_evidence_and_approver(
        platform: Platform) -> None:
    clock(platform).set(datetime(2024, 3, 1, 2, 0, tzinfo=UTC))  # a Friday, 10:00 in Shanghai
    town = make_claims_city(platform)
    p, wu = platform, town.resident("武建国")

    def submit(item: str, **extra: Any) -> Any:
        return p.claims.submit(town.id, ClaimSubmit(
            idempotency_key=uuid.uuid4().hex, subject_id=wu.id, item=item,
            deed_date=date(2024, 2, 28), evidence={"photo": uuid.uuid4().hex}, **extra)).claim

    volunteering = submit("volunteer.hour", units=2)
    p.claims.approve(town.id, volunteering.id, town.reviewer_id)
    litter = submit("litter", submitted_by=town.reviewer_id)
    assert town.street_reviewer is not None
    p.claims.approve(town.id, litter.id, town.street_reviewer.id)
    batch = p.claims.publish(town.id, "community", town.reviewer_id)
    assert batch is not None and batch.entries == 2
    submit("blood.donation")  # auto-awarded, no notice
    ends = batch.ends_on + timedelta(days=1)
    clock(p).set(datetime(ends.year, ends.month, ends.day, 2, 0, tzinfo=UTC))
    p.claims.close_notices(town.id)

    score = scorer(p).score(town.id, wu.id, p.clock.now())
    assert score.value == Decimal("5")  # 2 hours + 5 for blood − 2 for litter
    lines = {line.item: line for line in score.lines}
    line = lines["volunteer.hour"]
    claim = p.claims.get(town.id, volunteering.id)
    assert (line.claim, line.item_version, line.category) == (
        claim.id, date(2024, 1, 1), "volunteering")
    assert line.approver == str(town.reviewer_id)
    assert line.evidence == claim.evidence_fingerprint and len(line.evidence) == 64
    assert (line.deed_date, line.notice, line.transaction_id) == (
        date(2024, 2, 28), batch.id, claim.transaction_id)
    assert lines["blood.donation"].approver == "auto" and lines["blood.donation"].notice is None
    deduction = lines["litter"]
    assert (deduction.kind, deduction.amount, deduction.category) == ("deduction", -20, "civility")
    assert deduction.approver == str(town.street_reviewer.id)
    assert deduction.notice == batch.id
    assert deduction.counts_until == add_months(
        deduction.posted_at.astimezone(ZoneInfo("Asia/Shanghai")), 12).astimezone(UTC)
    # the explanation is a valid model all the way down (and survives JSON)
    assert Score.model_validate_json(score.model_dump_json()) == score


# --- JF-CAT-5: deductions count for their validity period ----------------------------------------

def test_jf_cat_5_deductions_stop_lowering_the_score_after_validity_but_stay_listed(
        city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    give(city, wu, "10")
    deduction = give(city, wu, "-2", category="civility", item="litter")
    s = scorer(p)
    expiry = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)  # 12 calendar months later
    before = s.score(city.id, wu.id, expiry - timedelta(microseconds=1))
    assert before.value == Decimal("8")
    after = s.score(city.id, wu.id, expiry)
    assert after.value == Decimal("10")
    line = next(line for line in after.lines if line.transaction_id == deduction.id)
    assert (line.counted, line.excluded_reason, line.contribution) == (
        False, "deduction_expired", Decimal(0))
    assert line.counts_until == expiry and line.amount == -20
    assert adds_up(after)
    # the validity is a setting; awards are not affected by it
    short = scorer(p, deduction_validity_months=1).score(city.id, wu.id, START + timedelta(days=31))
    assert short.value == Decimal("10")


# --- JF-EXP-2: the window -------------------------------------------------------------------------

def test_jf_exp_2_window_edges(city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    award = give(city, wu, "7.5")
    s = scorer(p)
    edge = datetime(2027, 3, 1, 8, 0, tzinfo=UTC)  # exactly 36 months after the award
    assert s.score(city.id, wu.id, edge).value == Decimal("7.5")
    late = s.score(city.id, wu.id, edge + timedelta(microseconds=1))
    assert late.value == Decimal(0)
    assert [(line.transaction_id, line.counted, line.excluded_reason) for line in late.lines] \
        == [(award.id, False, "outside_window")]
    assert late.window_start == START + timedelta(microseconds=1)
    # before the posting existed, it is not seen at all
    assert s.score(city.id, wu.id, START - timedelta(microseconds=1)).lines == ()
    assert scorer(p, score_window_months=12).score(
        city.id, wu.id, datetime(2025, 3, 1, 8, 0, 1, tzinfo=UTC)).value == 0


def test_jf_exp_2_months_are_counted_in_the_tenants_time_zone(city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    clock(p).set(datetime(2024, 3, 31, 20, 0, tzinfo=UTC))  # 1 April 04:00 in Shanghai
    give(city, wu, "3")
    s = scorer(p, score_window_months=1)
    local_edge = datetime(2024, 4, 30, 20, 0, tzinfo=UTC)  # 1 May 04:00 in Shanghai
    assert s.score(city.id, wu.id, local_edge).value == Decimal("3")
    # one microsecond later the window starts after the award in Shanghai (in UTC it would not)
    assert s.score(city.id, wu.id, local_edge + timedelta(microseconds=1)).value == 0


@pytest.mark.parametrize(("moment", "months", "expected"), [
    (datetime(2024, 3, 31, 9, 30), -1, datetime(2024, 2, 29, 9, 30)),
    (datetime(2023, 3, 31), -1, datetime(2023, 2, 28)),
    (datetime(2024, 1, 31), 1, datetime(2024, 2, 29)),
    (datetime(2024, 12, 15), 1, datetime(2025, 1, 15)),
    (datetime(2024, 1, 15), -13, datetime(2022, 12, 15)),
    (datetime(2024, 2, 29), 12, datetime(2025, 2, 28)),
    (datetime(2024, 5, 31), -36, datetime(2021, 5, 31)),
])
def test_jf_exp_2_calendar_months_clamp_the_day(moment: datetime, months: int,
                                                expected: datetime) -> None:
    assert add_months(moment, months) == expected


# --- JF-LED-2: reversals ----------------------------------------------------------------------------

def test_jf_led_2_a_reversed_pair_is_listed_and_not_counted(city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    wrong = give(city, wu, "10", category="good_deed", item="good.deed")
    give(city, wu, "3")
    clock(p).advance(timedelta(days=1))
    reversal = p.ledger.reverse(city.id, wrong.id, uuid.uuid4().hex, "entered twice")
    s = scorer(p)
    score = s.score(city.id, wu.id, p.clock.now())
    assert score.value == Decimal("3") and adds_up(score)
    lines = {line.transaction_id: line for line in score.lines}
    assert (lines[wrong.id].excluded_reason, lines[wrong.id].paired_with) == ("reversed", reversal.id)
    undo = lines[reversal.id]
    assert (undo.kind, undo.amount, undo.excluded_reason, undo.paired_with) == (
        "reversal", -100, "reversed", wrong.id)
    assert (undo.item, undo.category) == ("good.deed", "good_deed")  # explained by the original
    # as of before the reversal, the score is what it was then
    assert s.score(city.id, wu.id, START + timedelta(hours=1)).value == Decimal("13")


def test_jf_led_2_reversing_an_award_from_before_the_window_takes_nothing_off(
        city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    old = give(city, wu, "10")
    clock(p).advance(timedelta(days=70))
    p.ledger.reverse(city.id, old.id, uuid.uuid4().hex, "wrong subject")
    score = scorer(p, score_window_months=1).score(city.id, wu.id, p.clock.now())
    assert score.value == 0  # not −10
    assert {line.excluded_reason for line in score.lines} == {"reversed"}


# --- JF-SCORE-3: plugins replace the method ------------------------------------------------------

class Renamed:
    """Answers with the default method's score under its own name."""

    def __init__(self, name: str, only: set[uuid.UUID] | None = None) -> None:
        self.name, self.only = name, only

    @hookimpl
    def compute_score(self, request: ScoreRequest) -> Score | None:
        if self.only is not None and request.subject_id not in self.only:
            return None
        return default_method(request).model_copy(
            update={"method": self.name, "method_version": "7"})


def test_jf_score_3_a_plugin_replaces_the_method_and_the_first_answer_wins(
        city: TenantFixture) -> None:
    p, wu, li = city.platform, city.resident(), city.resident("李四")
    give(city, wu, "4")
    give(city, li, "5")
    s = scorer(p)
    with registered_plugin(p.pm, Renamed("city.first"), name="first"), \
            registered_plugin(p.pm, Renamed("city.second", only={wu.id}), name="second"):
        scores = s.score_many(city.id, [wu.id, li.id], p.clock.now())
        # plugins registered later are asked first; one that returns None passes the subject on
        assert (scores[wu.id].method, scores[wu.id].method_version) == ("city.second", "7")
        assert scores[li.id].method == "city.first"
        assert scores[wu.id].value == Decimal("4")
    assert s.score(city.id, wu.id, p.clock.now()).method == DEFAULT_METHOD


def test_jf_score_3_the_default_method_answers_last_whatever_the_registration_order(
        city: TenantFixture) -> None:
    p, wu = city.platform, city.resident()
    pm = make_plugin_manager(load_entry_points=False)
    plugin = Renamed("early")
    pm.unregister(name="jifen.builtins.default_score")
    pm.register(plugin, name="early")
    from jifen.builtins import default_score

    pm.register(default_score, name="jifen.builtins.default_score")  # registered after
    s = Scorer(p.db, pm, lambda _t, _u: Settings())
    assert s.score(city.id, wu.id, p.clock.now()).method == "early"


def test_jf_score_3_a_score_that_does_not_add_up_is_refused(city: TenantFixture) -> None:
    p, wu, li = city.platform, city.resident(), city.resident("李四")
    give(city, wu, "4")
    s = scorer(p)

    class Inflating:
        @hookimpl
        def compute_score(self, request: ScoreRequest) -> Score:
            score = default_method(request)
            return score.model_copy(update={"value": score.value + Decimal("0.1")})

    class Uncounted:
        @hookimpl
        def compute_score(self, request: ScoreRequest) -> Score:
            score = default_method(request)
            lines = tuple(line.model_copy(update={"counted": False}) for line in score.lines)
            return score.model_copy(update={"lines": lines})

    class Elsewhere:
        @hookimpl
        def compute_score(self, request: ScoreRequest) -> Score:
            return default_method(request).model_copy(update={"subject_id": li.id})

    class NotAScore:
        @hookimpl
        def compute_score(self, request: ScoreRequest) -> object:
            return {"value": "4"}

    for plugin in (Inflating(), Uncounted(), Elsewhere(), NotAScore()):
        with registered_plugin(p.pm, plugin):
            assert code_of(lambda: s.score(city.id, wu.id, p.clock.now())) == "plugin.invalid"


def test_jf_score_3_no_method_at_all_is_a_clear_error(city: TenantFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIFEN_DISABLED_PLUGINS", "jifen.builtins.default_score")
    pm = make_plugin_manager(load_entry_points=False)
    s = Scorer(city.platform.db, pm, lambda _t, _u: Settings())
    with pytest.raises(JifenError) as caught:
        s.score(city.id, city.resident().id, city.platform.clock.now())
    assert caught.value.code == "plugin.invalid" and "compute_score" in caught.value.message


# --- JF-SUB-2: a guardian's score for a child ----------------------------------------------------

def household(city: TenantFixture) -> tuple[Subject, Subject, Subject]:
    p = city.platform
    home = p.create_subject(city.id, SubjectCreate(type="household", name="武家",
                                                   org_unit_code="grid-1"))
    father, mother = city.resident("武先生", grid="grid-2"), city.resident("王女士")
    daughter = city.resident("武小妹")
    p.link_household(city.id, home.id, father.id, LinkRole.guardian)
    p.link_household(city.id, home.id, mother.id, LinkRole.guardian)
    p.link_household(city.id, home.id, daughter.id, LinkRole.child)
    return father, mother, daughter


def test_jf_sub_2_a_child_scores_the_best_of_its_guardians_when_configured(
        city: TenantFixture) -> None:
    p = city.platform
    father, mother, daughter = household(city)
    give(city, father, "211.2")
    give(city, mother, "50")
    give(city, daughter, "3")
    now = p.clock.now()
    own = scorer(p).score_for_scenario(city.id, daughter.id, now)
    assert (own.value, own.basis_subject_id) == (Decimal("3"), daughter.id)

    best = scorer(p, child_score="best_of_guardians")
    score = best.score_for_scenario(city.id, daughter.id, now)
    assert (score.value, score.subject_id, score.basis_subject_id) == (
        Decimal("211.2"), daughter.id, father.id)
    assert adds_up(score) and score.method == DEFAULT_METHOD
    # a guardian is no child: their own score
    assert best.score_for_scenario(city.id, mother.id, now).basis_subject_id == mother.id
    # the setting is the child's org unit's
    at_grid_2 = Scorer(p.db, p.pm, lambda _t, unit: Settings(
        child_score="best_of_guardians" if unit == father.org_unit_id else "own"))
    assert at_grid_2.score_for_scenario(city.id, daughter.id, now).basis_subject_id == daughter.id


def test_jf_sub_2_a_tie_keeps_the_childs_own_score(city: TenantFixture) -> None:
    father, _mother, daughter = household(city)
    give(city, father, "20")
    give(city, daughter, "20")
    score = scorer(city.platform, child_score="best_of_guardians").score_for_scenario(
        city.id, daughter.id, city.platform.clock.now())
    assert (score.value, score.basis_subject_id) == (Decimal("20"), daughter.id)


# --- bulk, isolation, input ----------------------------------------------------------------------

def test_jf_score_1_score_many_equals_score_for_each_subject_in_a_few_queries(
        city: TenantFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    p = city.platform
    people = [city.resident(f"居民{i}") for i in range(7)]
    for i, person in enumerate(people):
        for j in range(i):
            give(city, person, f"{i}.{j}", category=["volunteering", "civility"][j % 2])
    give(city, people[3], "-1.5", category="civility", item="litter")
    undo = give(city, people[4], "8")
    p.ledger.reverse(city.id, undo.id, uuid.uuid4().hex, "mistake")
    s = scorer(p, category_weights={"civility": "1.5"})
    now = p.clock.now()
    ids = [person.id for person in people]

    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(p.db.engine, "before_cursor_execute", count)
    try:
        few = len(statements), s.score_many(city.id, ids[:2], now), len(statements)
        many = s.score_many(city.id, ids, now)
        after_many = len(statements)
    finally:
        event.remove(p.db.engine, "before_cursor_execute", count)
    assert after_many - few[2] == few[2] - few[0]  # as many queries for 7 subjects as for 2
    assert many == {i: s.score(city.id, i, now) for i in ids}
    assert few[1] == {i: many[i] for i in ids[:2]}

    import jifen.scoring

    monkeypatch.setattr(jifen.scoring, "_CHUNK", 3)  # in chunks, the same answers
    assert s.score_many(city.id, ids, now) == many


def test_jf_org_1_a_subject_of_another_tenant_is_not_found(city: TenantFixture) -> None:
    p = city.platform
    other = make_tenant(p)
    stranger = other.resident("外人")
    give(other, stranger, "9")
    s = scorer(p)
    now = p.clock.now()
    assert code_of(lambda: s.score(city.id, stranger.id, now)) == "not_found"
    assert code_of(lambda: s.score_many(city.id, [city.resident().id, stranger.id], now)) \
        == "not_found"
    assert code_of(lambda: s.score_for_scenario(city.id, stranger.id, now)) == "not_found"
    assert code_of(lambda: s.score(uuid.uuid4(), stranger.id, now)) == "not_found"
    assert s.score(other.id, stranger.id, now).value == Decimal("9")


def test_as_of_must_be_aware(city: TenantFixture) -> None:
    wu = city.resident()
    assert code_of(lambda: scorer(city.platform).score(
        city.id, wu.id, datetime(2024, 3, 1))) == "input.invalid"


# --- exactness, as a property ---------------------------------------------------------------------

CATEGORIES = ("a", "b", "c")


@settings(max_examples=200, deadline=None)
@given(amounts=st.lists(st.tuples(st.integers(-5000, 5000).filter(bool), st.sampled_from(CATEGORIES),
                                  st.integers(0, 60)), max_size=30),
       weights=st.dictionaries(st.sampled_from(CATEGORIES),
                               st.decimals(min_value=0, max_value=10, places=3,
                                           allow_nan=False, allow_infinity=False)))
def test_jf_score_2_default_method_is_exact(amounts: list[tuple[int, str, int]],
                                            weights: dict[str, Decimal]) -> None:
    tenant, subject = uuid.uuid4(), uuid.uuid4()
    account = f"subject:{subject}:moral"
    as_of = datetime(2024, 6, 30, tzinfo=UTC)
    history = []
    for n, (amount, category, months_ago) in enumerate(amounts):
        tx = uuid.uuid4()
        history.append(TransactionView(
            tenant_id=tenant, id=tx, seq=n, idempotency_key=str(n), memo="",
            metadata={"category": category}, reverses_id=None,
            created_at=add_months(as_of, -months_ago), hash="",
            postings=(PostingView(id=uuid.uuid4(), transaction_id=tx, account=account,
                                  kind="moral", amount=amount, lot_id=None),)))
    chosen = Settings(category_weights=weights)
    request = ScoreRequest(tenant_id=tenant, subject_id=subject, as_of=as_of, settings=chosen,
                           history=tuple(history))
    score = check_score(default_method(request), request)
    expected = Fraction(0)
    for amount, category, months_ago in amounts:
        if months_ago <= 36 and (amount > 0 or months_ago < 12):
            expected += Fraction(amount, 10) * Fraction(weights.get(category, Decimal(1)))
    assert Fraction(score.value) == expected
    assert adds_up(score)
