"""The web pages in a real browser: Playwright driving Debian's Chromium against a real uvicorn
server on loopback, on SQLite and PostgreSQL (JF-DUE-4, JF-PRIV-1/2, JF-DUE-1, JF-STAT-1).

Without ``/usr/bin/chromium`` these tests are skipped, unless ``JIFEN_REQUIRE_BROWSER=1`` (CI),
when they fail.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from jifen import hookimpl
from jifen.api import ApiSettings, create_app
from jifen.api.auth import set_password
from jifen.jobs import collect_jobs, run_once
from jifen.model import LinkRole, Subject, SubjectCreate
from jifen.model.claims import ClaimSubmit
from jifen.platform import Platform
from jifen.scenarios import ScenarioSpec
from jifen.testing import ClaimsCity, make_claims_city, registered_plugin, running_server

NOW = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)
PASSWORD = "correct horse battery"
ARTIFACTS = Path(os.environ.get("JIFEN_WEB_ARTIFACTS", "")) if os.environ.get(
    "JIFEN_WEB_ARTIFACTS") else None


@dataclass
class Site:
    platform: Platform
    city: ClaimsCity
    base: str
    resident: Subject
    neighbour: Subject
    admin: Subject
    waiting: uuid.UUID
    browser: Any

    @property
    def tenant(self) -> str:
        return self.city.tenant.code

    def url(self, path: str) -> str:
        return f"{self.base}/t/{self.tenant}{path}"

    def page(self, locale: str = "zh-CN") -> Any:
        context = self.browser.new_context(locale=locale)
        return context.new_page()

    def login(self, who: Subject, locale: str = "zh-CN") -> Any:
        page = self.page(locale)
        page.goto(self.url("/login"))
        page.fill("#subject", who.code)
        page.fill("#password", PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        return page


def _claim(platform: Platform, city: ClaimsCity, who: Subject, item: str, deed: date,
           **extra: Any) -> uuid.UUID:
    return platform.claims.submit(city.id, ClaimSubmit(
        idempotency_key=uuid.uuid4().hex, subject_id=who.id, item=item, deed_date=deed,
        evidence={"photo": uuid.uuid4().hex}, **extra)).claim.id


@pytest.fixture
def site(platform: Platform, browser: Any) -> Iterator[Site]:
    platform.clock.set(NOW)  # type: ignore[attr-defined]
    city = make_claims_city(platform)
    resident = city.resident("张三丰")
    neighbour = city.resident("李四")
    admin = city.resident("管理员丙", grid="grid-2")
    platform.grant_role(city.id, admin.id, "admin", "city")
    for who in (resident, neighbour, admin, city.reviewer):
        assert who is not None
        set_password(platform, city.id, who.id, PASSWORD)
    # a month of work: awarded, noticed and final (history with provenance) …
    first = _claim(platform, city, resident, "volunteer.hour", date(2024, 3, 1), units=2)
    platform.claims.approve(city.id, first, city.reviewer_id)
    batch = platform.claims.publish(city.id, "community", city.reviewer_id)
    assert batch is not None
    platform.clock.set(datetime.combine(  # type: ignore[attr-defined]
        batch.ends_on + timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=2))
    platform.claims.close_notices(city.id)
    # … a notice running now (the public board) and a claim waiting for review (the queue)
    second = _claim(platform, city, resident, "good.deed", date(2024, 3, 5), amount="5")
    platform.claims.approve(city.id, second, city.reviewer_id, amount="5")
    assert platform.claims.publish(city.id, "community", city.reviewer_id) is not None
    waiting = _claim(platform, city, neighbour, "volunteer.hour", date(2024, 3, 6), units=1)
    with running_server(create_app(platform, ApiSettings(test_mode=True))) as base:
        yield Site(platform, city, base, resident, neighbour, admin, waiting, browser)


def _shot(page: Any, name: str) -> None:
    if ARTIFACTS is not None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# --- the public notice board (JF-DUE-4) ---------------------------------------------------------

def test_jf_due_4_public_board_shows_masked_names_only(site: Site) -> None:
    page = site.page()
    response = page.goto(site.url("/notices"))
    assert response.status == 200
    names = page.locator("td.masked-name").all_inner_texts()
    assert names == ["张**"]
    html = page.content()
    for who in (site.resident, site.neighbour):
        assert who.name not in html and who.code not in html and str(who.id) not in html
    assert "好人好事" in html
    _shot(page, "notices")


# --- the resident page (JF-DUE-1, JF-SCORE-2, JF-CODE-3, JF-PRIV-2) -----------------------------

def test_jf_due_1_resident_sees_balance_history_provenance_and_pay_code(site: Site) -> None:
    page = site.login(site.resident)
    assert re.search(rf"/residents/{site.resident.code}$", page.url)
    moral = page.locator("#balances tr[data-kind=moral] .balance").inner_text()
    assert moral == "2.0"
    row = page.locator("#history tbody tr").first
    assert "志愿服务" in row.locator(".item").inner_text()
    assert row.locator(".approver").inner_text() == "审核员甲"
    assert "→" in row.locator(".notice").inner_text()
    assert "2024-03-01" in row.inner_text()
    qr = page.locator("#paycode svg[role=img]")
    assert qr.count() == 1 and qr.get_attribute("aria-label")
    assert page.locator("#score").count() == 1
    assert page.locator("#claims tbody tr").count() == 2
    _shot(page, "resident")


def test_jf_priv_2_resident_cannot_open_another_residents_page(site: Site) -> None:
    page = site.login(site.resident)
    response = page.goto(site.url(f"/residents/{site.neighbour.code}"))
    assert response.status == 403
    assert site.neighbour.name not in page.content()
    unknown = page.goto(site.url("/residents/no-such-code"))
    assert unknown.status == 403  # the same refusal: nothing leaks about who exists


# --- a claim from the resident's form to the points with provenance (JF-EARN-1..6, JF-DUE-1) ----

def test_jf_earn_1_jf_due_1_a_claim_walks_from_the_form_to_points_with_provenance(
        site: Site) -> None:
    page = site.login(site.resident)
    form = page.locator("#claim-form")
    form.locator("#claim-item").select_option("volunteer.hour")
    form.locator("#claim-date").fill("2024-03-10")
    form.locator("#claim-units").fill("1")
    form.locator("#claim-note").fill("社区垃圾分类宣传 签到表 No.42")
    _shot(page, "resident-claim-form")
    sent = {name: form.locator(f"input[name={name}]").get_attribute("value")
            for name in ("csrf", "key")}
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("p.message[role=status]").count() == 1
    again = page.request.post(site.url("/claims"), form={  # the same form sent twice
        **sent, "item": "volunteer.hour", "deed_date": "2024-03-10", "units": "1",
        "note": "社区垃圾分类宣传 签到表 No.42"})
    assert again.ok
    filed = [c for c in site.platform.claims.of_subject(site.city.id, site.resident.id)
             if str(c.deed_date) == "2024-03-10"]
    assert len(filed) == 1
    claim = filed[0]
    assert claim.state == "submitted" and claim.evidence == {"note": "社区垃圾分类宣传 签到表 No.42"}
    assert "待审核" in page.locator("#claims").inner_text()

    reviewer = site.login(site.city.reviewer)  # type: ignore[arg-type]
    row = reviewer.locator(f"#claim-{claim.id}")
    assert "张三丰" in row.inner_text() and "No.42" in row.inner_text()
    with reviewer.expect_navigation():
        row.locator("form[action$='/approve'] button").click()
    reviewer.locator("#publish-unit").select_option("community")
    with reviewer.expect_navigation():
        reviewer.locator("#publish-form button").click()
    assert reviewer.url.endswith("done=published")
    _shot(reviewer, "review-published")
    ends_on = site.platform.claims.get(site.city.id, claim.id).notice_ends_on
    assert ends_on is not None

    board = site.page()
    board.goto(site.url("/notices"))
    assert "张**" in board.locator("td.masked-name").all_inner_texts()
    assert site.resident.name not in board.content()

    after = f"{ends_on + timedelta(days=1)}T02:00:00+00:00"
    moved = board.request.post(f"{site.base}/test/clock", data={"now": after})
    assert moved.status == 200, moved.text()
    failures = run_once(site.platform, collect_jobs(site.platform.pm), [site.city.id])
    assert not any(failures.values()), failures
    assert board.goto(site.url("/notices")).status == 200
    assert board.locator("td.masked-name").count() == 0  # JF-DUE-7: ended, off the board

    page = site.login(site.resident)  # the old session expired with the clock
    assert site.platform.claims.get(site.city.id, claim.id).state == "final"
    assert page.locator("#balances tr[data-kind=moral] .balance").inner_text() == "8.0"
    row = page.locator("#history tbody tr", has_text="2024-03-10")
    assert row.count() == 1
    assert "志愿服务" in row.locator(".item").inner_text()
    assert row.locator(".approver").inner_text() == "审核员甲"
    assert "→" in row.locator(".notice").inner_text()
    assert "已入账" in page.locator("#claims").inner_text()
    _shot(page, "resident-final")


class LanePlugin:
    @hookimpl
    def register_scenarios(self, register: Any) -> None:
        register(ScenarioSpec(code="web-test-lane", name="银行绿色通道", provider="测试银行",
                              benefit="VIP lane", mode="threshold", rule_version="1",
                              eligibility={"min_score": "0"}))


def test_jf_scn_1_jf_priv_2_a_resident_grants_and_withdraws_consent_on_their_page(
        site: Site) -> None:
    scenarios = site.platform.scenarios
    with registered_plugin(site.platform.pm, LanePlugin(), name="web_test_lane"):
        page = site.login(site.resident)
        row = page.locator("#consents tr[data-scenario=web-test-lane]")
        assert row.locator(".consent-state").inner_text() == "未授权"
        with page.expect_navigation():
            row.locator("button").click()
        assert row.locator(".consent-state").inner_text() == "已授权"
        assert scenarios.has_consent(site.city.id, "web-test-lane", site.resident.id)
        _shot(page, "resident-consent")
        with page.expect_navigation():
            row.locator("button").click()
        assert row.locator(".consent-state").inner_text() == "未授权"
        assert not scenarios.has_consent(site.city.id, "web-test-lane", site.resident.id)

        other = site.login(site.neighbour)  # a valid form of their own, for someone else
        csrf = other.locator("#consents input[name=csrf]").first.get_attribute("value")
        forged = other.request.post(site.url(f"/residents/{site.resident.code}/consent"), form={
            "csrf": csrf, "scenario": "web-test-lane", "granted": "true"})
        assert forged.status == 403
        assert not scenarios.has_consent(site.city.id, "web-test-lane", site.resident.id)
        assert other.goto(site.url(f"/residents/{site.neighbour.code}")).status == 200
        assert site.resident.name not in other.content()

        # a guardian consents for their child on the child's page (JF-PRIV-4)
        city, platform = site.city, site.platform
        home = platform.create_subject(city.id, SubjectCreate(
            type="household", name="张家", org_unit_code="grid-1"))
        child = city.resident("张小丰")
        platform.link_household(city.id, home.id, site.resident.id, LinkRole.guardian)
        platform.link_household(city.id, home.id, child.id, LinkRole.child)
        page.goto(site.url(f"/residents/{child.code}"))
        with page.expect_navigation():
            page.locator("#consents tr[data-scenario=web-test-lane] button").click()
        assert scenarios.has_consent(city.id, "web-test-lane", child.id)
        assert page.locator("#claim-form").count() == 0  # claims are filed for oneself


def test_pages_need_a_login(site: Site) -> None:
    page = site.page()
    page.goto(site.url("/me"))
    assert "/login" in page.url and page.locator("#password").count() == 1
    assert page.goto(site.url("/review")).url.split("?")[0].endswith("/login")


# --- the reviewer queue (JF-EARN-2, JF-PRIV-1) --------------------------------------------------

def test_jf_earn_2_reviewer_approves_a_claim_from_the_queue(site: Site) -> None:
    page = site.login(site.city.reviewer)  # type: ignore[arg-type]
    assert page.url.endswith("/review")
    row = page.locator(f"#claim-{site.waiting}")
    assert "李四" in row.inner_text()
    _shot(page, "review")
    with page.expect_navigation():
        row.locator("form[action$='/approve'] button").click()
    assert page.locator("p.message[role=status]").count() == 1
    assert page.locator(f"#claim-{site.waiting}").count() == 0
    assert site.platform.claims.get(site.city.id, site.waiting).state == "approved"


def test_reviewer_rejects_with_a_reason_and_a_form_without_csrf_is_refused(site: Site) -> None:
    page = site.login(site.city.reviewer)  # type: ignore[arg-type]
    row = page.locator(f"#claim-{site.waiting}")
    row.locator("input[name=reason]").fill("照片与活动不符")
    with page.expect_navigation():
        row.locator("form[action$='/reject'] button").click()
    claim = site.platform.claims.get(site.city.id, site.waiting)
    assert claim.state == "rejected" and claim.reason == "照片与活动不符"
    forged = page.request.post(site.url(f"/review/{site.waiting}/approve"),
                               form={"csrf": "forged"})
    assert forged.status == 403


def test_jf_priv_1_a_resident_has_no_review_queue(site: Site) -> None:
    page = site.login(site.resident)
    assert page.goto(site.url("/review")).status == 403
    assert page.goto(site.url("/admin")).status == 403


# --- the admin dashboard (JF-STAT-1) ------------------------------------------------------------

def test_jf_stat_1_admin_dashboard_renders_the_chart(site: Site) -> None:
    page = site.login(site.admin)
    assert page.url.endswith("/admin")
    chart = page.locator("#points-chart svg[role=img]")
    assert chart.count() == 1
    assert chart.locator("rect").count() >= 1
    assert page.locator("#monthly tbody tr").first.inner_text().startswith("2024-03")
    assert page.locator("#totals tr.total").count() == 1
    _shot(page, "admin")


# --- languages and accessibility ----------------------------------------------------------------

def test_pages_render_in_chinese_and_english(site: Site) -> None:
    page = site.page(locale="en-US")
    page.goto(site.url("/notices"))  # Accept-Language: English
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Public notice of points"
    page.goto(site.url("/notices?lang=zh"))
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "积分公示"
    page.goto(site.url("/notices"))  # the choice is remembered in a cookie
    assert page.locator("h1").inner_text() == "积分公示"
    english = site.login(site.resident, locale="en-GB")
    assert english.locator("#balances-h").inner_text() == "Balances"
    english.goto(site.url("/me?lang=zh"))
    assert english.locator("#balances-h").inner_text() == "余额"


A11Y_CHECK = """() => {
  const problems = [];
  if (!document.documentElement.getAttribute('lang')) problems.push('html without lang');
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (el.type === 'hidden') continue;
    const labelled = (el.id && document.querySelector(`label[for="${el.id}"]`))
      || el.closest('label') || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!labelled) problems.push('unlabelled ' + el.outerHTML);
  }
  for (const img of document.querySelectorAll('img')) {
    if (!img.hasAttribute('alt')) problems.push('img without alt ' + img.outerHTML);
  }
  for (const svg of document.querySelectorAll('svg')) {
    if (svg.getAttribute('role') === 'img' && !svg.getAttribute('aria-label')
        && !svg.getAttribute('aria-labelledby')) problems.push('svg image without a name');
  }
  if (!document.querySelector('h1')) problems.push('no h1');
  return problems;
}"""


def test_accessibility_smoke(site: Site) -> None:
    pages = [(site.page(), "/notices"), (site.page(), "/login")]
    resident = site.login(site.resident)
    reviewer = site.login(site.city.reviewer)  # type: ignore[arg-type]
    admin = site.login(site.admin)
    pages += [(resident, "/me"), (reviewer, "/review"), (admin, "/admin")]
    for page, path in pages:
        for lang in ("zh", "en"):
            response = page.goto(site.url(f"{path}?lang={lang}"))
            assert response.status == 200, path
            assert page.evaluate(A11Y_CHECK) == [], (path, lang)
    # the forms work from the keyboard alone
    page = site.page()
    page.goto(site.url("/login"))
    page.focus("#subject")
    page.keyboard.type(site.resident.code)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/residents/{site.resident.code}")
