"""The merchant page (the till) in a real browser: Playwright driving Debian's Chromium against a
real uvicorn server, on SQLite and PostgreSQL (JF-RED-2, JF-RED-3, JF-RED-4, JF-PRIV-2).

Like the core's browser tests (``core/tests/test_web.py``): skipped without
``/usr/bin/chromium`` unless ``JIFEN_REQUIRE_BROWSER=1``; screenshots go to
``$JIFEN_WEB_ARTIFACTS`` when it is set.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from jifen.api import ApiSettings, create_app
from jifen.api.auth import set_password
from jifen.model import Subject
from jifen.platform import Platform
from jifen.testing import running_server
from jifen_merchant_redemption.testing import Shop, make_shop

PASSWORD = "correct horse battery"
ARTIFACTS = Path(os.environ["JIFEN_WEB_ARTIFACTS"]) if os.environ.get(
    "JIFEN_WEB_ARTIFACTS") else None


@dataclass
class Site:
    shop: Shop
    base: str
    browser: Any

    def url(self, path: str) -> str:
        return f"{self.base}/t/{self.shop.city.tenant.code}{path}"

    def login(self, who: Subject | Any, locale: str = "zh-CN") -> Any:
        page = self.browser.new_context(locale=locale).new_page()
        page.goto(self.url("/login"))
        page.fill("#subject", who.code)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        return page


@pytest.fixture
def site(platform: Platform, browser: Any) -> Iterator[Site]:
    shop = make_shop(platform)
    shop.fund(5000)
    for who in (shop.merchant.id, shop.resident.id):
        set_password(platform, shop.tenant_id, who, PASSWORD)
    with running_server(create_app(platform, ApiSettings())) as base:
        yield Site(shop, base, browser)


def _shot(page: Any, name: str) -> None:
    if ARTIFACTS is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_jf_red_2_a_cashier_quotes_and_redeems_a_pay_code_and_the_balance_drops(
        site: Site) -> None:
    page = site.login(site.shop.merchant)
    with page.expect_navigation():
        page.click("nav >> text=商户收银")
    assert page.url.endswith("/merchant")
    assert page.locator("h1").inner_text() == "老王面馆 Wang's noodles 收银台"
    page.fill("#token", site.shop.pay_code())  # what a scanner types into the focused field
    page.fill("#bill", "58.00")
    with page.expect_navigation():
        page.click("#quote-form button[type=submit]")
    quote = page.locator("#quote").inner_text()
    assert "1740 积分" in quote and "17.40" in quote and "40.60" in quote
    assert site.shop.balance() == 5000  # a quote uses nothing
    _shot(page, "merchant-quote")
    with page.expect_navigation():
        page.click("#redeem-form button[type=submit]")
    assert "1740 积分抵扣 17.40 元" in page.locator("#till-message").inner_text()
    assert page.locator("#redemptions td.points").all_inner_texts() == ["1740"]
    assert site.shop.balance() == 5000 - 1740
    _shot(page, "merchant-redeemed")

    resident = site.login(site.shop.resident)
    assert resident.locator("#balances tr[data-kind=material] .balance").inner_text() == "3260"


def test_jf_red_3_a_used_pay_code_is_refused_on_the_page(site: Site) -> None:
    code = site.shop.pay_code()
    site.shop.redeem(1000)  # spends another code; this one is still fresh
    page = site.login(site.shop.merchant, locale="en-US")
    page.goto(site.url("/merchant"))
    for attempt in range(2):
        page.fill("#token", code)
        page.fill("#bill", "10.00")
        with page.expect_navigation():
            page.click("#quote-form button[type=submit]")
        if attempt == 0:
            assert "300 points deduct 3.00 yuan" in page.locator("#quote").inner_text()
            with page.expect_navigation():
                page.click("#redeem-form button[type=submit]")
    assert "used already" in page.locator("#till-error").inner_text()
    assert site.shop.balance() == 5000 - 300 - 300


def test_jf_red_4_a_refund_from_the_list_returns_points(site: Site) -> None:
    site.shop.redeem(5800)
    page = site.login(site.shop.merchant, locale="en-US")
    page.goto(site.url("/merchant"))
    assert page.locator("h1").inner_text() == "Till of 老王面馆 Wang's noodles"
    page.fill("#amount-1", "29.00")
    with page.expect_navigation():
        page.click("#redemptions button[type=submit]")
    assert "870 points returned" in page.locator("#till-message").inner_text()
    assert page.locator("#redemptions td.refunded").all_inner_texts() == ["29.00"]
    assert site.shop.balance() == 5000 - 1740 + 870
    _shot(page, "merchant-refund")
    site.shop.platform.clock.advance(timedelta(days=8))  # type: ignore[attr-defined]
    page.goto(site.url("/merchant"))
    assert page.locator("#redemptions button[type=submit]").count() == 0  # the window closed


def test_jf_priv_2_a_resident_cannot_open_the_till(site: Site) -> None:
    page = site.login(site.shop.resident)
    assert page.locator("nav >> text=商户收银").count() == 0
    response = page.goto(site.url("/merchant"))
    assert response.status == 403
    assert "老王面馆" not in page.content()
