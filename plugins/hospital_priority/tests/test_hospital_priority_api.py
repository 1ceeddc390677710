"""The hospital-priority endpoints against a real server on loopback, on SQLite and PostgreSQL
(JF-SCN-4, JF-CODE-2, JF-PRIV-2, JF-PRIV-4): a daily quota per department, at most K a month
per resident, the booking's code shows the hospital the department and the day only, and a
resident acts for themselves or their household's child, nobody else."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from jifen.model import LinkRole, Subject, SubjectCreate
from jifen.platform import Platform
from jifen.testing import ClaimsCity, TenantClient, make_claims_city, make_config, tenant_api

from .conftest import MONDAY, clock, make_resident

HEART = "市中心医院:心内科"


@pytest.fixture
def small(platform: Platform) -> ClaimsCity:
    """One priority slot a day at 心内科 and K = 1; a child uses its guardian's score."""
    clock(platform).set(MONDAY)
    config = make_config(f"t-{uuid.uuid4().hex[:12]}", scenarios={"hospital-priority": {
        "options": {"daily_quota": {HEART: 1}, "max_uses_per_month": 1}}},
        settings={"child_score": "best_of_guardians"})
    return make_claims_city(platform, config)


@pytest.fixture
def api(platform: Platform, small: ClaimsCity) -> Iterator[TenantClient]:
    with tenant_api(platform, small) as client:
        yield client


def book(api: TenantClient, who: Subject, day: str = "2024-07-03", **extra: Any) -> httpx.Response:
    return api.post("/hospital/bookings", who, {"department": HEART, "day": day, **extra})


def test_jf_scn_4_daily_quota_and_k_a_month_over_http(api: TenantClient, small: ClaimsCity) -> None:
    first, second = make_resident(small, "武建国"), make_resident(small, "李四")
    assert api.get("/hospital/departments", first).json() == {
        "departments": {HEART: 1}, "max_uses_per_month": 1}
    booked = book(api, first)
    assert booked.status_code == 201, booked.text
    assert booked.json()["subject"] == first.code and booked.json()["state"] == "booked"
    full = book(api, second)
    assert (full.status_code, full.json()["code"]) == (409, "scenario.quota_full")
    limit = book(api, first, day="2024-07-04")
    assert (limit.status_code, limit.json()["code"]) == (409, "scenario.monthly_limit")
    assert book(api, first, day="2024-08-01").status_code == 201  # a new month

    cancelled = api.post(f"/hospital/bookings/{booked.json()['id']}/cancel", first,
                         {"reason": "家里有事"})
    assert cancelled.json()["state"] == "cancelled"
    assert book(api, second).status_code == 201  # the freed slot
    assert [b["day"] for b in api.get("/hospital/bookings", first).json()] == [
        "2024-07-03", "2024-08-01"]


def test_jf_scn_4_a_retry_with_the_same_key_is_the_same_booking(
        api: TenantClient, small: ClaimsCity) -> None:
    who = make_resident(small, "王五")
    body = {"department": HEART, "day": "2024-07-03"}
    once = api.post("/hospital/bookings", who, body, key="k-1")
    again = api.post("/hospital/bookings", who, body, key="k-1")
    assert once.status_code == again.status_code == 201
    assert once.json()["id"] == again.json()["id"]


def test_jf_code_2_the_hospital_learns_the_department_and_the_day(
        api: TenantClient, small: ClaimsCity) -> None:
    who = make_resident(small, "赵六")
    booking = book(api, who).json()
    fresh = api.post(f"/hospital/bookings/{booking['id']}/code", who)
    assert fresh.status_code == 201
    desk = api.token("hospital-desk", "provider")
    for token in (booking["token"], fresh.json()["token"]):
        shown = api.post("/hospital/verify", desk, {"token": token, "hospital": "市中心医院"})
        assert shown.status_code == 200, shown.text
        assert set(shown.json()) == {"benefit", "department", "valid_until", "expires_at",
                                     "text"}
        assert shown.json()["department"] == HEART
        assert shown.json()["valid_until"] == "2024-07-03"
        assert who.name not in shown.text and who.code not in shown.text
    other = api.post("/hospital/verify", desk, {"token": booking["token"], "hospital": "妇幼医院"})
    assert (other.status_code, other.json()["code"]) == (422, "hospital.other_hospital")
    mine = api.post("/hospital/verify", who, {"token": booking["token"]})
    assert (mine.status_code, mine.json()["code"]) == (403, "access.forbidden")


def test_jf_priv_2_no_one_touches_anothers_booking_and_refusals_leak_nothing(
        api: TenantClient, small: ClaimsCity) -> None:
    owner, other = make_resident(small, "钱七"), make_resident(small, "孙八")
    booking = book(api, owner, day="2024-07-05").json()
    for booking_id in (booking["id"], str(uuid.uuid4())):  # someone's, or none: alike
        for action in ("cancel", "code"):
            refused = api.post(f"/hospital/bookings/{booking_id}/{action}", other)
            assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")
            assert HEART not in refused.text
    refused = book(api, other, subject=owner.code)
    assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")
    refused = api.get(f"/hospital/bookings?subject={owner.code}", other)
    assert refused.status_code == 403


def test_jf_priv_4_a_guardian_consents_and_books_for_their_child(
        api: TenantClient, small: ClaimsCity) -> None:
    p = small.platform
    guardian, neighbour = make_resident(small, "武建国"), make_resident(small, "周九")
    home = p.create_subject(small.id, SubjectCreate(type="household", name="武家",
                                                    org_unit_code="grid-1"))
    child = small.resident("武小朵")
    p.link_household(small.id, home.id, guardian.id, LinkRole.guardian)
    p.link_household(small.id, home.id, child.id, LinkRole.child)
    consent = "/scenarios/hospital-priority/consent"
    refused = api.post(consent, child)
    assert (refused.status_code, refused.json()["code"]) == (
        403, "scenario.guardian_consent_required")
    assert api.post(consent, neighbour, {"subject": child.code}).status_code == 403
    granted = api.post(consent, guardian, {"subject": child.code})
    assert granted.status_code == 201, granted.text
    assert (granted.json()["subject"], granted.json()["given_by"]) == (child.code, guardian.code)

    refused = book(api, neighbour, subject=child.code)
    assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")
    booked = book(api, guardian, subject=child.code)
    assert booked.status_code == 201, booked.text
    assert booked.json()["subject"] == child.code
