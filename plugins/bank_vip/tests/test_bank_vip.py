"""The scenario ``bank-vip`` (threshold mode): registration and overrides (JF-SCN-1), the
threshold crossed both ways (JF-SCN-2), the bank's offline check (JF-CODE-2), consent
(JF-PRIV-2) and replay (JF-SCN-5). Every test runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import date, timedelta
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
from jifen_bank_vip import (
    BANK,
    SCENARIO,
    BankVip,
    VipPass,
    qr,
    verify_vip_code,
)

TODAY = date(2024, 7, 1)  # the test clock stands on Monday 1 July 2024 (see conftest.py)
Resident = Callable[..., Subject]


def tick(platform: Platform) -> None:
    """Move the test clock on, so that a decision and a later posting are not simultaneous."""
    assert isinstance(platform.clock, MovableClock)
    platform.clock.advance(timedelta(minutes=1))


def code_of(call: Callable[[], object]) -> str:
    """The stable code of the jifen error ``call`` raises."""
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def payload(token: str) -> dict[str, object]:
    first = token.split(".")[0]
    data: dict[str, object] = json.loads(base64.urlsafe_b64decode(first + "=" * (-len(first) % 4)))
    return data


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def forgeries(token: str) -> list[str]:
    """A flipped signature bit; a later day in a re-encoded payload; a bare payload; junk."""
    first, second = token.split(".")
    signature = bytearray(base64.urlsafe_b64decode(second + "=" * (-len(second) % 4)))
    signature[0] ^= 1
    later = {**payload(token), "valid_until": "2099-12-31"}
    return [f"{first}.{b64(bytes(signature))}",
            f"{b64(json.dumps(later, separators=(',', ':')).encode())}.{second}",
            first, "VIP lane: valid until 2099-12-31"]


# --- JF-SCN-1: the scenario as registered, and the tenant's overrides --------------------------

def test_jf_scn_1_the_scenario_declares_provider_threshold_mode_consent_and_use(
        town: ClaimsCity, vip: BankVip) -> None:
    p = town.platform
    spec = p.scenarios.specs()[SCENARIO]
    assert (spec.provider, spec.mode, spec.use_effect, spec.benefit) == (
        BANK, "threshold", "none", "VIP lane")
    assert spec.eligibility.consent and spec.eligibility.min_score == Decimal("100.0")
    assert p.scenarios.registry.origin(SCENARIO) == "bank_vip"
    assert vip.threshold(town.id) == Decimal("100.0")
    assert vip.rule(town.id).rule_version == "2024.1"


def test_jf_scn_1_the_tenant_file_overrides_the_threshold(platform: Platform, vip: BankVip
                                                          ) -> None:
    town = make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", scenarios={
        SCENARIO: {"eligibility": {"min_score": "150"}}}))
    assert vip.threshold(town.id) == Decimal("150")
    who = town.resident("张三")
    platform.award(town.id, who.id, Points(kind="moral", minor=1200), idempotency_key="a")
    vip.grant_consent(town.id, who.id)
    tick(platform)
    decision = vip.check(town.id, who.id)
    assert decision.reasons == ["below_min_score"]  # 120.0 ≥ 100, but < 150 here
    assert decision.rule_version == "2024.1+config1"


# --- JF-SCN-2: the threshold, crossed both ways ------------------------------------------------

def test_jf_scn_2_threshold_crossing_both_ways_award_reversal_and_deduction(
        town: ClaimsCity, vip: BankVip, resident: Resident) -> None:
    p = town.platform
    who = resident("张三", 999)  # 99.9: just below
    below = vip.check(town.id, who.id)
    assert not below.eligible and below.reasons == ["below_min_score"]
    assert code_of(lambda: vip.code(town.id, who.id)) == "scenario.not_eligible"
    tick(p)
    award = p.award(town.id, who.id, Points(kind="moral", minor=1), idempotency_key="up")
    tick(p)
    at = vip.check(town.id, who.id)  # 100.0: at the threshold is eligible
    assert at.eligible and at.score_value == Decimal("100.0") and at.result["valid_until"] == \
        "2024-07-01"
    assert vip.code(town.id, who.id).valid_until == TODAY
    tick(p)
    p.ledger.reverse(town.id, award.id, "down", "entered in error")  # a reversal: 99.9
    tick(p)
    assert vip.check(town.id, who.id).reasons == ["below_min_score"]
    assert code_of(lambda: vip.code(town.id, who.id)) == "scenario.not_eligible"
    tick(p)
    p.award(town.id, who.id, Points(kind="moral", minor=301), idempotency_key="up-again")
    tick(p)
    assert vip.check(town.id, who.id).eligible  # 130.0
    assert vip.code(town.id, who.id).benefit == "VIP lane"
    tick(p)
    p.award(town.id, who.id, Points(kind="moral", minor=-301), idempotency_key="deduction")
    tick(p)
    after = vip.check(town.id, who.id)  # a deduction: 99.9 again
    assert not after.eligible and after.score_value == Decimal("99.9")
    with pytest.raises(JifenError) as refused:
        vip.code(town.id, who.id)
    assert refused.value.code == "scenario.not_eligible"
    assert refused.value.details["reasons"] == ["below_min_score"]
    tick(p)
    for decision in vip.decisions(town.id, who.id):  # every one of them, as of its instant
        report = vip.replay(town.id, decision.id)
        assert report.identical, (decision.kind, report.differences)


# --- JF-CODE-2: the bank's offline check -------------------------------------------------------

def test_jf_code_2_the_bank_verifies_offline_with_the_public_key_learning_only_benefit_and_validity(
        town: ClaimsCity, vip: BankVip, resident: Resident, tmp_path: Path) -> None:
    p = town.platform
    who = resident("武先生", 2112)
    issued = vip.code(town.id, who.id)
    assert (issued.benefit, issued.valid_until) == ("VIP lane", TODAY)
    keys_file = tmp_path / "keys.json"  # what the bank is given, once
    keys_file.write_text(json.dumps(keys_document(town.tenant.code, vip.public_keys(town.id))))
    keys, tenant = load_public_keys(keys_file)
    shown = verify_vip_code(issued.token, keys, now=p.clock.now(), tenant=tenant)
    assert shown == VipPass(benefit="VIP lane", valid_until=TODAY, expires_at=issued.expires_at)
    assert shown.text == "VIP lane: valid until 2024-07-01"
    assert set(VipPass.model_fields) == {"benefit", "valid_until", "expires_at"}
    body = payload(issued.token)  # the code itself: no subject, no name, no score
    assert set(body) == {"v", "tenant", "kid", "purpose", "jti", "iat", "exp", "benefit",
                         "valid_until"}
    assert (body["benefit"], body["valid_until"], body["purpose"]) == (
        "VIP lane", "2024-07-01", "verify-benefit")
    text = json.dumps(body, ensure_ascii=False)
    assert str(who.id) not in text and who.code not in text and who.name not in text
    assert "211.2" not in text
    assert qr(issued.token).lstrip().startswith(b"<?xml") and b"<svg" in qr(issued.token)


def test_jf_code_2_forged_expired_and_foreign_codes_are_refused_offline(
        town: ClaimsCity, vip: BankVip, resident: Resident) -> None:
    p = town.platform
    who = resident("武先生", 2112)
    issued = vip.code(town.id, who.id)
    keys, now = vip.public_keys(town.id), p.clock.now()
    for forged in forgeries(issued.token):
        assert code_of(partial(verify_vip_code, forged, keys, now=now)) == "code.invalid"
    assert code_of(lambda: verify_vip_code(issued.token, keys, now=issued.expires_at)) == \
        "code.expired"  # 60 s by default (JF-CODE-1)
    assert verify_vip_code(issued.token, keys, now=issued.expires_at - timedelta(seconds=1))
    other = make_claims_city(p)
    assert code_of(lambda: verify_vip_code(issued.token, vip.public_keys(other.id),
                                           now=now)) == "code.unknown_key"
    assert code_of(lambda: verify_vip_code(issued.token, keys, now=now,
                                           tenant=other.tenant.code)) == "code.wrong_tenant"
    slot = p.codes.issue(town.id, who.id, "verify-benefit",
                         benefit="Priority appointment · 市中心医院:心内科", valid_until=TODAY)
    assert code_of(lambda: verify_vip_code(slot.token, keys, now=now)) == \
        "bank_vip.wrong_benefit"
    pay = p.codes.issue(town.id, who.id, "pay")
    assert code_of(lambda: verify_vip_code(pay.token, keys, now=now)) == "code.wrong_purpose"


# --- JF-PRIV-2: consent -------------------------------------------------------------------------

def test_jf_priv_2_consent_withdrawn_the_bank_learns_nothing(
        town: ClaimsCity, vip: BankVip, resident: Resident) -> None:
    p = town.platform
    who = resident("武先生", 2112)
    assert vip.assertion(town.id, who.id) == EligibilityAssertion(
        scenario=SCENARIO, eligible=True, valid_until=TODAY)
    assert vip.code(town.id, who.id)
    tick(p)
    vip.withdraw_consent(town.id, who.id)
    tick(p)
    assert not vip.has_consent(town.id, who.id)
    assert vip.assertion(town.id, who.id) is None  # nothing at all, which is not "no"
    with pytest.raises(JifenError) as refused:
        vip.code(town.id, who.id)
    assert refused.value.code == "scenario.no_consent"
    assert vip.check(town.id, who.id).reasons == ["no_consent"]
    never = resident("李四", 2112, consent=False)
    assert vip.assertion(town.id, never.id) is None
    assert code_of(lambda: vip.code(town.id, never.id)) == "scenario.no_consent"
    poor = resident("王五", 100)  # consents, but 10.0: the bank may hear "not eligible"
    assert vip.assertion(town.id, poor.id) == EligibilityAssertion(
        scenario=SCENARIO, eligible=False, valid_until=None)
    tick(p)
    vip.grant_consent(town.id, who.id)
    tick(p)
    assert vip.code(town.id, who.id).benefit == "VIP lane"


# --- JF-SCN-5: replay -----------------------------------------------------------------------------

def test_jf_scn_5_a_threshold_decision_records_its_inputs_and_replays_identically(
        town: ClaimsCity, vip: BankVip, resident: Resident) -> None:
    p = town.platform
    who = resident("武先生", 2112)
    issued = vip.code(town.id, who.id)
    decision = p.scenarios.decision(town.id, issued.decision_id)
    assert (decision.kind, decision.scenario, decision.subject_id) == (
        "benefit_code", SCENARIO, who.id)
    assert decision.score_value == Decimal("211.2") and decision.method == "jifen.default"
    assert decision.method_version and decision.rule_version == "2024.1"
    assert decision.rule["eligibility"]["min_score"] == "100.0"
    assert decision.inputs["effective_score"] == "211.2" and decision.inputs["consent"]
    assert decision.result == {"eligible": True, "reasons": [], "valid_until": "2024-07-01"}
    tick(p)
    p.award(town.id, who.id, Points(kind="moral", minor=-1500), idempotency_key="deduction")
    tick(p)
    later = vip.check(town.id, who.id)
    assert not later.eligible
    tick(p)
    for recorded in (decision, later):  # the ledger is append-only: as of then, the same
        report = vip.replay(town.id, recorded.id)
        assert report.identical, report.differences
