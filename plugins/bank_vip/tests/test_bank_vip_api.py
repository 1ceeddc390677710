"""The bank-VIP endpoints and the core's consent endpoints against a real server on loopback,
on SQLite and PostgreSQL (JF-SCN-2, JF-CODE-2, JF-PRIV-2): the resident gets a code for
themselves only; the bank (role ``provider``) learns ``VIP lane: valid until T`` and nothing
else; refusals leak nothing."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from jifen.model import Subject
from jifen.platform import Platform
from jifen.testing import ClaimsCity, TenantClient, tenant_api

CONSENT = "/scenarios/bank-vip/consent"


@pytest.fixture
def api(platform: Platform, town: ClaimsCity) -> Iterator[TenantClient]:
    with tenant_api(platform, town) as client:
        yield client


def test_jf_scn_2_the_bank_learns_only_vip_lane_valid_until(
        api: TenantClient, resident: Callable[..., Subject]) -> None:
    who = resident("武建国", 1200, consent=False)
    mine = api.token(who)
    granted = api.post(CONSENT, mine)
    assert granted.status_code == 201, granted.text
    assert granted.json() | {"at": None} == {
        "scenario": "bank-vip", "provider": "鄂尔多斯农商银行康巴什支行", "benefit": "VIP lane",
        "subject": who.code, "granted": True, "given_by": who.code, "via": "online", "at": None}
    issued = api.post("/bank-vip/code", mine)
    assert issued.status_code == 201, issued.text
    assert issued.json()["benefit"] == "VIP lane"

    shown = api.post("/bank-vip/verify", api.token("bank-teller-7", "provider"),
                     {"token": issued.json()["token"]})
    assert shown.status_code == 200, shown.text
    assert shown.json() == {"benefit": "VIP lane", "valid_until": "2024-07-01",
                            "expires_at": issued.json()["expires_at"],
                            "text": "VIP lane: valid until 2024-07-01"}
    assert "120" not in shown.text and who.name not in shown.text and who.code not in shown.text


def test_jf_scn_2_below_the_threshold_or_without_consent_no_code(
        api: TenantClient, resident: Callable[..., Subject]) -> None:
    low, shy = resident("李四", 999), resident("王五", 1500, consent=False)
    refused = api.post("/bank-vip/code", api.token(low))
    assert (refused.status_code, refused.json()["code"]) == (409, "scenario.not_eligible")
    assert "99.9" not in refused.text
    refused = api.post("/bank-vip/code", api.token(shy))
    assert (refused.status_code, refused.json()["code"]) == (403, "scenario.no_consent")


def test_jf_priv_2_withdrawn_consent_stops_codes_and_the_list_says_so(
        api: TenantClient, resident: Callable[..., Subject]) -> None:
    who = resident("赵六", 1500)
    mine = api.token(who)
    withdrawn = api.post(f"{CONSENT}/withdraw", mine)
    assert withdrawn.status_code == 200 and withdrawn.json()["granted"] is False
    refused = api.post("/bank-vip/code", mine)
    assert refused.json()["code"] == "scenario.no_consent"
    listed = {c["scenario"]: c for c in api.get("/scenarios/consents", mine).json()}
    assert listed["bank-vip"]["granted"] is False
    assert listed["bank-vip"]["given_by"] == who.code


def test_jf_code_2_only_a_provider_verifies_and_a_bad_code_proves_nothing(
        api: TenantClient, resident: Callable[..., Subject]) -> None:
    who = resident("钱七", 1500)
    token = api.post("/bank-vip/code", api.token(who)).json()["token"]
    refused = api.post("/bank-vip/verify", api.token(who), {"token": token})
    assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")
    forged = api.post("/bank-vip/verify", api.token("bank-teller-7", "provider"),
                      {"token": token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")})
    assert forged.status_code == 422 and forged.json()["code"].startswith("code.")


def test_jf_priv_2_consent_is_given_for_oneself_only(
        api: TenantClient, resident: Callable[..., Subject]) -> None:
    me, other = resident("孙八", 1500, consent=False), resident("周九", 1500, consent=False)
    for code in (other.code, "NO-SUCH-CODE"):  # someone else, or no one: the same refusal
        refused = api.post(CONSENT, api.token(me), {"subject": code})
        assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")
    staff = api.post("/bank-vip/code", api.token("counter-1", "operator"))
    assert staff.status_code == 403
