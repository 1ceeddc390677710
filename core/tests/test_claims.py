"""Claims: submitted → approved | rejected → in_notice → final, with objections, appeals, caps,
catalogue versions and the audit log (JF-EARN-*, JF-CAT-*, JF-DUE-*). Runs on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jifen import hookimpl
from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.model import Points, Subject
from jifen.model.claims import ClaimState, ClaimSubmit
from jifen.platform import Platform
from jifen.testing import (
    TEST_CATALOGUE,
    ClaimsCity,
    make_claims_city,
    make_config,
    make_tenant,
    registered_plugin,
)

S = ClaimState
FRIDAY = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai


@pytest.fixture
def town(platform: Platform) -> ClaimsCity:
    clock(platform).set(FRIDAY)
    return make_claims_city(platform)


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


def go_to(platform: Platform, day: date) -> None:
    clock(platform).set(datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC))


def submit(town: ClaimsCity, who: Subject, item: str = "volunteer.hour", *,
           deed: date = date(2024, 2, 28), evidence: str = "photo-1", **extra: Any) -> Any:
    if item == "volunteer.hour":
        extra.setdefault("units", 2)
    return town.platform.claims.submit(town.id, ClaimSubmit(
        idempotency_key=extra.pop("key", uuid.uuid4().hex), subject_id=who.id, item=item,
        deed_date=deed, evidence={"photo": evidence} if evidence else {}, **extra))


def moral(town: ClaimsCity, who: Subject) -> str:
    return str(town.platform.balance(town.id, who.id, "moral"))


def code_of(call: Any) -> str:
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def to_final(town: ClaimsCity, who: Subject, **kw: Any) -> Any:
    claim = submit(town, who, **kw).claim
    town.platform.claims.approve(town.id, claim.id, town.reviewer_id)
    batch = town.platform.claims.publish(town.id, "community", town.reviewer_id)
    go_to(town.platform, batch.ends_on + timedelta(days=1))
    town.platform.claims.close_notices(town.id)
    return town.platform.claims.get(town.id, claim.id)


# --- the happy path and the audit trail ----------------------------------------------------------

def test_jf_earn_1_claim_goes_submitted_approved_in_notice_final(town: ClaimsCity) -> None:
    p, wu = town.platform, town.resident("武建国")
    claim = submit(town, wu).claim
    assert claim.state == S.SUBMITTED and claim.requested == 20  # 2 hours × 1 point, in tenths
    decision = p.claims.approve(town.id, claim.id, town.reviewer_id)
    assert decision.claim.state == S.APPROVED and decision.caps.outcome == "none"
    batch = p.claims.publish(town.id, "community", town.reviewer_id)
    assert batch is not None and batch.entries == 1
    assert p.claims.get(town.id, claim.id).state == S.IN_NOTICE
    assert moral(town, wu) == "0.0"  # JF-EARN-3: nothing posts before the notice ends

    go_to(p, batch.ends_on)
    assert p.claims.close_notices(town.id).finalised == 0
    go_to(p, batch.ends_on + timedelta(days=1))
    report = p.claims.close_notices(town.id)
    assert (report.finalised, report.batches_closed) == (1, 1)
    final = p.claims.get(town.id, claim.id)
    assert final.state == S.FINAL and moral(town, wu) == "2.0"

    tx = p.ledger.transaction(town.id, final.transaction_id)
    assert tx.metadata["claim"] == str(claim.id) and tx.metadata["item"] == "volunteer.hour"
    assert tx.metadata["approver"] == str(town.reviewer_id)  # JF-DUE-1 provenance
    assert tx.metadata["notice"] == str(batch.id)
    assert tx.metadata["evidence"] == claim.evidence_fingerprint


def test_jf_earn_2_every_transition_records_actor_time_and_reason(town: ClaimsCity) -> None:
    p, wu = town.platform, town.resident("武建国")
    final = to_final(town, wu, submitted_by=None)
    log = p.audit_log(town.id, entity_id=final.id)
    assert [e.action for e in log] == ["claim.submitted", "claim.approved", "claim.in_notice",
                                       "claim.final"]
    assert log[1].actor_id == town.reviewer_id and log[1].at == FRIDAY
    assert log[3].actor == "system:notices-close"
    assert log[3].reason == "notice ended without an upheld objection"
    rejected = submit(town, wu, evidence="photo-2").claim
    assert code_of(lambda: p.claims.reject(town.id, rejected.id, town.reviewer_id, " ")) \
        == "claim.reason_required"
    p.claims.reject(town.id, rejected.id, town.reviewer_id, "照片与活动不符")
    entry = p.audit_log(town.id, entity_id=rejected.id)[-1]
    assert (entry.action, entry.reason) == ("claim.rejected", "照片与活动不符")


def test_jf_due_5_audit_log_is_append_only(town: ClaimsCity) -> None:
    p = town.platform
    submit(town, town.resident())
    for statement in ("UPDATE audit_log SET reason = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError), p.db.write() as conn:
            conn.execute(text(statement))
    assert len(p.audit_log(town.id, action="claim.submitted")) == 1


# --- notice periods (JF-EARN-3, JF-EARN-6, JF-DUE-7) -------------------------------------------

def test_jf_earn_3_notice_of_five_working_days_skips_the_weekend(town: ClaimsCity) -> None:
    p, wu = town.platform, town.resident("武建国")
    go_to(p, date(2024, 3, 7))  # a Thursday
    claim = submit(town, wu, deed=date(2024, 3, 6)).claim
    p.claims.approve(town.id, claim.id, town.reviewer_id)
    batch = p.claims.publish(town.id, "community", town.reviewer_id)
    assert batch.ends_on == date(2024, 3, 14)  # Fri, Mon, Tue, Wed, Thu
    go_to(p, date(2024, 3, 14))
    assert p.claims.close_notices(town.id).finalised == 0
    go_to(p, date(2024, 3, 15))
    assert p.claims.close_notices(town.id).finalised == 1


def test_jf_earn_3_notice_period_follows_the_holiday_calendar(platform: Platform) -> None:
    clock(platform).set(datetime(2024, 9, 26, 2, 0, tzinfo=UTC))  # Thursday before National Day
    config = make_config(f"t-{uuid.uuid4().hex[:8]}", calendar={
        "holidays": [f"2024-10-0{d}" for d in range(1, 8)],
        "extra_workdays": ["2024-09-29", "2024-10-12"]},
        settings={"notice_working_days": 4})
    town = make_claims_city(platform, config)
    claim = submit(town, town.resident(), deed=date(2024, 9, 25)).claim
    platform.claims.approve(town.id, claim.id, town.reviewer_id)
    batch = platform.claims.publish(town.id, "community", town.reviewer_id)
    assert batch.ends_on == date(2024, 10, 8)  # Fri 27, Sun 29 (worked), Mon 30, Tue 8 Oct


def test_jf_earn_6_closing_is_idempotent_and_posts_once(town: ClaimsCity) -> None:
    p = town.platform
    people = [town.resident(f"居民{i}") for i in range(3)]
    for person in people:
        p.claims.approve(town.id, submit(town, person).claim.id, town.reviewer_id)
    batch = p.claims.publish(town.id, "community", town.reviewer_id)
    assert batch.entries == 3
    go_to(p, batch.ends_on + timedelta(days=1))
    assert p.claims.close_notices(town.id).finalised == 3
    again = p.claims.close_notices(town.id)
    assert (again.finalised, again.batches_closed) == (0, 0)
    assert [moral(town, person) for person in people] == ["2.0"] * 3
    assert p.claims.batch(town.id, batch.id).closed_at is not None
    assert p.audit(town.id).ok


def test_jf_earn_6_concurrent_closing_runs_post_each_award_once(town: ClaimsCity) -> None:
    p = town.platform
    people = [town.resident(f"居民{i}") for i in range(6)]
    for person in people:
        p.claims.approve(town.id, submit(town, person).claim.id, town.reviewer_id)
    batch = p.claims.publish(town.id, "community", town.reviewer_id)
    go_to(p, batch.ends_on + timedelta(days=1))
    totals: list[int] = []
    threads = [threading.Thread(target=lambda: totals.append(
        p.claims.close_notices(town.id, batch_size=2).finalised)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(totals) == 6
    assert [moral(town, person) for person in people] == ["2.0"] * 6


def test_jf_due_4_public_list_masks_names_and_leaves_view_when_notice_ends(town: ClaimsCity) -> None:
    p = town.platform
    wu = town.resident("武建国")
    p.claims.approve(town.id, submit(town, wu).claim.id, town.reviewer_id)
    batch = p.claims.publish(town.id, "community", town.reviewer_id)
    notice = p.claims.public_notice(town.id, batch.id)
    entry = notice.entries[0]
    assert (entry.name, entry.item, entry.amount, entry.org_unit) == ("武**", "志愿服务", "2.0",
                                                                      "第一网格")
    assert str(wu.id) not in notice.model_dump_json()
    go_to(p, batch.ends_on + timedelta(days=1))
    assert code_of(lambda: p.claims.public_notice(town.id, batch.id)) == "notice.ended"
    assert p.audit_log(town.id, entity_id=batch.id)[0].action == "notice.published"


# --- review rules (JF-EARN-4, JF-PRIV-1) --------------------------------------------------------

def test_jf_earn_4_reviewer_cannot_approve_own_or_household_claim(town: ClaimsCity) -> None:
    p = town.platform
    own = submit(town, town.reviewer).claim
    assert code_of(lambda: p.claims.approve(town.id, own.id, town.reviewer_id)) \
        == "claim.self_review"
    spouse = town.resident("王芳")
    home = p.create_subject(town.id, _household())
    p.link_household(town.id, home.id, town.reviewer_id, "guardian")
    p.link_household(town.id, home.id, spouse.id, "guardian")
    theirs = submit(town, spouse).claim
    assert code_of(lambda: p.claims.approve(town.id, theirs.id, town.reviewer_id)) \
        == "claim.self_review"
    assert p.claims.approve(town.id, theirs.id, town.street_reviewer.id).claim.state == S.APPROVED
    assert p.claims.get(town.id, own.id).state == S.SUBMITTED


def test_jf_priv_1_reviewer_needs_a_role_at_the_items_review_level(town: ClaimsCity) -> None:
    p = town.platform
    neighbour = town.resident("李四")
    claim = submit(town, town.resident()).claim
    assert code_of(lambda: p.claims.approve(town.id, claim.id, neighbour.id)) \
        == "access.forbidden"
    p.grant_role(town.id, neighbour.id, "reviewer", "grid-1")  # below the community level
    assert code_of(lambda: p.claims.approve(town.id, claim.id, neighbour.id)) \
        == "access.forbidden"
    assert p.claims.approve(town.id, claim.id, town.reviewer_id).claim.state == S.APPROVED


# --- submissions: catalogue, amounts, evidence, duplicates --------------------------------------

def test_jf_earn_1_auto_awarded_item_skips_review_and_notice(town: ClaimsCity) -> None:
    p, donor = town.platform, town.resident("献血者")
    decision = submit(town, donor, "blood.donation", evidence="cert-1")
    assert decision.claim.state == S.FINAL and moral(town, donor) == "5.0"
    tx = p.ledger.transaction(town.id, decision.claim.transaction_id)
    assert tx.metadata["approver"] == "auto"


def test_jf_cat_1_range_items_take_the_reviewers_amount_within_the_range(town: ClaimsCity) -> None:
    p, hero = town.platform, town.resident()
    claim = submit(town, hero, "good.deed").claim
    assert claim.requested is None
    assert code_of(lambda: p.claims.approve(town.id, claim.id, town.reviewer_id)) \
        == "claim.invalid_amount"
    assert code_of(lambda: p.claims.approve(town.id, claim.id, town.reviewer_id, amount="100.1")) \
        == "claim.invalid_amount"
    assert code_of(lambda: p.claims.approve(town.id, claim.id, town.reviewer_id, amount=12.5)) \
        == "amount.inexact"  # floats refused
    assert p.claims.approve(town.id, claim.id, town.reviewer_id, amount="12.5").claim.amount == 125
    assert code_of(lambda: submit(town, hero, "good.deed", evidence="p2", amount="1")) \
        == "claim.invalid_amount"
    assert code_of(lambda: submit(town, hero, "blood.donation", amount="5")) \
        == "claim.invalid_amount"


def test_jf_cat_1_claim_needs_an_item_in_the_catalogue_and_a_past_deed(town: ClaimsCity) -> None:
    who = town.resident()
    assert code_of(lambda: submit(town, who, "petition")) == "claim.not_in_catalogue"
    assert code_of(lambda: submit(town, who, deed=date(2023, 12, 31))) == "claim.not_in_catalogue"
    assert code_of(lambda: submit(town, who, deed=date(2024, 3, 2))) == "input.invalid"
    assert town.platform.claims.of_subject(town.id, who.id) == []


def test_jf_cat_1_evidence_is_required_and_plugins_can_refuse_it(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    assert code_of(lambda: submit(town, who, evidence="")) == "claim.invalid_evidence"

    class NeedsActivity:
        @hookimpl
        def check_claim_evidence(self, tenant_id: uuid.UUID, item: Any,
                                 evidence: dict[str, str]) -> str | None:
            if item.category == "volunteering" and "activity" not in evidence:
                return "volunteering needs the activity number"
            return None

    with registered_plugin(p.pm, NeedsActivity()):
        assert code_of(lambda: submit(town, who)) == "claim.invalid_evidence"
    assert p.claims.of_subject(town.id, who.id) == []
    assert submit(town, who).claim.state == S.SUBMITTED


def test_jf_earn_5_the_same_deed_cannot_be_claimed_twice(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    first = submit(town, who, key="k1").claim
    assert submit(town, who, key="k1").claim.id == first.id  # a retry returns the first claim
    assert code_of(lambda: submit(town, who, key="k1", units=1)) == "ledger.idempotency_conflict"
    assert code_of(lambda: submit(town, who)) == "claim.duplicate_deed"
    assert submit(town, who, evidence="photo-other").claim.state == S.SUBMITTED
    assert submit(town, who, deed=date(2024, 2, 27)).claim.state == S.SUBMITTED
    p.claims.reject(town.id, first.id, town.reviewer_id, "重复")
    assert submit(town, who).claim.state == S.SUBMITTED  # a rejected claim does not block


def test_jf_earn_5_concurrent_claims_of_one_deed_create_one_claim(town: ClaimsCity) -> None:
    who = town.resident()
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            submit(town, who)
            outcomes.append("ok")
        except JifenError as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["claim.duplicate_deed"] * 3 + ["ok"]


def test_jf_earn_1_withdrawal_by_the_claimant_only(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    claim = submit(town, who).claim
    assert code_of(lambda: p.claims.withdraw(town.id, claim.id, town.reviewer_id)) \
        == "access.forbidden"
    assert p.claims.withdraw(town.id, claim.id, who.id).state == S.WITHDRAWN
    assert code_of(lambda: p.claims.approve(town.id, claim.id, town.reviewer_id)) \
        == "claim.invalid_transition"


# --- caps (JF-CAT-2) ---------------------------------------------------------------------------

def test_jf_cat_2_max_units_per_activity_reduces_and_says_so(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    decision = p.claims.approve(town.id, submit(town, who, units=3).claim.id, town.reviewer_id)
    assert (decision.caps.outcome, decision.caps.requested, decision.caps.granted) == \
        ("reduced", 30, 20)
    assert decision.caps.cap == "item volunteer.hour max_units 2"
    assert decision.claim.amount == 20


def test_jf_cat_2_monthly_cap_reduces_then_refuses(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    for day in range(1, 5):  # 4 × 2 hours = 8 of the 10 points a month
        p.claims.approve(town.id, submit(town, who, deed=date(2024, 2, day)).claim.id,
                         town.reviewer_id)
    p.claims.approve(town.id, submit(town, who, deed=date(2024, 2, 5), units=1).claim.id,
                     town.reviewer_id)
    reduced = p.claims.approve(town.id, submit(town, who, deed=date(2024, 2, 6)).claim.id,
                               town.reviewer_id)
    assert (reduced.caps.outcome, reduced.claim.amount) == ("reduced", 10)
    assert reduced.caps.cap == "item volunteer.hour per_month 10"
    refused = p.claims.approve(town.id, submit(town, who, deed=date(2024, 2, 7)).claim.id,
                               town.reviewer_id)
    assert (refused.caps.outcome, refused.claim.state) == ("refused", S.REJECTED)
    assert "per_month" in (refused.claim.reason or "")
    march = p.claims.approve(town.id, submit(town, who, deed=date(2024, 3, 1)).claim.id,
                             town.reviewer_id)
    assert march.caps.outcome == "none"


def test_jf_cat_2_category_caps_and_auto_awards(platform: Platform) -> None:
    clock(platform).set(FRIDAY)
    town = make_claims_city(platform, make_config(
        f"t-{uuid.uuid4().hex[:8]}", category_caps={"engagement": {"per_month": "120"}}))
    who = town.resident()
    outcomes = [submit(town, who, "survey", evidence=f"s{i}", deed=date(2024, 2, 1 + i)).caps
                for i in range(3)]
    assert [(c.outcome, c.granted) for c in outcomes] == [("none", 50), ("none", 50),
                                                         ("reduced", 20)]
    assert outcomes[2].cap == "category engagement per_month 120"
    assert platform.balance(town.id, who.id, "material") == Points.of("material", 120)


def test_jf_cat_2_concurrent_approvals_respect_the_cap(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    claims = [submit(town, who, deed=date(2024, 2, d)).claim for d in range(1, 9)]
    granted: list[int] = []

    def approve(claim_id: uuid.UUID) -> None:
        granted.append(p.claims.approve(town.id, claim_id, town.reviewer_id).caps.granted)

    threads = [threading.Thread(target=approve, args=(c.id,)) for c in claims]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 100 and len(granted) == 8


# --- catalogue versions (JF-CAT-3, JF-CAT-6) ----------------------------------------------------

def _with_volunteer_v2(code: str, valid_from: str, per_unit: str = "2") -> Any:
    v2 = {**TEST_CATALOGUE[0], "valid_from": valid_from, "per_unit": per_unit}
    return make_config(code, catalogue=[*TEST_CATALOGUE, v2])


def test_jf_cat_3_claims_are_judged_by_the_version_in_force_on_the_deed_date(
        town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    result = p.apply_config(_with_volunteer_v2(town.tenant.code, "2024-03-04"),
                            approved_by="监督委员会 2024-02")
    assert (result.version, result.items_published) == (2, 1)
    go_to(p, date(2024, 3, 6))
    old = submit(town, who, deed=date(2024, 3, 1)).claim
    new = submit(town, who, deed=date(2024, 3, 5)).claim
    assert (old.item_version, old.requested) == (date(2024, 1, 1), 20)
    assert (new.item_version, new.requested) == (date(2024, 3, 4), 40)


def test_jf_cat_6_new_versions_take_effect_after_publication_and_never_change(
        town: ClaimsCity) -> None:
    p = town.platform
    code = town.tenant.code
    assert code_of(lambda: p.apply_config(_with_volunteer_v2(code, "2024-03-01"),
                                          approved_by="x")) == "catalogue.not_published_ahead"
    changed = [{**TEST_CATALOGUE[0], "per_unit": "3"}, *TEST_CATALOGUE[1:]]
    assert code_of(lambda: p.apply_config(make_config(code, catalogue=changed),
                                          approved_by="x")) == "catalogue.version_changed"
    assert code_of(lambda: p.apply_config(_with_volunteer_v2(code, "2024-04-01"),
                                          approved_by=" ")) == "input.invalid"
    assert p.policy(town.id).version == 1  # nothing was applied
    same = p.apply_config(make_config(code), approved_by="x")
    assert same.unchanged and same.version == 1


# --- objections (JF-DUE-2) ----------------------------------------------------------------------

def _in_notice(town: ClaimsCity, who: Subject) -> Any:
    claim = submit(town, who).claim
    town.platform.claims.approve(town.id, claim.id, town.reviewer_id)
    batch = town.platform.claims.publish(town.id, "community", town.reviewer_id)
    return claim, batch


def test_jf_due_2_upheld_objection_keeps_the_points_out(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    claim, batch = _in_notice(town, who)
    objection = p.claims.object(town.id, claim.id, "那天他不在活动现场")  # anyone, anonymously
    assert p.claims.get(town.id, claim.id).state == S.OBJECTED
    assert code_of(lambda: p.claims.decide_objection(
        town.id, objection.id, town.reviewer_id, upheld=True, reason="x")) == "claim.self_review"
    go_to(p, batch.ends_on + timedelta(days=1))
    assert p.claims.close_notices(town.id).finalised == 0  # excepted from the batch's closing
    decided = p.claims.decide_objection(town.id, objection.id, town.street_reviewer.id,
                                        upheld=True, reason="签到表无其姓名")
    assert decided.state == "upheld"
    assert p.claims.get(town.id, claim.id).state == S.REJECTED
    p.claims.close_notices(town.id)
    assert moral(town, who) == "0.0"


def test_jf_due_2_dismissed_objection_returns_the_entry_to_notice(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    claim, batch = _in_notice(town, who)
    objector = town.resident("邻居")
    objection = p.claims.object(town.id, claim.id, "有疑问", raised_by=objector.id)
    p.claims.decide_objection(town.id, objection.id, town.street_reviewer.id, upheld=False,
                              reason="签到表与照片一致")
    assert p.claims.get(town.id, claim.id).state == S.IN_NOTICE
    assert code_of(lambda: p.claims.decide_objection(
        town.id, objection.id, town.street_reviewer.id, upheld=True, reason="again")) \
        == "claim.invalid_transition"
    go_to(p, batch.ends_on + timedelta(days=1))
    assert code_of(lambda: p.claims.object(town.id, claim.id, "太晚了")) == "notice.ended"
    p.claims.close_notices(town.id)
    assert moral(town, who) == "2.0"


# --- appeals (JF-DUE-3, JF-CAT-4) ---------------------------------------------------------------

def test_jf_due_3_upheld_appeal_sends_a_rejection_back_to_review(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    claim = submit(town, who).claim
    p.claims.reject(town.id, claim.id, town.reviewer_id, "证据不足")
    assert code_of(lambda: p.claims.appeal(town.id, claim.id, town.resident("路人").id, "x")) \
        == "access.forbidden"
    appeal = p.claims.appeal(town.id, claim.id, who.id, "补充了签到表")
    assert code_of(lambda: p.claims.decide_appeal(
        town.id, appeal.id, town.reviewer_id, upheld=True, reason="x")) == "claim.self_review"
    p.claims.decide_appeal(town.id, appeal.id, town.street_reviewer.id, upheld=True,
                           reason="签到表可证明")
    assert p.claims.get(town.id, claim.id).state == S.SUBMITTED
    assert p.claims.approve(town.id, claim.id, town.reviewer_id).claim.state == S.APPROVED


def test_jf_due_3_appeals_close_after_the_window(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    claim = submit(town, who).claim
    p.claims.reject(town.id, claim.id, town.reviewer_id, "证据不足")
    go_to(p, date(2024, 3, 16))  # 15 days after the decision: still open
    dismissed = p.claims.appeal(town.id, claim.id, who.id, "请复核")
    p.claims.decide_appeal(town.id, dismissed.id, town.street_reviewer.id, upheld=False,
                           reason="无新证据")
    go_to(p, date(2024, 3, 17))
    assert code_of(lambda: p.claims.appeal(town.id, claim.id, who.id, "再次")) \
        == "appeal.window_closed"


def test_jf_cat_4_deductions_go_through_notice_and_can_be_reversed_on_appeal(
        town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    final = to_final(town, who)  # +2.0
    deduction = submit(town, who, "litter", submitted_by=town.reviewer_id).claim
    p.claims.approve(town.id, deduction.id, town.street_reviewer.id)
    batch = p.claims.publish(town.id, "street", town.street_reviewer.id)
    assert batch is not None and batch.entries == 1
    go_to(p, batch.ends_on + timedelta(days=1))
    p.claims.close_notices(town.id)
    assert moral(town, who) == "0.0" and final.state == S.FINAL
    appeal = p.claims.appeal(town.id, deduction.id, who.id, "垃圾不是我扔的")
    p.claims.decide_appeal(town.id, appeal.id, town.reviewer_id, upheld=True,
                           reason="监控显示另有其人")
    assert p.claims.get(town.id, deduction.id).state == S.REVERSED
    assert moral(town, who) == "2.0"
    assert p.audit(town.id).ok


def test_jf_led_2_a_final_award_is_corrected_by_reversal(town: ClaimsCity) -> None:
    p, who = town.platform, town.resident()
    final = to_final(town, who)
    reversed_claim = p.claims.reverse(town.id, final.id, town.reviewer_id, "重复录入")
    assert reversed_claim.state == S.REVERSED and moral(town, who) == "0.0"
    assert code_of(lambda: p.claims.reverse(town.id, final.id, town.reviewer_id, "again")) \
        == "claim.invalid_transition"


# --- plugins and tenants ------------------------------------------------------------------------

def test_claim_finalised_hook_hears_of_every_award(town: ClaimsCity) -> None:
    heard: list[tuple[str, int]] = []

    class Listener:
        @hookimpl
        def claim_finalised(self, tenant_id: uuid.UUID, claim: Any, transaction: Any) -> None:
            heard.append((claim.item_code, transaction.postings[0].amount))

    with registered_plugin(town.platform.pm, Listener()):
        submit(town, town.resident(), "blood.donation")
        to_final(town, town.resident())
    assert sorted(heard) == [("blood.donation", -50), ("volunteer.hour", -20)]


def test_jf_org_1_claims_of_another_tenant_are_not_found(town: ClaimsCity,
                                                          platform: Platform) -> None:
    claim = submit(town, town.resident()).claim
    other = make_tenant(platform)
    assert code_of(lambda: platform.claims.get(other.id, claim.id)) == "not_found"
    stranger = other.resident()
    assert code_of(lambda: submit(town, stranger)) == "not_found"


def _household() -> Any:
    from jifen.model import SubjectCreate

    return SubjectCreate(type="household", name="王家", org_unit_code="grid-2")


def test_jf_cat_1_plugins_contribute_catalogue_items_the_file_can_override(
        platform: Platform) -> None:
    from sqlalchemy import select

    from jifen.config import CatalogueItem
    from jifen.platform import Platform as PlatformClass
    from jifen.plugins import make_plugin_manager
    from jifen.store import tables as t

    class Surveys:
        @hookimpl
        def register_catalogue_items(self, register: Any) -> None:
            register(CatalogueItem(
                code="plugin.quiz", name="知识竞答", category="engagement", kind="material",
                amount=30, evidence_required=False, review_level="community", auto_award=True,
                notice_required=False, valid_from=date(2024, 1, 1)))
            register(CatalogueItem(
                code="survey", name="插件问卷", category="engagement", kind="material",
                amount=1, evidence_required=False, review_level="community", auto_award=True,
                notice_required=False, valid_from=date(2024, 1, 1)))

    pm = make_plugin_manager()
    pm.register(Surveys(), name="jifen-surveys-test")
    with_plugin = PlatformClass(platform.db, clock=platform.clock, pm=pm,
                                master_key=b"k" * 32)
    clock(with_plugin).set(FRIDAY)
    town = make_claims_city(with_plugin)
    with with_plugin.db.read() as conn:
        origin = dict(conn.execute(select(t.catalogue_items.c.code,
                                          t.catalogue_items.c.contributed_by).where(
            t.catalogue_items.c.tenant_id == town.id)).all())
    assert origin["plugin.quiz"] == "plugin jifen-surveys-test"
    assert origin["survey"] == "tenant file"  # the city's own definition wins
    decision = submit(town, town.resident(), "plugin.quiz", evidence="")
    assert decision.claim.state == S.FINAL and decision.claim.amount == 30


def test_jf_cat_2_caps_bound_deductions_too(platform: Platform) -> None:
    clock(platform).set(FRIDAY)
    litter = {**TEST_CATALOGUE[3], "caps": {"per_month": "4"}}
    town = make_claims_city(platform, make_config(
        f"t-{uuid.uuid4().hex[:8]}", catalogue=[*TEST_CATALOGUE[:3], litter, TEST_CATALOGUE[4]]))
    who = town.resident()
    decisions = [platform.claims.approve(town.id, submit(
        town, who, "litter", evidence=f"巡查{i}", deed=date(2024, 2, 1 + i),
        submitted_by=town.reviewer_id).claim.id, town.street_reviewer.id) for i in range(3)]
    assert [(d.caps.outcome, d.caps.granted) for d in decisions] == [
        ("none", -20), ("none", -20), ("refused", 0)]
    assert decisions[2].caps.cap == "item litter per_month 4"


def test_jf_exp_1_material_expiry_never_follows_the_tenant_setting(platform: Platform) -> None:
    clock(platform).set(FRIDAY)
    town = make_claims_city(platform, make_config(
        f"t-{uuid.uuid4().hex[:8]}", settings={"material_expiry": "never"}))
    who = town.resident()
    submit(town, who, "survey", evidence="")
    from jifen.ledger import subject_account

    [lot] = platform.ledger.lots(town.id, subject_account(who.id, "material"))
    assert lot.expires_at is None
