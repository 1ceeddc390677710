"""The scenario ``hospital-priority`` (capacity mode): registration and overrides (JF-SCN-1),
the daily quota per department and K uses a month (JF-SCN-4), the hospital's offline check
(JF-CODE-2), consent (JF-PRIV-2) and replay (JF-SCN-5). Every test runs on SQLite and
PostgreSQL; the concurrency tests on PostgreSQL only."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

from jifen.clock import MovableClock
from jifen.codes import keys_document, load_public_keys
from jifen.errors import JifenError
from jifen.model import Points, Subject
from jifen.platform import Platform
from jifen.scenarios import EligibilityAssertion
from jifen.testing import ClaimsCity, make_claims_city, make_config
from jifen_hospital_priority import (
    SCENARIO,
    HospitalPriority,
    SlotConfirmation,
    verify_confirmation,
)

TOMORROW = date(2024, 7, 2)  # the test clock stands on Monday 1 July 2024 (see conftest.py)
CARDIOLOGY, EYES, CHILDREN, ORTHOPAEDICS = ("市中心医院:心内科", "市中心医院:眼科",
                                            "市中心医院:儿科", "市中心医院:骨科")
Resident = Callable[..., Subject]


def tick(platform: Platform, minutes: int = 1) -> None:
    """Move the test clock on, so that a decision and a later posting are not simultaneous."""
    assert isinstance(platform.clock, MovableClock)
    platform.clock.advance(timedelta(minutes=minutes))


def code_of(call: Callable[[], object]) -> str:
    """The stable code of the jifen error ``call`` raises."""
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def scored(town: ClaimsCity, name: str, tenths: int) -> Subject:
    """A resident of ``town`` with ``tenths`` tenths of moral points and consent."""
    who = town.resident(name)
    town.platform.award(town.id, who.id, Points(kind="moral", minor=tenths),
                        idempotency_key=f"award:{who.id}")
    HospitalPriority(town.platform).grant_consent(town.id, who.id)
    tick(town.platform)
    return who


def payload(token: str) -> dict[str, object]:
    first = token.split(".")[0]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    return data


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forgeries(token: str) -> list[str]:
    """A flipped signature bit; another day in a re-encoded payload; not a code at all."""
    first, second = token.split(".")
    signature = bytearray(base64.urlsafe_b64decode(second + "=" * (-len(second) % 4)))
    signature[0] ^= 1
    later = {**payload(token), "valid_until": "2099-12-31"}
    return [f"{first}.{b64(bytes(signature))}",
            f"{b64(json.dumps(later, separators=(',', ':')).encode())}.{second}",
            "not-a-code"]


# --- JF-SCN-1: the scenario as registered, and the tenant's overrides --------------------------

def test_jf_scn_1_the_scenario_declares_provider_eligibility_mode_and_use(
        town: ClaimsCity, hospital: HospitalPriority) -> None:
    p = town.platform
    spec = p.scenarios.specs()[SCENARIO]
    assert (spec.provider, spec.mode, spec.use_effect, spec.benefit) == (
        "市中心医院", "capacity", "none", "Priority appointment")
    assert spec.eligibility.min_score == Decimal("50.0") and spec.eligibility.consent
    assert p.scenarios.registry.origin(SCENARIO) == "hospital_priority"
    assert hospital.departments(town.id) == dict.fromkeys(
        (CARDIOLOGY, EYES, CHILDREN, ORTHOPAEDICS), 5)
    assert hospital.monthly_limit(town.id) == 2
    assert hospital.rule(town.id).rule_version == "2024.1"


def test_jf_scn_1_the_tenant_file_overrides_quota_limit_and_minimum_score(
        platform: Platform, hospital: HospitalPriority) -> None:
    town = make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", scenarios={
        SCENARIO: {"eligibility": {"min_score": "90"},
                   "options": {"daily_quota": {"人民医院:急诊科": 1}, "max_uses_per_month": 3}}}))
    assert hospital.departments(town.id) == {"人民医院:急诊科": 1}
    assert hospital.monthly_limit(town.id) == 3
    assert hospital.rule(town.id).rule_version == "2024.1+config1"
    first, second = scored(town, "甲", 1000), scored(town, "乙", 1000)
    poor = scored(town, "丙", 800)  # 80.0: enough by default, not here
    assert code_of(lambda: hospital.book(town.id, poor.id, "人民医院:急诊科", TOMORROW,
                                         "p")) == "scenario.not_eligible"
    hospital.book(town.id, first.id, "人民医院:急诊科", TOMORROW, "a")
    assert code_of(lambda: hospital.book(town.id, second.id, "人民医院:急诊科", TOMORROW,
                                         "b")) == "scenario.quota_full"
    assert code_of(lambda: hospital.book(town.id, first.id, CARDIOLOGY, TOMORROW, "c")) == \
        "input.invalid"  # not a department of this tenant


# --- JF-SCN-4: quota per department-day, K per resident-month, cancellation ------------------

def test_jf_scn_4_at_most_the_daily_quota_per_department_and_day(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    people = [resident(f"居民{i}") for i in range(7)]
    for i, who in enumerate(people[:5]):
        booking = hospital.book(town.id, who.id, CARDIOLOGY, TOMORROW, f"k{i}")
        assert (booking.state, booking.unit, booking.day) == ("booked", CARDIOLOGY, TOMORROW)
        assert booking.token
    assert code_of(lambda: hospital.book(town.id, people[5].id, CARDIOLOGY, TOMORROW,
                                         "k5")) == "scenario.quota_full"
    # another department, or another day, has its own quota
    assert hospital.book(town.id, people[5].id, EYES, TOMORROW, "k5e").state == "booked"
    assert hospital.book(town.id, people[6].id, CARDIOLOGY, TOMORROW + timedelta(days=1),
                         "k6").state == "booked"


def test_jf_scn_4_at_most_k_uses_per_resident_and_month(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    who = resident("常客")
    hospital.book(town.id, who.id, CARDIOLOGY, date(2024, 7, 2), "m1")
    hospital.book(town.id, who.id, EYES, date(2024, 7, 31), "m2")
    assert code_of(lambda: hospital.book(town.id, who.id, CHILDREN, date(2024, 7, 20),
                                         "m3")) == "scenario.monthly_limit"
    check = hospital.check(town.id, who.id)
    assert not check.eligible and check.reasons == ["monthly_limit"]
    # the month is the booked day's: August is a new month
    assert hospital.book(town.id, who.id, CHILDREN, date(2024, 8, 1), "m4").state == "booked"


def test_jf_scn_4_cancelling_frees_the_slot_and_the_monthly_use(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    people = [resident(f"居民{i}") for i in range(6)]
    booked = [hospital.book(town.id, w.id, CARDIOLOGY, TOMORROW, f"k{i}")
              for i, w in enumerate(people[:5])]
    assert code_of(lambda: hospital.book(town.id, people[5].id, CARDIOLOGY, TOMORROW,
                                         "k5")) == "scenario.quota_full"
    cancelled = hospital.cancel(town.id, booked[0].id, reason="改期 rescheduled")
    assert cancelled.state == "cancelled" and cancelled.cancelled_at is not None
    assert hospital.book(town.id, people[5].id, CARDIOLOGY, TOMORROW, "k5b").state == "booked"
    assert code_of(lambda: hospital.cancel(town.id, booked[0].id)) == "conflict"  # once
    assert code_of(lambda: hospital.confirmation_code(cancelled)) == "conflict"
    # booked[1]'s owner uses two a month; cancelling one gives one back
    owner = people[1]
    hospital.book(town.id, owner.id, EYES, date(2024, 7, 9), "o2")
    assert code_of(lambda: hospital.book(town.id, owner.id, EYES, date(2024, 7, 10),
                                         "o3")) == "scenario.monthly_limit"
    hospital.cancel(town.id, booked[1].id)
    assert hospital.book(town.id, owner.id, EYES, date(2024, 7, 10), "o3b").state == "booked"


def test_jf_scn_4_a_retry_answers_with_the_same_booking_and_refusals_carry_codes(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    who = resident("张三")
    first = hospital.book(town.id, who.id, CARDIOLOGY, TOMORROW, "same")
    again = hospital.book(town.id, who.id, CARDIOLOGY, TOMORROW, "same")
    assert again.id == first.id and again.token
    assert code_of(lambda: hospital.book(town.id, who.id, EYES, TOMORROW, "same")) == \
        "ledger.idempotency_conflict"
    poor = resident("李四", 490)  # 49.0 < 50
    assert code_of(lambda: hospital.book(town.id, poor.id, EYES, TOMORROW, "p")) == \
        "scenario.not_eligible"
    assert code_of(lambda: hospital.book(town.id, who.id, "市中心医院:牙科", TOMORROW, "x")) == \
        "input.invalid"
    assert code_of(lambda: hospital.book(town.id, who.id, EYES, date(2024, 6, 30), "y")) == \
        "input.invalid"  # in the past
    assert len(hospital.decisions(town.id, who.id)) == 1  # refusals before a decision: none


def race(calls: list[Callable[[], object]]) -> list[str]:
    """Run the calls in as many threads, released together; each one's outcome."""
    outcomes: list[str] = []
    barrier = threading.Barrier(len(calls))
    lock = threading.Lock()

    def run(call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            call()
            outcome = "booked"
        except JifenError as exc:
            outcome = exc.code
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.mark.postgres_only
def test_jf_scn_4_the_daily_quota_holds_under_12_concurrent_bookings(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    people = [resident(f"居民{i}") for i in range(13)]
    outcomes = race([partial(hospital.book, town.id, w.id, CARDIOLOGY, TOMORROW, f"c{w.id}")
                     for w in people[:12]])
    assert outcomes == ["booked"] * 5 + ["scenario.quota_full"] * 7
    assert code_of(lambda: hospital.book(town.id, people[12].id, CARDIOLOGY, TOMORROW,
                                         "late")) == "scenario.quota_full"
    booked = [d for d in hospital.decisions(town.id) if d.result.get("allocated")]
    assert len(booked) == 5
    assert all(d.inputs["capacity"]["unit_used"] < 5 for d in booked)
    assert sorted(d.inputs["capacity"]["unit_used"] for d in booked) == [0, 1, 2, 3, 4]


@pytest.mark.postgres_only
def test_jf_scn_4_the_monthly_limit_holds_under_12_concurrent_bookings(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    who = resident("常客")
    outcomes = race([partial(hospital.book, town.id, who.id, EYES, date(2024, 7, 10 + n),
                             f"e{n}") for n in range(12)])
    assert outcomes == ["booked"] * 2 + ["scenario.monthly_limit"] * 10
    assert code_of(lambda: hospital.book(town.id, who.id, EYES, date(2024, 7, 30), "late")) == \
        "scenario.monthly_limit"


@pytest.mark.postgres_only
def test_jf_scn_4_quota_and_monthly_limit_hold_together_under_12_concurrent_bookings(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    people = [resident(f"居民{i}") for i in range(4)]  # 4 residents x 3 tries at 5 slots
    calls: list[Callable[[], object]] = [
        partial(hospital.book, town.id, w.id, CHILDREN, TOMORROW, f"x{w.id}:{n}")
        for w in people for n in range(3)]
    outcomes = Counter(race(calls))
    assert outcomes["booked"] == 5
    assert outcomes["booked"] + outcomes["scenario.quota_full"] + \
        outcomes["scenario.monthly_limit"] == 12
    per_resident = Counter(d.subject_id for d in hospital.decisions(town.id)
                           if d.result.get("allocated"))
    assert sum(per_resident.values()) == 5 and max(per_resident.values()) <= 2


# --- JF-CODE-2: the hospital's offline check ---------------------------------------------------

def test_jf_code_2_the_hospital_verifies_offline_with_the_public_key_only(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident,
        tmp_path: Path) -> None:
    p = town.platform
    who = resident("张三", 2112)
    booking = hospital.book(town.id, who.id, CARDIOLOGY, TOMORROW, "k")
    keys_file = tmp_path / "keys.json"  # what the hospital is given, once
    keys_file.write_text(json.dumps(keys_document(town.tenant.code, hospital.public_keys(town.id))))
    keys, tenant = load_public_keys(keys_file)
    assert tenant == town.tenant.code
    for token in (booking.token or "", hospital.confirmation_code(booking)):
        shown = verify_confirmation(token, keys, now=p.clock.now(), tenant=tenant,
                                    hospital="市中心医院")
        assert shown == SlotConfirmation(benefit="Priority appointment · 市中心医院:心内科",
                                         department=CARDIOLOGY, valid_until=TOMORROW,
                                         expires_at=shown.expires_at)
        assert shown.text == "Priority appointment · 市中心医院:心内科: valid until 2024-07-02"
        # what the code carries: the benefit and its validity; no subject, no name, no score
        body = payload(token)
        assert set(body) == {"v", "tenant", "kid", "purpose", "jti", "iat", "exp", "benefit",
                             "valid_until"}
        text = json.dumps(body, ensure_ascii=False)
        assert str(who.id) not in text and who.code not in text and "211.2" not in text
        assert who.name not in text
    now = p.clock.now()
    assert code_of(lambda: verify_confirmation(booking.token or "", keys, now=now,
                                               hospital="人民医院")) == "hospital.other_hospital"
    for forged in forgeries(booking.token or ""):
        assert code_of(partial(verify_confirmation, forged, keys, now=now)) == "code.invalid"
    assert code_of(lambda: verify_confirmation(booking.token or "", keys,
                                               now=now + timedelta(minutes=11))) == "code.expired"
    other = make_claims_city(p)
    assert code_of(lambda: verify_confirmation(booking.token or "", hospital.public_keys(
        other.id), now=now)) == "code.unknown_key"
    assert code_of(lambda: verify_confirmation(booking.token or "", keys, now=now,
                                               tenant=other.tenant.code)) == "code.wrong_tenant"
    vip = p.codes.issue(town.id, who.id, "verify-benefit", benefit="VIP lane",
                        valid_until=TOMORROW)
    assert code_of(lambda: verify_confirmation(vip.token, keys, now=now)) == "hospital.not_a_slot"


# --- JF-PRIV-2: consent -------------------------------------------------------------------------

def test_jf_priv_2_consent_withdrawn_the_hospital_learns_nothing(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    p = town.platform
    who = resident("张三")
    booking = hospital.book(town.id, who.id, CARDIOLOGY, TOMORROW, "k")
    assert hospital.assertion(town.id, who.id) == EligibilityAssertion(
        scenario=SCENARIO, eligible=True, valid_until=None)
    tick(p)
    hospital.withdraw_consent(town.id, who.id)
    tick(p)
    assert hospital.assertion(town.id, who.id) is None  # nothing, which is not "no"
    assert code_of(lambda: hospital.confirmation_code(booking)) == "scenario.no_consent"
    assert code_of(lambda: hospital.book(town.id, who.id, CARDIOLOGY, TOMORROW, "k")) == \
        "scenario.no_consent"  # a retry shows no code either
    assert code_of(lambda: hospital.book(town.id, who.id, EYES, TOMORROW, "k2")) == \
        "scenario.no_consent"
    never = resident("李四", consent=False)
    assert hospital.assertion(town.id, never.id) is None
    assert code_of(lambda: hospital.book(town.id, never.id, EYES, TOMORROW, "n")) == \
        "scenario.no_consent"
    tick(p)
    hospital.grant_consent(town.id, who.id)
    tick(p)
    assert hospital.confirmation_code(booking)


def test_jf_priv_4_a_guardian_consents_and_books_for_a_child(
        platform: Platform, hospital: HospitalPriority) -> None:
    from jifen.model import LinkRole, SubjectCreate

    p = platform
    assert isinstance(p.clock, MovableClock)
    p.clock.set(datetime(2024, 7, 1, 2, 0, tzinfo=UTC))
    town = make_claims_city(p, make_config(f"t-{uuid.uuid4().hex[:12]}",
                                           settings={"child_score": "best_of_guardians"}))
    home = p.create_subject(town.id, SubjectCreate(type="household", name="武家",
                                                   org_unit_code="grid-1"))
    father = town.resident("武建国")
    p.award(town.id, father.id, Points(kind="moral", minor=2112), idempotency_key="father")
    child = town.resident("武小朵")
    p.link_household(town.id, home.id, father.id, LinkRole.guardian)
    p.link_household(town.id, home.id, child.id, LinkRole.child)
    assert code_of(lambda: hospital.grant_consent(town.id, child.id)) == \
        "scenario.guardian_consent_required"
    hospital.grant_consent(town.id, child.id, given_by=father.id)
    tick(p)
    booking = hospital.book(town.id, child.id, CHILDREN, TOMORROW, "c", booked_by=father.id)
    decision = p.scenarios.decision(town.id, booking.decision_id)
    assert decision.score_value == Decimal("211.2")  # the guardian's score (JF-SUB-2)
    assert decision.inputs["score"]["basis"] == str(father.id)


# --- JF-SCN-5: replay -----------------------------------------------------------------------------

def test_jf_scn_5_a_booking_decision_and_a_refusal_replay_identically(
        town: ClaimsCity, hospital: HospitalPriority, resident: Resident) -> None:
    p = town.platform
    who = resident("张三", 2112)
    booking = hospital.book(town.id, who.id, CARDIOLOGY, TOMORROW, "k")
    decision = p.scenarios.decision(town.id, booking.decision_id)
    assert (decision.kind, decision.scenario, decision.subject_id) == ("book", SCENARIO, who.id)
    assert decision.score_value == Decimal("211.2") and decision.method == "jifen.default"
    assert decision.method_version and decision.rule_version == "2024.1"
    assert decision.inputs["capacity"] == {"unit": CARDIOLOGY, "day": "2024-07-02",
                                           "unit_used": 0, "month_used": 0}
    assert decision.result == {"eligible": True, "allocated": True, "reasons": []}
    tick(p)
    hospital.book(town.id, who.id, EYES, TOMORROW, "k2")
    tick(p)
    with pytest.raises(JifenError) as refused:
        hospital.book(town.id, who.id, CHILDREN, TOMORROW, "k3")
    refusal = p.scenarios.decision(town.id, uuid.UUID(refused.value.details["decision"]))
    assert refusal.result["allocated"] is False and refusal.reasons == ["monthly_limit"]
    tick(p)
    for recorded in (decision, refusal):
        report = hospital.replay(town.id, recorded.id)
        assert report.identical, report.differences
