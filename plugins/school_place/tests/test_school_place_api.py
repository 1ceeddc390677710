"""The school-place endpoints against a real server on loopback, on SQLite and PostgreSQL
(JF-SCN-3, JF-SCN-5, JF-PRIV-4, JF-DUE-2, JF-DUE-4): a round opened by the bureau with its
seed's hash published, a guardian's separate consent and application for their child, the
seed published before the draw, the public list with masked names, an objection, the final
list, every decision replayed identically — and a resident never acts for a child not theirs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from jifen.model import Subject
from jifen.platform import Platform
from jifen.testing import ClaimsCity, TenantClient, tenant_api

from .conftest import CLOSES, OPENS, SLOT, clock, family, school_round

ROUND = school_round(places=1).model_dump(mode="json", by_alias=True)


@pytest.fixture
def api(platform: Platform, town: ClaimsCity) -> Iterator[TenantClient]:
    with tenant_api(platform, town) as client:
        yield client


@pytest.fixture
def officer(town: ClaimsCity) -> Subject:
    """The education bureau's officer: admin at the city."""
    who = town.resident("教育局干部", grid="grid-2")
    town.platform.grant_role(town.id, who.id, "admin", "city")
    return who


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_jf_scn_3_a_round_over_http_from_window_to_final_list(
        api: TenantClient, town: ClaimsCity, officer: Subject) -> None:
    wu, wu_child = family(town, "武小朵", 1200, guardian="武建国", consent=False)
    li, li_child = family(town, "李小明", 800, guardian="李四", consent=False)
    for guardian, child in ((wu, wu_child), (li, li_child)):
        given = ok(api.post("/scenarios/school-place-upgrade/consent", guardian,
                            {"subject": child.code}), 201)
        assert (given["subject"], given["given_by"]) == (child.code, guardian.code)

    opened = ok(api.post("/school-place/rounds", officer, ROUND), 201)
    rid = opened["id"]
    assert opened["seed"] is None and len(opened["seed_sha256"]) == 64
    clock(town.platform).set(OPENS + timedelta(hours=1))
    for guardian, child in ((wu, wu_child), (li, li_child)):
        applied = ok(api.post(f"/school-place/rounds/{rid}/applications", guardian,
                              {"child": child.code, "upgrade": SLOT}), 201)
        assert applied["child"] == child.code

    clock(town.platform).set(CLOSES + timedelta(hours=1))
    public = ok(api.get(f"/school-place/rounds/{rid}"))  # no token: the seed before the draw
    assert public["state"] == "open"
    assert hashlib.sha256(public["seed"].encode()).hexdigest() == opened["seed_sha256"]
    assert ok(api.post(f"/school-place/rounds/{rid}/draw", officer))["state"] == "drawn"
    ok(api.post(f"/school-place/rounds/{rid}/publish", officer))
    listed = ok(api.get(f"/school-place/rounds/{rid}/list"))
    assert [(e["rank"], e["name"], e["selected"]) for e in listed["entries"]] == [
        (1, "武**", True), (2, "李**", False)]
    assert wu_child.code not in str(listed) and "武小朵" not in str(listed)

    objection = ok(api.post(f"/school-place/rounds/{rid}/objections", li,
                            {"upgrade": SLOT, "rank": 1, "grounds": "积分来源存疑"}), 201)
    assert objection["state"] == "open"
    decided = ok(api.post(f"/school-place/objections/{objection['id']}/decision",
                          town.reviewer, {"upheld": False, "reason": "积分经核实无误"}))
    assert decided["state"] == "dismissed"
    clock(town.platform).set(CLOSES + timedelta(days=10))
    final = ok(api.post(f"/school-place/rounds/{rid}/close", officer))
    assert final["final"] is True and [e["name"] for e in final["entries"]] == ["武**"]
    assert ok(api.get(f"/school-place/rounds/{rid}/list"))["final"] is True

    replays = ok(api.get(f"/school-place/rounds/{rid}/replay", api.token("audit", "auditor")))
    assert {r["kind"] for r in replays} == {"round_draw", "round_entry"}
    assert all(r["identical"] for r in replays), replays


def test_jf_priv_4_only_the_childs_guardian_consents_and_applies(
        api: TenantClient, town: ClaimsCity, officer: Subject) -> None:
    wu, child = family(town, "武小朵", 1200, guardian="武建国", consent=False)
    neighbour = town.resident("周九")
    consent = "/scenarios/school-place-upgrade/consent"
    refused = api.post(consent, child, {})
    assert refused.json()["code"] == "scenario.guardian_consent_required"
    for code in (child.code, "NO-SUCH-CHILD"):  # someone's child, or nobody: alike
        refused = api.post(consent, neighbour, {"subject": code})
        assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")

    rid = ok(api.post("/school-place/rounds", officer, ROUND), 201)["id"]
    clock(town.platform).set(OPENS + timedelta(hours=1))
    apply = f"/school-place/rounds/{rid}/applications"
    refused = api.post(apply, wu, {"child": child.code, "upgrade": SLOT})
    assert (refused.status_code, refused.json()["code"]) == (403, "scenario.no_consent")
    ok(api.post(consent, wu, {"subject": child.code}), 201)
    for code in (child.code, "NO-SUCH-CHILD"):
        refused = api.post(apply, neighbour, {"child": code, "upgrade": SLOT})
        assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")
    refused = api.post(apply, wu, {"child": wu.code, "upgrade": SLOT})
    assert refused.json()["code"] == "school_place.guardian_applies"
    ok(api.post(apply, wu, {"child": child.code, "upgrade": SLOT}), 201)
    again = api.post(apply, wu, {"child": child.code, "upgrade": SLOT})
    assert again.json()["code"] == "scenario.duplicate_application"
    listed = {c["scenario"]: c for c in ok(api.get(
        f"/scenarios/consents?subject={child.code}", wu))}
    assert listed["school-place-upgrade"]["given_by"] == wu.code


def test_jf_priv_1_residents_do_not_run_rounds_nor_replay_them(
        api: TenantClient, town: ClaimsCity, officer: Subject) -> None:
    resident = town.resident("周九")
    refused = api.post("/school-place/rounds", resident, ROUND)
    assert (refused.status_code, refused.json()["code"]) == (403, "access.forbidden")
    rid = ok(api.post("/school-place/rounds", officer, ROUND), 201)["id"]
    for path in ("draw", "publish", "close"):
        assert api.post(f"/school-place/rounds/{rid}/{path}", resident).status_code == 403
    assert api.get(f"/school-place/rounds/{rid}/replay", resident).status_code == 403
    not_yet = api.get(f"/school-place/rounds/{rid}/list")
    assert (not_yet.status_code, not_yet.json()["code"]) == (409, "scenario.round_state")
    bad = api.post("/school-place/rounds", officer, {**ROUND, "upgrades": []})
    assert (bad.status_code, bad.json()["code"]) == (422, "input.invalid")
