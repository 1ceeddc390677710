"""The merchant-redemption endpoints against a real uvicorn server, on SQLite and PostgreSQL:
quote and redeem with a pay code (JF-RED-1/2/3, JF-CODE-1), refunds (JF-RED-4), the
merchant's own list and every role boundary (JF-PRIV-1/2), settlement (JF-FUND-2), idempotency
(JF-LED-3) and problem documents (JF-API-3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest

from jifen.api import ApiSettings, create_app
from jifen.api.auth import Role, issue_token
from jifen.platform import Platform
from jifen.testing import running_server
from jifen_merchant_redemption import Merchant
from jifen_merchant_redemption.testing import Shop, make_shop

PROBLEM = "application/problem+json"


@dataclass
class Till:
    shop: Shop
    http: httpx.Client

    @property
    def tenant(self) -> str:
        return self.shop.city.tenant.code

    def token(self, sub: str, *roles: str) -> str:
        return issue_token(self.shop.platform, self.tenant, sub,
                           [Role.parse(r) for r in roles])[0]

    @property
    def merchant(self) -> str:
        return self.token(self.shop.merchant.code, "merchant")

    @property
    def resident(self) -> str:
        return self.token(self.shop.resident.code, "resident")

    def pay_code(self, token: str | None = None) -> str:
        response = self.post("/codes", {"purpose": "pay"}, token or self.resident)
        assert response.status_code == 201, response.text
        return str(response.json()["token"])

    def get(self, path: str, token: str | None) -> httpx.Response:
        return self.http.get(self.url(path), headers=_auth(token))

    def post(self, path: str, body: dict[str, Any], token: str | None,
             key: str | None = "auto") -> httpx.Response:
        headers = _auth(token)
        if key is not None:
            headers["Idempotency-Key"] = uuid.uuid4().hex if key == "auto" else key
        return self.http.post(self.url(path), json=body, headers=headers)

    def url(self, path: str) -> str:
        return f"/v1/tenants/{self.tenant}{path}"

    def shop_path(self, rest: str = "", code: str | None = None) -> str:
        return f"/merchants/{code or self.shop.merchant.code}{rest}"


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["type"].endswith(code)
    return body


@pytest.fixture
def till(platform: Platform) -> Iterator[Till]:
    shop = make_shop(platform)
    with running_server(create_app(platform, ApiSettings())) as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        yield Till(shop, http)


def _redeem(till: Till, bill_fen: int, **extra: Any) -> dict[str, Any]:
    response = till.post(till.shop_path("/redemptions"),
                         {"bill_fen": bill_fen, "token": till.pay_code(), **extra}, till.merchant)
    assert response.status_code == 201, response.text
    found: dict[str, Any] = response.json()
    return found


# --- quote and redeem ---------------------------------------------------------------------------

def test_jf_red_2_quote_then_redeem_58_yuan_with_the_residents_pay_code(till: Till) -> None:
    till.shop.fund(5000)
    code = till.pay_code()
    quoted = till.post(till.shop_path("/quotes"), {"bill_fen": 5800, "token": code},
                       till.merchant)
    assert quoted.status_code == 200, quoted.text
    assert quoted.json() == {"bill_fen": 5800, "cap_percent": 30, "cap_fen": 1740, "rate": 100,
                             "points": 1740, "value_fen": 1740, "due_fen": 4060}
    key = uuid.uuid4().hex
    done = till.post(till.shop_path("/redemptions"), {"bill_fen": 5800, "token": code},
                     till.merchant, key=key)  # the quote did not use the code up
    assert done.status_code == 201, done.text
    body = done.json()
    assert (body["points"], body["value_fen"], body["due_fen"]) == (1740, 1740, 4060)
    assert body["pools"] == {"test-pool": 1740} and body["merchant"] == till.shop.merchant.code
    assert till.shop.balance() == 5000 - 1740
    again = till.post(till.shop_path("/redemptions"), {"bill_fen": 5800, "token": code},
                      till.merchant, key=key)
    assert again.json()["id"] == body["id"] and again.headers["Idempotent-Replayed"] == "true"
    assert_problem(till.post(till.shop_path("/redemptions"), {"bill_fen": 5800, "token": code},
                             till.merchant), 409, "code.replayed")  # JF-CODE-1: single use
    assert till.shop.balance() == 5000 - 1740
    terms = till.get(till.shop_path(), till.merchant).json()
    assert (terms["cap_percent"], terms["settlement_points"]) == (30, 1740)


def test_jf_red_2_a_quote_counts_only_usable_points_and_shows_no_balance(till: Till) -> None:
    till.shop.fund(1000)
    quoted = till.post(till.shop_path("/quotes"), {"bill_fen": 5800, "token": till.pay_code()},
                       till.merchant).json()
    assert (quoted["points"], quoted["due_fen"]) == (1000, 4800) and "balance" not in quoted
    by_cap = till.post(till.shop_path("/quotes"), {"bill_fen": 5800}, till.merchant).json()
    assert by_cap["points"] == 1740  # no pay code: the cap alone


def test_jf_api_3_bad_requests_are_refused_with_nothing_written(till: Till) -> None:
    till.shop.fund(5000)
    code = till.pay_code()
    for body, status, error in (
            ({"bill_fen": 0, "token": code}, 422, "redemption.invalid_amount"),
            ({"bill_fen": "58.00", "token": code}, 422, "input.invalid"),
            ({"bill_fen": 5800, "token": code, "points": 1741}, 422,
             "redemption.too_many_points"),
            ({"bill_fen": 5800, "token": "not-a-code"}, 422, "code.invalid")):
        assert_problem(till.post(till.shop_path("/redemptions"), body, till.merchant),
                       status, error)
    assert_problem(till.post(till.shop_path("/redemptions"), {"bill_fen": 5800, "token": code},
                             till.merchant, key=None), 428, "request.idempotency_key_required")
    assert till.shop.balance() == 5000
    assert _redeem(till, 5800)["points"] == 1740  # a fresh code still works
    late = till.pay_code()
    till.shop.platform.clock.advance(timedelta(seconds=61))  # type: ignore[attr-defined]
    assert_problem(till.post(till.shop_path("/redemptions"), {"bill_fen": 100, "token": late},
                             till.merchant), 422, "code.expired")


# --- refunds and the merchant's own list ----------------------------------------------------------

def test_jf_red_4_partial_then_full_refund_over_http(till: Till) -> None:
    till.shop.fund(5000)
    done = _redeem(till, 5800)
    path = till.shop_path(f"/redemptions/{done['id']}/refund")
    half = till.post(path, {"refund_fen": 2900}, till.merchant)
    assert half.status_code == 201, half.text
    assert (half.json()["refund_fen"], half.json()["points"]) == (2900, 870)
    rest = till.post(path, {}, till.merchant).json()
    assert (rest["refund_fen"], rest["points"]) == (2900, 870)
    assert till.shop.balance() == 5000
    assert_problem(till.post(path, {}, till.merchant), 409, "redemption.fully_refunded")
    listed = till.get(till.shop_path("/redemptions"), till.merchant).json()
    assert [(r["id"], r["refunded_fen"], r["refunded_points"]) for r in listed] == [
        (done["id"], 5800, 1740)]


def test_jf_red_4_no_refund_after_the_window(till: Till) -> None:
    till.shop.fund(5000)
    done = _redeem(till, 5800)
    till.shop.platform.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
    assert_problem(till.post(till.shop_path(f"/redemptions/{done['id']}/refund"), {},
                             till.merchant), 409, "redemption.refund_window_closed")
    assert till.shop.balance() == 5000 - 1740


# --- roles (JF-PRIV-1, JF-PRIV-2) ---------------------------------------------------------------

def _other_merchant(till: Till) -> Merchant:
    return till.shop.service.add_merchant(till.shop.tenant_id, "对面超市 the grocer opposite",
                                          "community", category="retail")


def test_jf_priv_2_only_the_merchants_staff_act_for_it(till: Till) -> None:
    till.shop.fund(5000)
    done = _redeem(till, 5800)
    other = _other_merchant(till)
    rival = till.token(other.code, "merchant")
    strangers = {"resident": till.resident, "rival merchant": rival,
                 "operator": till.token("ops", "operator"),
                 "merchant role, resident subject": till.token(till.shop.resident.code,
                                                               "merchant")}
    for who, token in strangers.items():
        for response in (
                till.post(till.shop_path("/quotes"), {"bill_fen": 5800}, token),
                till.post(till.shop_path("/redemptions"),
                          {"bill_fen": 5800, "token": till.pay_code()}, token),
                till.post(till.shop_path(f"/redemptions/{done['id']}/refund"), {}, token),
                till.get(till.shop_path("/redemptions"), token)):
            body = assert_problem(response, 403, "access.forbidden")
            assert done["id"] not in response.text, who
    for token in (till.resident, rival):
        assert_problem(till.get(till.shop_path(), token), 403, "access.forbidden")
    for role in ("operator", "auditor"):  # they see the terms and the settlement account
        seen = till.get(till.shop_path(), till.token("staff", role))
        assert seen.status_code == 200 and seen.json()["settlement_points"] == 1740
    unknown = assert_problem(till.get(till.shop_path("/redemptions", code="m-nobody"), rival),
                             403, "access.forbidden")
    known = assert_problem(till.get(till.shop_path("/redemptions"), rival), 403,
                           "access.forbidden")
    assert unknown["detail"] == known["detail"] == body["detail"]  # nothing leaks
    # the rival sees its own (empty) list and cannot refund the shop's redemption by its id
    assert till.get(till.shop_path("/redemptions", code=other.code), rival).json() == []
    assert_problem(till.post(till.shop_path(f"/redemptions/{done['id']}/refund", code=other.code),
                             {}, rival), 404, "redemption.not_found")
    assert_problem(till.get(till.shop_path("/redemptions"), None), 401, "auth.unauthenticated")
    assert till.shop.balance() == 5000 - 1740


def test_jf_priv_1_a_cashier_with_merchant_at_the_shop_acts_for_it(till: Till) -> None:
    till.shop.fund(5000)
    cashier = till.shop.city.resident("收银员 cashier")
    token = till.token(cashier.code, "resident", f"merchant@{till.shop.merchant.code}")
    done = till.post(till.shop_path("/redemptions"),
                     {"bill_fen": 5800, "token": till.pay_code()}, token)
    assert done.status_code == 201, done.text
    assert [r["id"] for r in till.get(till.shop_path("/redemptions"), token).json()] == [
        done.json()["id"]]


# --- enrolment and settlement (JF-RED-1, JF-FUND-2) ---------------------------------------------

def test_jf_red_1_operators_enrol_merchants_with_their_own_cap(till: Till) -> None:
    operator = till.token("ops", "operator")
    subject = till.shop.platform.create_subject(till.shop.tenant_id, _merchant_subject())
    enrolled = till.post("/merchants", {"subject": subject.code, "category": "retail",
                                        "cap_percent": 25}, operator)
    assert enrolled.status_code == 201, enrolled.text
    assert (enrolled.json()["cap_percent"], enrolled.json()["refund_window_days"]) == (25, 7)
    assert_problem(till.post("/merchants", {"subject": subject.code}, till.merchant), 403,
                   "access.forbidden")
    bad = till.shop.platform.create_subject(till.shop.tenant_id, _merchant_subject())
    assert_problem(till.post("/merchants", {"subject": bad.code, "cap_percent": 101}, operator),
                   422, "redemption.invalid_merchant")
    assert_problem(till.post("/merchants", {"subject": till.shop.resident.code}, operator),
                   422, "redemption.invalid_merchant")


def _merchant_subject() -> Any:
    from jifen.model import SubjectCreate

    return SubjectCreate(type="merchant", name="新店 new shop", org_unit_code="community")


def test_jf_fund_2_a_settlement_run_states_what_each_pool_owes_in_yuan(till: Till) -> None:
    till.shop.fund(1000)
    till.shop.fund(3000, pool="sponsor-pool")
    done = _redeem(till, 5800)  # 1,740 points: 1,000 from test-pool, 740 from sponsor-pool
    assert done["pools"] == {"sponsor-pool": 740, "test-pool": 1000}
    till.post(till.shop_path(f"/redemptions/{done['id']}/refund"), {"refund_fen": 1000},
              till.merchant)  # 300 points back
    operator = till.token("ops", "operator")
    assert_problem(till.post("/settlements", {}, till.merchant), 403, "access.forbidden")
    run = till.post("/settlements", {}, operator)
    assert run.status_code == 201, run.text
    report = run.json()
    assert (report["redemptions"], report["points"], report["yuan_owed"]) == (1, 1440, "14.40")
    assert sorted((line["pool"], line["merchant"], line["points"], line["yuan_owed"])
                  for line in report["lines"]) == [
        ("sponsor-pool", till.shop.merchant.code, 440, "4.40"),
        ("test-pool", till.shop.merchant.code, 1000, "10.00")]
    assert till.get(till.shop_path(), till.merchant).json()["settlement_points"] == 0
    listed = till.get(till.shop_path("/redemptions"), till.merchant).json()
    assert listed[0]["settled_at"] is not None
    assert_problem(till.post(till.shop_path(f"/redemptions/{done['id']}/refund"), {},
                             till.merchant), 409, "redemption.settled")
    assert till.post("/settlements", {}, operator).json()["run_id"] is None
