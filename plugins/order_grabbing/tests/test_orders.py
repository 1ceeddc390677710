"""The problem list with order grabbing, on SQLite and PostgreSQL (JF-ORD-1..4, JF-FUND-1)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from typing import Any

import pytest

from jifen.errors import JifenError
from jifen.funding import pool_account
from jifen.ledger import subject_account
from jifen.model import SubjectCreate
from jifen.model.claims import ClaimState
from jifen.platform import Platform
from jifen.testing import TEST_CATALOGUE, TEST_POOL, make_claims_city, make_config, make_tenant
from jifen_order_grabbing import REPORT_ITEM, Order, OrderPost, Orders, OrderState, report_item
from jifen_order_grabbing.testing import Town

S = OrderState


def refused(code: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> JifenError:
    with pytest.raises(JifenError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


def done(town: Town, order: Order, department: uuid.UUID, evidence: str = "photo:after") -> Order:
    """Grab and complete an order for a department."""
    town.orders.grab(town.id, order.id, department)
    return town.orders.complete(town.id, order.id, department, evidence)


# --- JF-ORD-1: posting ---------------------------------------------------------------------------

def test_jf_ord_1_a_community_posts_an_order_with_category_grid_deadline_and_reward(
        town: Town) -> None:
    resident = town.city.resident("李娜")
    order = town.post(grid="grid-2", reporter_id=resident.id, reward=250)
    assert (order.state, order.category, order.grid, order.community) == (
        S.OPEN, "sanitation", "grid-2", "community")
    assert (order.reward, order.pool, order.source, order.reporter_id) == (
        250, TEST_POOL["code"], "photo_report", resident.id)
    assert order.deadline == town.clock.now() + timedelta(days=3)
    inspection = town.post()
    assert (inspection.source, inspection.reporter_id) == ("inspection", None)
    assert [e.action for e in town.platform.audit_log(town.id, entity_id=order.id)] == [
        "order.posted"]


def test_jf_ord_1_the_same_key_returns_the_first_order(town: Town) -> None:
    first = town.post(idempotency_key="k-1")
    assert town.post(idempotency_key="k-1", deadline=first.deadline) == first
    refused("ledger.idempotency_conflict", town.post, idempotency_key="k-1", reward=5)


def test_jf_ord_1_jf_priv_1_only_a_community_reviewer_or_above_posts(town: Town) -> None:
    resident = town.city.resident()
    refused("access.forbidden", town.orders.post, town.id,
            _request(town.platform, "k-x"), resident.id)
    street = town.orders.post(town.id, _request(town.platform, "k-y"), town.city.street_reviewer.id)
    assert street.state == S.OPEN


def _request(platform: Platform, key: str) -> OrderPost:
    return OrderPost(idempotency_key=key, community="community", grid="grid-1",
                     category="sanitation", description="d",
                     deadline=platform.clock.now() + timedelta(days=1), reward=10)


@pytest.mark.parametrize(("changes", "code"), [
    ({"community": "street"}, "order.invalid"),
    ({"grid": "grid-9"}, "not_found"),
    ({"pool": "nowhere"}, "not_found"),
    ({"deadline_days": -1}, "order.invalid"),
])
def test_jf_api_3_bad_orders_are_refused_and_nothing_is_written(
        town: Town, changes: dict[str, Any], code: str) -> None:
    if "deadline_days" in changes:
        changes = {"deadline": town.clock.now() + timedelta(days=changes["deadline_days"])}
    refused(code, town.post, **changes)
    assert town.orders.list_orders(town.id) == []


def test_jf_ord_1_a_grid_outside_the_community_and_a_non_resident_reporter_are_refused(
        platform: Platform, town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    refused("order.invalid", town.post, reporter_id=dept.id)
    refused("order.invalid", town.post, community="community", grid="street")


# --- JF-ORD-2: remit, grabbing, completion -------------------------------------------------------

def test_jf_ord_2_departments_see_only_orders_their_remit_covers(town: Town) -> None:
    city_management = town.department("城管局", "sanitation", "greenery")
    housing = town.department("住建局", "facility")
    bins, lamp, tree = (town.post(category=c) for c in ("sanitation", "facility", "greenery"))
    assert {o.id for o in town.orders.open_orders(town.id, city_management.id)} == {
        bins.id, tree.id}
    assert [o.id for o in town.orders.open_orders(town.id, housing.id)] == [lamp.id]
    refused("order.not_in_remit", town.orders.grab, town.id, bins.id, housing.id)
    town.orders.grab(town.id, lamp.id, housing.id)
    assert town.orders.open_orders(town.id, housing.id) == []
    town.orders.set_remit(town.id, housing.id, ["facility", "sanitation"])
    assert [o.id for o in town.orders.open_orders(town.id, housing.id)] == [bins.id]


def test_jf_ord_2_only_departments_grab(town: Town) -> None:
    order = town.post()
    resident = town.city.resident()
    refused("order.not_a_department", town.orders.grab, town.id, order.id, resident.id)
    refused("order.not_a_department", town.orders.set_remit, town.id, resident.id, ["x"])


def test_jf_ord_2_a_second_grab_loses(town: Town) -> None:
    first, second = (town.department(n, "sanitation") for n in ("城管局", "市场监管局"))
    order = town.post()
    grabbed = town.orders.grab(town.id, order.id, first.id)
    assert (grabbed.state, grabbed.department_id) == (S.GRABBED, first.id)
    refused("order.already_grabbed", town.orders.grab, town.id, order.id, second.id)
    assert town.orders.grab(town.id, order.id, first.id) == grabbed  # a retry: unchanged
    assert town.orders.get(town.id, order.id).department_id == first.id
    assert len(town.platform.audit_log(town.id, action="order.grabbed")) == 1


def race(count: int, call: Callable[[int], Order]) -> tuple[list[Order], list[JifenError]]:
    """Run ``call(0) … call(count - 1)`` in as many threads, released together."""
    start = threading.Barrier(count)

    def run(index: int) -> Order | JifenError:
        start.wait()
        try:
            return call(index)
        except JifenError as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        outcomes = list(pool.map(run, range(count)))
    return ([o for o in outcomes if isinstance(o, Order)],
            [o for o in outcomes if isinstance(o, JifenError)])


@pytest.mark.postgres_only
def test_jf_ord_2_20_departments_grab_one_order_concurrently_and_exactly_one_wins(
        town: Town) -> None:
    departments = [town.department(f"部门{i}", "sanitation") for i in range(20)]
    for _ in range(3):  # three orders, each raced for by all 20
        order = town.post()
        won, lost = race(20, lambda i, o=order: town.orders.grab(town.id, o.id, departments[i].id))
        assert len(won) == 1 and [e.code for e in lost] == ["order.already_grabbed"] * 19
        stored = town.orders.get(town.id, order.id)
        assert (stored.state, stored.department_id) == (S.GRABBED, won[0].department_id)
    assert len(town.platform.audit_log(town.id, action="order.grabbed")) == 3


def test_jf_ord_2_completion_needs_evidence_and_the_grabber(town: Town) -> None:
    dept, other = town.department("城管局", "sanitation"), town.department("执法局", "sanitation")
    order = town.post()
    refused("order.invalid_transition", town.orders.complete, town.id, order.id, dept.id, "x")
    town.orders.grab(town.id, order.id, dept.id)
    for empty in ("", "   "):
        refused("order.evidence_required", town.orders.complete, town.id, order.id, dept.id,
                empty)
    refused("order.not_grabber", town.orders.complete, town.id, order.id, other.id, "photo")
    assert town.orders.get(town.id, order.id).state == S.GRABBED
    assert town.platform.audit_log(town.id, action="order.completed") == []
    completed = town.orders.complete(town.id, order.id, dept.id, " photo:sha256:ab12 ")
    assert (completed.state, completed.evidence) == (S.COMPLETED, "photo:sha256:ab12")


def test_jf_ord_2_the_community_sends_back_with_a_reason_to_the_same_department(
        town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    order = done(town, town.post(), dept.id)
    refused("order.reason_required", town.orders.send_back, town.id, order.id,
            town.city.reviewer_id, " ")
    refused("access.forbidden", town.orders.send_back, town.id, order.id, dept.id, "no")
    back = town.orders.send_back(town.id, order.id, town.city.reviewer_id, "bins still full")
    assert (back.state, back.department_id, back.evidence, back.send_backs) == (
        S.GRABBED, dept.id, None, 1)
    refused("order.invalid_transition", town.orders.verify, town.id, order.id,
            town.city.reviewer_id)
    [entry] = town.platform.audit_log(town.id, action="order.sent_back")
    assert entry.reason == "bins still full" and entry.actor_id == town.city.reviewer_id
    town.orders.complete(town.id, order.id, dept.id, "photo:emptied")
    assert town.orders.verify(town.id, order.id, town.city.reviewer_id).state == S.VERIFIED
    assert town.balance(dept.id) == 100


# --- JF-ORD-2: the reporting resident's half of the verification ---------------------------------

def test_jf_ord_2_a_reporter_confirms_or_the_days_pass_without_objection(town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    reporter = town.city.resident("李娜")
    confirmed = done(town, town.post(reporter_id=reporter.id), dept.id)
    silent = done(town, town.post(reporter_id=reporter.id), dept.id)
    verify = town.orders.verify
    refused("order.awaiting_reporter", verify, town.id, confirmed.id, town.city.reviewer_id)
    refused("order.not_reporter", town.orders.confirm, town.id, confirmed.id, dept.id)
    town.orders.confirm(town.id, confirmed.id, reporter.id)
    assert verify(town.id, confirmed.id, town.city.reviewer_id).state == S.VERIFIED
    town.clock.advance(timedelta(days=3))  # reporter_days = 3 by default
    refused("order.reporter_window_closed", town.orders.confirm, town.id, silent.id, reporter.id)
    assert verify(town.id, silent.id, town.city.reviewer_id).state == S.VERIFIED


def test_jf_ord_2_a_reporters_objection_blocks_verification_until_sent_back(town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    reporter = town.city.resident("李娜")
    order = done(town, town.post(reporter_id=reporter.id, reporter_days=0), dept.id)
    # reporter_days = 0: the reporter is not waited for, but could no longer object either
    assert town.orders.verify(town.id, order.id, town.city.reviewer_id).state == S.VERIFIED
    order = done(town, town.post(reporter_id=reporter.id), dept.id)
    refused("order.reason_required", town.orders.object, town.id, order.id, reporter.id, "")
    town.orders.object(town.id, order.id, reporter.id, "垃圾还在 still there")
    town.clock.advance(timedelta(days=5))
    error = refused("order.reporter_objected", town.orders.verify, town.id, order.id,
                    town.city.reviewer_id)
    assert "still there" in error.message
    town.orders.send_back(town.id, order.id, town.city.reviewer_id, "the reporter objected")
    town.orders.complete(town.id, order.id, dept.id, "photo:now really")
    assert town.orders.get(town.id, order.id).reporter_response is None
    town.orders.confirm(town.id, order.id, reporter.id)
    assert town.orders.verify(town.id, order.id, town.city.reviewer_id).state == S.VERIFIED


# --- JF-ORD-3: rewards, staff split, pool ---------------------------------------------------------

def test_jf_ord_3_jf_fund_1_a_verified_order_rewards_the_department_from_the_pool(
        town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    order = done(town, town.post(reward=300), dept.id)
    verified = town.orders.verify(town.id, order.id, town.city.reviewer_id)
    assert (verified.state, verified.verified_by) == (S.VERIFIED, town.city.reviewer_id)
    assert town.balance(dept.id) == 300 and town.issued() == 300
    assert verified.transaction_id is not None
    posting = town.platform.ledger.transaction(town.id, verified.transaction_id)
    assert posting.metadata == {"source": "order", "order": str(order.id),
                                "category": "sanitation", "grid": "grid-1",
                                "verifier": str(town.city.reviewer_id),
                                "department": str(dept.id), "pool": "test-pool"}
    assert {p.account: p.amount for p in posting.postings}[pool_account("test-pool")] == -300
    again = town.orders.verify(town.id, order.id, town.city.reviewer_id)  # a retry
    assert again == verified and town.balance(dept.id) == 300
    assert town.platform.audit(town.id).ok


def test_jf_ord_3_the_staff_split_sums_exactly_with_the_remainder_to_the_department(
        town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    staff = [town.city.resident(f"队员{i}") for i in range(3)]
    town.orders.set_staff(town.id, dept.id, {staff[0].id: 33, staff[1].id: 33, staff[2].id: 17})
    order = done(town, town.post(reward=101), dept.id)
    verified = town.orders.verify(town.id, order.id, town.city.reviewer_id)
    parts = [town.balance(s.id) for s in staff]
    assert parts == [33, 33, 17]  # 101 × 33 // 100, 101 × 17 // 100
    assert town.balance(dept.id) == 101 - sum(parts) == 18
    assert verified.transaction_id is not None
    legs = town.platform.ledger.transaction(town.id, verified.transaction_id).postings
    assert sum(p.amount for p in legs) == 0 and len(legs) == 5
    assert {p.account: p.amount for p in legs}[subject_account(dept.id, "material")] == 18


def test_jf_ord_3_staff_shares_are_checked(town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    a, b = town.city.resident("甲"), town.city.resident("乙")
    refused("order.invalid", town.orders.set_staff, town.id, dept.id, {a.id: 60, b.id: 41})
    refused("order.invalid", town.orders.set_staff, town.id, dept.id, {a.id: 0})
    assert town.orders.set_staff(town.id, dept.id, {a.id: 60, b.id: 40}) == {a.id: 60, b.id: 40}
    order = done(town, town.post(reward=7), dept.id)
    town.orders.verify(town.id, order.id, town.city.reviewer_id)
    assert (town.balance(a.id), town.balance(b.id), town.balance(dept.id)) == (4, 2, 1)


def test_jf_fund_1_an_exhausted_pool_refuses_verification_and_writes_nothing(
        make_town: Callable[..., Town]) -> None:
    small = {**TEST_POOL, "limit_points": 150}
    town = make_town(make_config(f"t-{uuid.uuid4().hex[:12]}", pools=[small]))
    dept = town.department("城管局", "sanitation")
    staff = town.city.resident("队员")
    town.orders.set_staff(town.id, dept.id, {staff.id: 50})
    first, second = (done(town, town.post(reward=100), dept.id) for _ in range(2))
    town.orders.verify(town.id, first.id, town.city.reviewer_id)
    log_before = len(town.platform.audit_log(town.id))
    refused("funding.pool_exhausted", town.orders.verify, town.id, second.id,
            town.city.reviewer_id)
    assert town.orders.get(town.id, second.id) == second  # still completed, nothing set
    assert (town.balance(dept.id), town.balance(staff.id), town.issued()) == (50, 50, 100)
    assert len(town.platform.audit_log(town.id)) == log_before


def test_jf_ord_3_the_pool_defaults_to_the_tenants_default_pool(
        make_town: Callable[..., Town]) -> None:
    other = {**TEST_POOL, "code": "sponsor", "name": "赞助"}
    town = make_town(make_config(f"t-{uuid.uuid4().hex[:12]}", pools=[TEST_POOL, other]))
    assert town.post().pool == "test-pool" and town.post(pool="sponsor").pool == "sponsor"


def test_jf_ord_3_jf_fund_1_no_pool_and_no_default_pool_is_refused(platform: Platform) -> None:
    bare = make_tenant(platform)  # never configured: no pools, no default pool
    reviewer = bare.resident("审核员")
    platform.grant_role(bare.id, reviewer.id, "reviewer", "community")
    orders = Orders(platform)
    refused("order.invalid", orders.post, bare.id, _request(platform, "k"), reviewer.id)


# --- JF-ORD-3: deadlines and reopening -------------------------------------------------------------

def test_jf_ord_3_overdue_orders_reopen_once_and_record_who_let_them_lapse(town: Town) -> None:
    slow, quick = town.department("慢局", "sanitation"), town.department("快局", "sanitation")
    order = town.post(deadline=town.clock.now() + timedelta(days=2))
    finished = done(town, town.post(deadline=town.clock.now() + timedelta(days=2)), quick.id)
    town.orders.grab(town.id, order.id, slow.id)
    town.clock.advance(timedelta(days=1))
    assert town.orders.reopen_overdue(town.id) == []
    town.clock.advance(timedelta(days=1, seconds=1))
    [reopened] = town.orders.reopen_overdue(town.id)
    assert (reopened.id, reopened.state, reopened.department_id, reopened.reopened) == (
        order.id, S.OPEN, None, 1)
    assert reopened.deadline == town.clock.now() + timedelta(days=2)  # the same time again
    assert town.orders.reopen_overdue(town.id) == []  # idempotent
    [lapse] = town.orders.lapses(town.id)
    assert (lapse.order_id, lapse.department_id, lapse.deadline) == (
        order.id, slow.id, order.deadline)
    assert town.orders.get(town.id, finished.id).state == S.COMPLETED  # completed: not overdue
    [entry] = town.platform.audit_log(town.id, action="order.reopened")
    assert entry.data["lapsed_department"] == str(slow.id)
    assert entry.actor == "system:orders-reopen"
    assert [o.id for o in town.orders.open_orders(town.id, quick.id)] == [order.id]
    assert town.orders.grab(town.id, order.id, quick.id).department_id == quick.id


# --- JF-ORD-4: the reporting resident's reward ------------------------------------------------------

def test_jf_ord_4_the_reporter_of_a_verified_order_earns_the_catalogue_reward(
        town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    reporter = town.city.resident("李娜")
    order = done(town, town.post(reporter_id=reporter.id), dept.id)
    assert town.balance(reporter.id) == 0  # completed is not verified
    town.orders.confirm(town.id, order.id, reporter.id)
    assert town.balance(reporter.id) == 0  # confirmed is not verified either
    verified = town.orders.verify(town.id, order.id, town.city.reviewer_id)
    assert verified.reporter_claim_id is not None and verified.reporter_reward_note == (
        "claim final")
    claim = town.platform.claims.get(town.id, verified.reporter_claim_id)
    assert (claim.item_code, claim.state, claim.amount, claim.subject_id) == (
        REPORT_ITEM, ClaimState.FINAL, 20, reporter.id)
    assert claim.evidence == {"order": str(order.id)}
    assert town.balance(reporter.id) == 20 and town.issued() == 120
    town.orders.verify(town.id, order.id, town.city.reviewer_id)  # a retry rewards no one twice
    assert town.balance(reporter.id) == 20
    actions = [e.action for e in town.platform.audit_log(town.id, entity_id=order.id)]
    assert actions == ["order.posted", "order.grabbed", "order.completed",
                       "order.reporter_confirmed", "order.verified", "order.reporter_claimed"]


def test_jf_ord_4_no_reporter_reward_without_verification_or_without_a_reporter(
        town: Town) -> None:
    dept = town.department("城管局", "sanitation")
    reporter = town.city.resident("李娜")
    sent_back = done(town, town.post(reporter_id=reporter.id), dept.id)
    town.orders.send_back(town.id, sent_back.id, town.city.reviewer_id, "not done")
    assert town.orders.reward_reporter(town.id, sent_back.id).reporter_claim_id is None
    inspection = done(town, town.post(), dept.id)
    assert town.orders.verify(town.id, inspection.id,
                              town.city.reviewer_id).reporter_claim_id is None
    assert town.balance(reporter.id) == 0
    assert town.platform.claims.of_subject(town.id, reporter.id) == []


def test_jf_ord_4_jf_cat_2_the_reporter_reward_obeys_the_catalogues_caps(
        make_town: Callable[..., Town]) -> None:
    # the city's own definition of the item wins over the plugin's (here: with a daily cap)
    capped = {**report_item().model_dump(mode="json", exclude_none=True),
              "caps": {"per_day": 30}}
    town = make_town(make_config(f"t-{uuid.uuid4().hex[:12]}", [*TEST_CATALOGUE, capped]))
    dept = town.department("城管局", "sanitation")
    reporter = town.city.resident("李娜")
    orders = [done(town, town.post(reporter_id=reporter.id, reporter_days=0), dept.id)
              for _ in range(2)]
    notes = [town.orders.verify(town.id, o.id, town.city.reviewer_id).reporter_reward_note
             for o in orders]
    assert notes == ["claim final",
                     "claim final (reduced by the cap item order.report_verified per_day 30)"]
    assert town.balance(reporter.id) == 30


# --- JF-ORD-3: the assessment ranking ---------------------------------------------------------------

def test_jf_ord_3_the_ranking_counts_department_points_per_period(town: Town) -> None:
    a, b, c = (town.department(n, "sanitation") for n in ("甲局", "乙局", "丙局"))
    town.orders.set_staff(town.id, a.id, {town.city.resident("队员").id: 50})
    for dept, reward in ((a, 300), (b, 200), (b, 100)):
        order = done(town, town.post(reward=reward), dept.id)
        town.orders.verify(town.id, order.id, town.city.reviewer_id)
    lapsing = town.post(deadline=town.clock.now() + timedelta(hours=1))
    town.orders.grab(town.id, lapsing.id, c.id)
    town.clock.advance(timedelta(hours=2))
    town.orders.reopen_overdue(town.id)
    march = town.orders.ranking(town.id, date(2024, 3, 1), date(2024, 3, 31))
    # 甲局 shared half its 300 with its staff: its ranking counts all of it
    assert [(r.rank, r.name, r.points, r.verified, r.lapsed) for r in march] == [
        (1, "乙局", 300, 2, 0), (2, "甲局", 300, 1, 0), (3, "丙局", 0, 0, 1)]
    assert [r.points for r in town.orders.ranking(town.id, date(2024, 4, 1),
                                                  date(2024, 4, 30))] == [0, 0, 0]
    refused("order.invalid", town.orders.ranking, town.id, date(2024, 4, 1), date(2024, 3, 1))


def test_jf_ord_3_ranking_periods_follow_the_tenants_days(town: Town) -> None:
    dept = town.department("甲局", "sanitation")
    order = done(town, town.post(deadline=town.clock.now() + timedelta(days=40)), dept.id)
    town.clock.set(town.clock.now().replace(month=3, day=31, hour=17))  # 01:00 on 1 April, Beijing
    town.orders.verify(town.id, order.id, town.city.reviewer_id)
    assert town.orders.ranking(town.id, date(2024, 3, 1), date(2024, 3, 31))[0].points == 0
    assert town.orders.ranking(town.id, date(2024, 4, 1), date(2024, 4, 1))[0].points == 100


def test_jf_org_1_orders_and_departments_stay_in_their_tenant(
        town: Town, platform: Platform) -> None:
    other = make_claims_city(platform)
    dept = town.department("城管局", "sanitation")
    foreign = platform.create_subject(other.id, SubjectCreate(
        type="department", name="外局", org_unit_code="district"))
    order = town.post()
    refused("not_found", town.orders.grab, town.id, order.id, foreign.id)
    refused("not_found", town.orders.get, other.id, order.id)
    assert town.orders.list_orders(other.id) == [] and dept.id in {
        d.id for d in town.orders.departments(town.id)}
