"""Scenarios: registration by plugins, consent, eligibility decisions, threshold codes, capacity
bookings and replay (JF-SCN-1/2/4/5, JF-PRIV-2/4, JF-CODE-2). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from jifen import hookimpl
from jifen.clock import MovableClock
from jifen.codes import verify_offline
from jifen.errors import JifenError, PluginError
from jifen.model import LinkRole, Points, Subject, SubjectCreate
from jifen.platform import Platform
from jifen.scenarios import (
    AllocationMode,
    DecisionRequest,
    EligibilityAssertion,
    ScenarioSpec,
    evaluate,
)
from jifen.testing import ClaimsCity, make_claims_city, make_config, make_platform, registered_plugin

MONDAY = datetime(2024, 7, 1, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
TODAY = date(2024, 7, 1)

VIP = ScenarioSpec(code="test-vip", name="银行VIP通道", provider="康巴什农商银行",
                   benefit="VIP lane", mode="threshold", rule_version="1",
                   eligibility={"min_score": "100"})
HOSPITAL = ScenarioSpec(code="hospital", name="优先挂专家号", provider="康巴什区人民医院",
                        benefit="Priority appointment", mode="capacity", rule_version="2024.1",
                        eligibility={"min_score": "10"},
                        options={"daily_quota": {"cardiology": 2, "eye": 5},
                                 "max_uses_per_month": 2})


class ScenarioPlugin:
    """What a scenario plugin does: register its scenarios through the public hook."""

    @hookimpl
    def register_scenarios(self, register: Callable[[ScenarioSpec], None]) -> None:
        register(VIP)
        register(HOSPITAL)


@pytest.fixture
def town(platform: Platform) -> Iterator[ClaimsCity]:
    clock(platform).set(MONDAY)
    with registered_plugin(platform.pm, ScenarioPlugin(), name="test_scenarios"):
        yield make_claims_city(platform, make_config(
            f"t-{uuid.uuid4().hex[:12]}", settings={"child_score": "best_of_guardians"},
            scenarios={"hospital": {"options": {"daily_quota": {"cardiology": 5, "eye": 50},
                                                "max_uses_per_month": 3}}}))


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


def tick(platform: Platform) -> None:
    clock(platform).advance(timedelta(minutes=1))


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def scored(town: ClaimsCity, name: str, tenths: int, *, consent: str | None = None) -> Subject:
    who = town.resident(name)
    if tenths:
        town.platform.award(town.id, who.id, Points(kind="moral", minor=tenths),
                            idempotency_key=f"award:{who.id}")
    if consent:
        town.platform.scenarios.grant_consent(town.id, consent, who.id, given_by=who.id)
    tick(town.platform)
    return who


def family(town: ClaimsCity, father_tenths: int) -> tuple[Subject, Subject]:
    p = town.platform
    home = p.create_subject(town.id, SubjectCreate(type="household", name="武家",
                                                   org_unit_code="grid-1"))
    father = scored(town, "武建国", father_tenths)
    daughter = town.resident("武小朵")
    p.link_household(town.id, home.id, father.id, LinkRole.guardian)
    p.link_household(town.id, home.id, daughter.id, LinkRole.child)
    return father, daughter


# --- JF-SCN-1: registration, rules, overrides ------------------------------------------------

class EvenOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    modulus: int = 2


def even_decide(request: DecisionRequest) -> dict[str, Any]:
    options = EvenOptions.model_validate(request.rule.options)
    verdict = evaluate(request.rule, request.inputs)
    tenths = int(Decimal(request.inputs["effective_score"]).scaleb(1))
    eligible = verdict.eligible and tenths % options.modulus == 0
    return {"eligible": eligible, "reasons": verdict.reasons + ([] if eligible else ["odd"]),
            "valid_until": request.inputs["local_date"] if eligible else None}


class ThirdPartyPlugin:
    """A plugin with its own scenario AND its own allocation mode, using only public hooks."""

    @hookimpl
    def register_allocation_modes(self, register: Callable[[AllocationMode], None]) -> None:
        register(AllocationMode(name="even", options=EvenOptions, decide=even_decide))

    @hookimpl
    def register_scenarios(self, register: Callable[[ScenarioSpec], None]) -> None:
        register(ScenarioSpec(code="parking", name="免费停车", provider="停车场",
                              benefit="Free parking", mode="even", rule_version="7",
                              options={"modulus": 4}))


def test_jf_scn_1_a_third_party_plugin_adds_a_scenario_and_a_mode(town: ClaimsCity) -> None:
    p = town.platform
    with registered_plugin(p.pm, ThirdPartyPlugin(), name="third_party"):
        assert "even" in p.scenarios.modes() and "parking" in p.scenarios.specs()
        who = scored(town, "李四", 80, consent="parking")
        decision = p.scenarios.check(town.id, "parking", who.id)
        assert decision.eligible and decision.rule["options"] == {"modulus": 4}
        assert (decision.score_value, decision.method, decision.rule_version) == (
            Decimal("8.0"), "jifen.default", "7")
        tick(p)
        issued = p.scenarios.benefit_code(town.id, "parking", who.id)
        assert issued.benefit == "Free parking"
        assert p.scenarios.replay(town.id, decision.id).identical
    assert "parking" not in p.scenarios.specs()  # unregistered with its plugin


def test_jf_scn_1_a_scenario_naming_an_unknown_mode_or_bad_options_names_its_plugin(
        town: ClaimsCity) -> None:
    class Bad:
        @hookimpl
        def register_scenarios(self, register: Callable[[ScenarioSpec], None]) -> None:
            register(ScenarioSpec(code="bad", name="x", provider="x", benefit="x",
                                  mode="threshold", rule_version="1", options={"nope": 1}))

    with registered_plugin(town.platform.pm, Bad(), name="bad_plugin"), \
            pytest.raises(PluginError, match="bad_plugin"):
        town.platform.scenarios.specs()


def test_jf_scn_1_the_tenant_file_overrides_eligibility_and_options_with_a_versioned_rule(
        town: ClaimsCity) -> None:
    p = town.platform
    rule = p.scenarios.rule(town.id, "hospital")
    assert rule.options["daily_quota"] == {"cardiology": 5, "eye": 50}
    assert rule.rule_version == "2024.1+config1"
    assert p.scenarios.rule(town.id, "test-vip").rule_version == "1"  # not overridden
    with pytest.raises(ValueError, match="no org unit 'nowhere'"):
        make_config("t-x", scenarios={"test-vip": {"eligibility": {"residence": "nowhere"}}})
    bad = make_claims_city(p, make_config(f"t-{uuid.uuid4().hex[:8]}", scenarios={
        "hospital": {"options": {"max_uses_per_month": "many"}}}))
    assert code_of(lambda: p.scenarios.rule(bad.id, "hospital")) == "scenario.invalid_rule"
    lower = make_claims_city(p, make_config(f"t-{uuid.uuid4().hex[:8]}", scenarios={
        "test-vip": {"eligibility": {"min_score": "5", "residence": "grid-2"}}}))
    who = scored(lower, "王五", 60, consent="test-vip")
    decision = p.scenarios.check(lower.id, "test-vip", who.id)
    assert decision.reasons == ["residence"]  # 6.0 ≥ 5, but lives in grid-1
    assert decision.rule["eligibility"]["min_score"] == "5"


# --- JF-SCN-2 threshold, JF-CODE-2 ------------------------------------------------------------

def test_jf_scn_2_threshold_crossing_both_ways_and_replay(town: ClaimsCity) -> None:
    p = town.platform
    who = scored(town, "张三", 1000, consent="test-vip")  # 100.0: at the threshold
    first = p.scenarios.check(town.id, "test-vip", who.id)
    assert first.eligible and first.result["valid_until"] == "2024-07-01"
    tick(p)  # a posting at the very instant of a decision counts in its replay
    award = p.ledger.history(town.id, f"subject:{who.id}:moral")[0]
    p.ledger.reverse(town.id, award.id, f"reverse:{who.id}", "entered twice")
    tick(p)
    second = p.scenarios.check(town.id, "test-vip", who.id)
    assert not second.eligible and second.reasons == ["below_min_score"]
    assert code_of(lambda: p.scenarios.benefit_code(town.id, "test-vip", who.id)) == \
        "scenario.not_eligible"
    tick(p)
    p.award(town.id, who.id, Points(kind="moral", minor=1005), idempotency_key=f"again:{who.id}")
    tick(p)
    assert p.scenarios.check(town.id, "test-vip", who.id).eligible
    for decision in (first, second):  # the ledger is append-only: as of then, the same
        report = p.scenarios.replay(town.id, decision.id)
        assert report.identical, report.differences


def test_jf_scn_2_jf_code_2_a_benefit_code_verifies_offline_revealing_only_benefit_and_validity(
        town: ClaimsCity) -> None:
    p = town.platform
    who = scored(town, "张三", 2112, consent="test-vip")
    issued = p.scenarios.benefit_code(town.id, "test-vip", who.id)
    keys = p.codes.public_keys(town.id)  # all a bank needs; no database, no network
    shown = verify_offline(issued.token, keys, purpose="verify-benefit", now=p.clock.now())
    assert (shown.benefit, shown.valid_until) == ("VIP lane", TODAY)
    assert f"{shown.benefit}: valid until {shown.valid_until}" == "VIP lane: valid until 2024-07-01"
    first = issued.token.split(".")[0]
    payload = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    assert set(payload) == {"v", "tenant", "kid", "purpose", "jti", "iat", "exp", "benefit",
                            "valid_until"}
    assert "211" not in json.dumps(payload) and str(who.id) not in json.dumps(payload)
    assert p.scenarios.replay(town.id, issued.decision_id).identical


# --- consent: JF-PRIV-2, JF-PRIV-4 ------------------------------------------------------------

def test_jf_priv_2_consent_withdrawn_the_provider_learns_nothing(town: ClaimsCity) -> None:
    p = town.platform
    who = scored(town, "张三", 2112, consent="test-vip")
    assertion = p.scenarios.assert_eligibility(town.id, "test-vip", who.id)
    assert assertion == EligibilityAssertion(scenario="test-vip", eligible=True,
                                             valid_until=TODAY)
    assert set(EligibilityAssertion.model_fields) == {"scenario", "eligible", "valid_until"}
    tick(p)
    p.scenarios.withdraw_consent(town.id, "test-vip", who.id, given_by=who.id)
    assert p.scenarios.assert_eligibility(town.id, "test-vip", who.id) is None  # not "no"
    assert code_of(lambda: p.scenarios.benefit_code(town.id, "test-vip", who.id)) == \
        "scenario.no_consent"
    assert [r.granted for r in p.scenarios.consent_history(town.id, "test-vip", who.id)] == [
        True, False]
    poor = scored(town, "李四", 10, consent="test-vip")
    assert p.scenarios.assert_eligibility(town.id, "test-vip", poor.id) == EligibilityAssertion(
        scenario="test-vip", eligible=False, valid_until=None)


def test_jf_priv_4_a_childs_consent_is_given_only_by_a_guardian(town: ClaimsCity) -> None:
    p = town.platform
    father, daughter = family(town, 2112)
    stranger = scored(town, "路人", 0)
    for giver in (daughter, stranger):
        assert code_of(lambda g=giver: p.scenarios.grant_consent(
            town.id, "test-vip", daughter.id, given_by=g.id)) == \
            "scenario.guardian_consent_required"
    assert code_of(lambda: p.scenarios.grant_consent(
        town.id, "test-vip", father.id, given_by=stranger.id)) == "access.forbidden"
    assert p.scenarios.assert_eligibility(town.id, "test-vip", daughter.id) is None
    record = p.scenarios.grant_consent(town.id, "test-vip", daughter.id, given_by=father.id,
                                       via="counter")
    assert (record.given_by, record.via) == (father.id, "counter")
    tick(p)
    decision = p.scenarios.check(town.id, "test-vip", daughter.id)
    assert decision.eligible and decision.inputs["score"]["basis"] == str(father.id)  # JF-SUB-2


# --- JF-SCN-4 capacity ---------------------------------------------------------------------------

def test_jf_scn_4_daily_quota_per_unit_cancellation_and_monthly_limit(town: ClaimsCity) -> None:
    p = town.platform
    day = date(2024, 7, 2)
    people = [scored(town, f"居民{i}", 200, consent="hospital") for i in range(6)]
    booked = [p.scenarios.book(town.id, "hospital", who.id, "cardiology", day, f"k{i}")
              for i, who in enumerate(people[:5])]
    with pytest.raises(JifenError) as full:
        p.scenarios.book(town.id, "hospital", people[5].id, "cardiology", day, "k5")
    assert full.value.code == "scenario.quota_full"
    refused = p.scenarios.decision(town.id, uuid.UUID(full.value.details["decision"]))
    assert refused.result["allocated"] is False and refused.result["reasons"] == ["quota_full"]
    assert p.scenarios.replay(town.id, refused.id).identical
    again = p.scenarios.book(town.id, "hospital", people[0].id, "cardiology", day, "k0")
    assert again.id == booked[0].id and again.token  # idempotent, with a fresh code
    p.scenarios.cancel_booking(town.id, booked[0].id, reason="plans changed")
    assert p.scenarios.book(town.id, "hospital", people[5].id, "cardiology", day, "k5b").state \
        == "booked"
    shown = verify_offline(booked[1].token or "", p.codes.public_keys(town.id),
                           purpose="verify-benefit", now=p.clock.now())
    assert (shown.benefit, shown.valid_until) == ("Priority appointment · cardiology", day)
    # K = 3 a month (the tenant's override) for people[1], who holds one already
    for n, when in enumerate((date(2024, 7, 3), date(2024, 7, 4))):
        p.scenarios.book(town.id, "hospital", people[1].id, "eye", when, f"m{n}")
    assert code_of(lambda: p.scenarios.book(town.id, "hospital", people[1].id, "eye",
                                            date(2024, 7, 5), "m3")) == "scenario.monthly_limit"
    assert p.scenarios.book(town.id, "hospital", people[1].id, "eye", date(2024, 8, 1),
                            "m4").state == "booked"  # a new month
    report = p.scenarios.replay(town.id, booked[1].decision_id)
    assert report.identical, report.differences
    poor = scored(town, "穷", 50, consent="hospital")
    assert code_of(lambda: p.scenarios.book(town.id, "hospital", poor.id, "eye", day, "p")) == \
        "scenario.not_eligible"
    stranger = scored(town, "无", 500)
    assert code_of(lambda: p.scenarios.book(town.id, "hospital", stranger.id, "eye", day,
                                            "s")) == "scenario.no_consent"


def test_jf_priv_2_no_slot_code_after_consent_is_withdrawn(town: ClaimsCity) -> None:
    p = town.platform
    who = scored(town, "赵六", 200, consent="hospital")
    booking = p.scenarios.book(town.id, "hospital", who.id, "cardiology", date(2024, 7, 2), "k")
    p.scenarios.withdraw_consent(town.id, "hospital", who.id, given_by=who.id)
    assert code_of(lambda: p.scenarios.booking_code(town.id, booking.id)) == "scenario.no_consent"
    assert code_of(lambda: p.scenarios.book(town.id, "hospital", who.id, "cardiology",
                                            date(2024, 7, 2), "k")) == "scenario.no_consent"


@pytest.mark.postgres_only
def test_jf_scn_4_quota_and_monthly_limit_hold_under_12_concurrent_bookings(
        town: ClaimsCity) -> None:
    p = town.platform
    day = date(2024, 7, 2)
    people = [scored(town, f"居民{i}", 200, consent="hospital") for i in range(12)]

    def race(calls: list[Callable[[], Any]]) -> list[str]:
        outcomes: list[str] = []
        barrier = threading.Barrier(len(calls))

        def run(call: Callable[[], Any]) -> None:
            barrier.wait()
            try:
                call()
                outcomes.append("booked")
            except JifenError as exc:
                outcomes.append(exc.code)

        threads = [threading.Thread(target=run, args=(c,)) for c in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return sorted(outcomes)

    same_day = race([lambda w=w: p.scenarios.book(town.id, "hospital", w.id, "cardiology", day,
                                                  f"c{w.id}") for w in people])
    assert same_day == ["booked"] * 5 + ["scenario.quota_full"] * 7
    one = scored(town, "常客", 200, consent="hospital")
    month = race([lambda n=n: p.scenarios.book(town.id, "hospital", one.id, "eye",
                                               date(2024, 7, 10 + n), f"e{n}") for n in range(12)])
    assert month == ["booked"] * 3 + ["scenario.monthly_limit"] * 9  # K=3 (the tenant's)
    with p.db.read() as conn:
        counts = dict(conn.execute(text(
            "SELECT key, used FROM scenario_counters WHERE tenant_id = :t"),
            {"t": town.id}).all())
    assert counts[f"unit:cardiology:{day}"] == 5 and counts[f"subject:{one.id}:2024-07"] == 3


# --- JF-SCN-5 replay and tampering ------------------------------------------------------------

def test_jf_scn_5_a_tampered_decision_is_reported_as_different(town: ClaimsCity) -> None:
    p = town.platform
    who = scored(town, "张三", 990, consent="test-vip")  # 99.0: below
    decision = p.scenarios.check(town.id, "test-vip", who.id)
    assert not decision.eligible and p.scenarios.replay(town.id, decision.id).identical
    rule = {**decision.rule, "eligibility": {**decision.rule["eligibility"], "min_score": "90"}}
    report = p.scenarios.replay_decision(decision.model_copy(update={"rule": rule}))
    assert not report.identical and any(d.startswith("result") for d in report.differences)
    inputs = {**decision.inputs, "effective_score": "150.0"}
    report = p.scenarios.replay_decision(decision.model_copy(update={"inputs": inputs}))
    assert not report.identical and any("effective_score" in d for d in report.differences)
    with pytest.raises(DBAPIError), p.db.write() as conn:  # append-only
        conn.execute(text("UPDATE scenario_decisions SET result = '{}' WHERE id = :i"),
                     {"i": decision.id.hex if p.db.is_sqlite else decision.id})
    if p.db.is_sqlite:
        tampered = json.dumps({**decision.inputs, "score": {**decision.inputs["score"],
                                                            "value": "199.0"}})
        with p.db.write() as conn:
            conn.execute(text("DROP TRIGGER scenario_decisions_no_update"))
            conn.execute(text("UPDATE scenario_decisions SET inputs = :x WHERE id = :i"),
                         {"x": tampered, "i": decision.id.hex})
            conn.execute(text(
                "CREATE TRIGGER scenario_decisions_no_update BEFORE UPDATE ON scenario_decisions "
                "BEGIN SELECT RAISE(ABORT, 'append-only'); END"))
        report = p.scenarios.replay(town.id, decision.id)
        assert not report.identical and any("score" in d for d in report.differences)


def test_jf_scn_5_cli_replay_prints_both_and_exits_non_zero_when_they_differ(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'j.db'}"
    from jifen.store.migrate import upgrade

    upgrade(url)
    platform = make_platform(url, start=MONDAY)
    with registered_plugin(platform.pm, ScenarioPlugin(), name="test_scenarios"):
        town = make_claims_city(platform, make_config("cli-town"))
        who = scored(town, "张三", 2112, consent="test-vip")
        decision = platform.scenarios.check(town.id, "test-vip", who.id)
    env = {**os.environ, "JIFEN_DATABASE_URL": url, "COLUMNS": "200"}

    def replay() -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "jifen", "scenarios", "replay",
                               str(decision.id), "--tenant", "cli-town"], cwd=tmp_path,
                              text=True, capture_output=True, env=env, check=False)

    ok = replay()
    assert ok.returncode == 0, ok.stderr
    assert '"recorded"' in ok.stdout and '"replayed"' in ok.stdout and "identically" in ok.stdout
    with platform.db.write() as conn:
        conn.execute(text("DROP TRIGGER scenario_decisions_no_update"))
        conn.execute(text("UPDATE scenario_decisions SET result = :r WHERE id = :i"),
                     {"r": json.dumps({**decision.result, "eligible": False}),
                      "i": decision.id.hex})
    platform.db.dispose()
    bad = replay()
    assert bad.returncode == 1 and "DIFFERS" in bad.stdout
