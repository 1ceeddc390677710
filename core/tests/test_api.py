"""The HTTP interface against a real uvicorn server on loopback, on SQLite and PostgreSQL
(JF-API-1..3, JF-PRIV-1/2, JF-DUE-1..4, JF-EARN-*)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from fastapi import APIRouter

from jifen import hookimpl
from jifen.api import ApiSettings, create_app
from jifen.api.auth import Role, issue_token, set_password
from jifen.api.deps import TenantAuth
from jifen.jobs import collect_jobs, run_once
from jifen.model import Subject
from jifen.platform import Platform
from jifen.scenarios import ScenarioSpec
from jifen.testing import ClaimsCity, make_claims_city, running_server

PROBLEM = "application/problem+json"
NOW = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Asia/Shanghai


@dataclass
class Api:
    """A running server over a claims city, with token and request helpers."""

    platform: Platform
    city: ClaimsCity
    http: httpx.Client

    @property
    def tenant(self) -> str:
        return self.city.tenant.code

    def token(self, who: Subject | str, *roles: str, ttl: int = 3600) -> str:
        sub = who if isinstance(who, str) else who.code
        return issue_token(self.platform, self.tenant, sub, [Role.parse(r) for r in roles],
                           ttl=ttl)[0]

    def get(self, path: str, token: str | None = None, **params: Any) -> httpx.Response:
        return self.http.get(self.url(path), headers=_auth(token), params=params)

    def post(self, path: str, body: dict[str, Any], token: str | None = None,
             key: str | None = "auto") -> httpx.Response:
        headers = _auth(token)
        if key is not None:
            headers["Idempotency-Key"] = uuid.uuid4().hex if key == "auto" else key
        return self.http.post(self.url(path), json=body, headers=headers)

    def url(self, path: str) -> str:
        return path if path.startswith("/test") or path.startswith("/v1/auth") \
            else f"/v1/tenants/{self.tenant}{path}"


def _auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _serve(platform: Platform, settings: ApiSettings) -> Iterator[Api]:
    platform.clock.set(NOW)  # type: ignore[attr-defined]
    city = make_claims_city(platform)
    with running_server(create_app(platform, settings)) as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        yield Api(platform, city, http)


@pytest.fixture
def api(platform: Platform) -> Iterator[Api]:
    yield from _serve(platform, ApiSettings(test_mode=True))


def claim_body(**extra: Any) -> dict[str, Any]:
    return {"item": "volunteer.hour", "deed_date": "2024-03-01", "units": 2,
            "evidence": {"photo": uuid.uuid4().hex}, **extra}


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status
    assert body["type"] == f"https://jifen.dev/errors/{code}"
    assert body["title"] and body["detail"]
    return body


# --- the claim workflow end to end (JF-EARN-*, JF-DUE-1..4, JF-API-2) ---------------------------

def test_jf_earn_1_jf_due_1_claim_workflow_over_http(api: Api) -> None:
    resident = api.city.resident("张三")
    me = api.token(resident, "resident")
    reviewer = api.token(api.city.reviewer, "reviewer@community")  # type: ignore[arg-type]

    submitted = api.post("/claims", claim_body(), me)
    assert submitted.status_code == 201, submitted.text
    claim = submitted.json()["claim"]
    assert claim["state"] == "submitted"
    approved = api.post(f"/claims/{claim['id']}/approve", {}, reviewer)
    assert approved.json()["claim"]["state"] == "approved"
    batch = api.post("/notices", {"org_unit": "community"}, reviewer).json()["batch"]
    assert batch["entries"] == 1

    public = api.get(f"/notices/{batch['id']}/public")  # JF-DUE-4: no token, masked names
    assert public.status_code == 200
    assert [e["name"] for e in public.json()["entries"]] == ["张*"]
    assert resident.code not in public.text and str(resident.id) not in public.text

    ends = date.fromisoformat(batch["ends_on"]) + timedelta(days=1)
    moved = api.post("/test/clock", {"now": f"{ends}T02:00:00+00:00"}, key=None)
    assert moved.status_code == 200
    assert_problem(api.get(f"/notices/{batch['id']}/public"), 409, "notice.ended")  # JF-DUE-7
    run_once(api.platform, collect_jobs(api.platform.pm), [api.city.id])
    assert_problem(api.get("/subjects/me", me), 401, "auth.token_expired")  # days later
    me = api.token(resident, "resident")

    assert api.get(f"/claims/{claim['id']}", me).json()["state"] == "final"
    balances = {b["kind"]: b["amount"] for b in api.get("/subjects/me/balances", me).json()["balances"]}
    assert balances["moral"] == "2.0"
    history = api.get("/subjects/me/history", me, kind="moral").json()
    assert len(history) == 1
    provenance = history[0]["provenance"]  # JF-DUE-1: item, evidence, approver, notice
    assert provenance["item"] == "volunteer.hour"
    assert provenance["approver"] == str(api.city.reviewer_id)
    assert provenance["notice"] == batch["id"] and provenance["evidence"]
    score = api.get("/subjects/me/score", me).json()
    assert score["value"] == "2.0" or float(score["value"]) == 2.0


def test_jf_due_2_jf_due_3_objection_and_appeal_over_http(api: Api) -> None:
    resident, neighbour = api.city.resident("李四"), api.city.resident("王五")
    me, other = api.token(resident, "resident"), api.token(neighbour, "resident")
    community = api.token(api.city.reviewer, "reviewer@community")  # type: ignore[arg-type]
    street = api.token(api.city.street_reviewer, "reviewer@street")  # type: ignore[arg-type]

    first = api.post("/claims", claim_body(), me).json()["claim"]
    api.post(f"/claims/{first['id']}/approve", {}, community)
    api.post("/notices", {"org_unit": "community"}, community)
    objection = api.post(f"/claims/{first['id']}/objections", {"grounds": "没有参加"}, other)
    assert objection.status_code == 201, objection.text
    assert_problem(api.post(f"/objections/{objection.json()['id']}/decision",
                            {"upheld": False, "reason": "签到表为证"}, community),
                   403, "claim.self_review")
    dismissed = api.post(f"/objections/{objection.json()['id']}/decision",
                         {"upheld": False, "reason": "签到表为证"}, street)
    assert dismissed.json()["state"] == "dismissed"
    assert api.get(f"/claims/{first['id']}", me).json()["state"] == "in_notice"

    filed = api.post("/claims", claim_body(item="good.deed", units=None, amount="5"), me)
    assert filed.status_code == 201, filed.text
    second = filed.json()["claim"]
    rejected = api.post(f"/claims/{second['id']}/reject", {"reason": "证据不足"}, community)
    assert rejected.json()["state"] == "rejected"
    appeal = api.post(f"/claims/{second['id']}/appeals", {"grounds": "有照片"}, me)
    assert appeal.status_code == 201, appeal.text
    decided = api.post(f"/appeals/{appeal.json()['id']}/decision",
                       {"upheld": True, "reason": "照片可信"}, street)
    assert decided.json()["state"] == "upheld"
    assert api.get(f"/claims/{second['id']}", me).json()["state"] == "submitted"


# --- errors: problem documents, stable codes, no partial effect (JF-API-3) ----------------------

def test_jf_api_3_bad_input_is_a_problem_document_with_no_effect(api: Api) -> None:
    me = api.token(api.city.resident(), "resident")
    body = assert_problem(api.post("/claims", claim_body(units=0), me), 422, "input.invalid")
    assert body["details"]["errors"][0]["loc"][-1] == "units"
    assert_problem(api.post("/claims", claim_body(item="no.such.item"), me), 422,
                   "claim.not_in_catalogue")
    assert_problem(api.post("/claims", claim_body(evidence={}), me), 422,
                   "claim.invalid_evidence")
    assert_problem(api.post("/claims", {"item": "volunteer.hour"}, me), 422, "input.invalid")
    assert api.get("/claims", me).json() == []  # nothing written
    assert_problem(api.get("/claims/" + str(uuid.uuid4()), me), 404, "not_found")
    assert_problem(api.http.get("/v1/nowhere"), 404, "not_found")


def test_jf_api_3_writes_need_an_idempotency_key(api: Api) -> None:
    me = api.token(api.city.resident(), "resident")
    assert_problem(api.post("/claims", claim_body(), me, key=None), 428,
                   "request.idempotency_key_required")
    assert api.get("/claims", me).json() == []


def test_jf_api_3_idempotent_replay_and_conflict(api: Api) -> None:
    me = api.token(api.city.resident(), "resident")
    body = claim_body()
    first = api.post("/claims", body, me, key="k-1")
    again = api.post("/claims", body, me, key="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(api.get("/claims", me).json()) == 1
    assert_problem(api.post("/claims", claim_body(), me, key="k-1"), 409,
                   "request.idempotency_conflict")
    assert len(api.get("/claims", me).json()) == 1
    other = api.token(api.city.resident("赵六"), "resident")  # keys are per principal
    assert api.post("/claims", claim_body(), other, key="k-1").status_code == 201


# --- roles (JF-PRIV-1, JF-PRIV-2) ---------------------------------------------------------------

def test_jf_priv_2_a_resident_sees_only_their_own_and_household(api: Api) -> None:
    alice, bob = api.city.resident("爱丽丝"), api.city.resident("鲍勃")
    me = api.token(alice, "resident")
    for path in (f"/subjects/{bob.code}/balances", f"/subjects/{bob.code}",
                 f"/subjects/{bob.code}/score", "/subjects/NO-SUCH-CODE/balances"):
        body = assert_problem(api.get(path, me), 403, "access.forbidden")
        assert bob.name not in str(body)
    assert_problem(api.get("/claims", me, subject=bob.code), 403, "access.forbidden")
    household = api.platform.create_subject(api.city.id, _household_request())
    from jifen.model import LinkRole
    api.platform.link_household(api.city.id, household.id, alice.id, LinkRole.member)
    api.platform.link_household(api.city.id, household.id, bob.id, LinkRole.member)
    assert api.get(f"/subjects/{bob.code}/balances", me).status_code == 200
    assert api.get(f"/subjects/{household.code}/balances", me).status_code == 200
    assert_problem(api.get("/pools", me), 403, "access.forbidden")
    assert_problem(api.get("/audit", me), 403, "access.forbidden")


def test_jf_priv_3_a_resident_exports_all_of_their_data(api: Api) -> None:
    from pydantic import SecretStr

    from jifen.model import SubjectCreate
    alice = api.platform.create_subject(api.city.id, SubjectCreate(
        type="resident", name="爱丽丝", org_unit_code="grid-1",
        national_id=SecretStr("150602199001010011"), phone=SecretStr("13800000000")))
    bob = api.city.resident("鲍勃")
    me = api.token(alice, "resident")
    assert api.post("/claims", claim_body(), me).status_code == 201
    exported = api.get("/subjects/me/export", me)
    assert exported.status_code == 200, exported.text
    data = exported.json()
    assert data["subject"]["code"] == alice.code
    assert data["identity"] == {"national_id": "150602199001010011", "phone": "13800000000"}
    assert [c["item_code"] for c in data["claims"]] == ["volunteer.hour"]
    assert {"accounts", "postings", "consents", "audit", "appeals"} <= set(data)
    # with a household in common, bob may see alice's balances, never export her data
    household = api.platform.create_subject(api.city.id, _household_request())
    from jifen.model import LinkRole
    for who in (alice, bob):
        api.platform.link_household(api.city.id, household.id, who.id, LinkRole.member)
    body = assert_problem(api.get(f"/subjects/{alice.code}/export", api.token(bob, "resident")),
                          403, "access.forbidden")
    assert "150602199001010011" not in str(body)


def _household_request() -> Any:
    from jifen.model import SubjectCreate
    return SubjectCreate(type="household", name="一户", org_unit_code="grid-1")


def test_jf_priv_1_a_reviewer_outside_their_scope_is_refused(api: Api) -> None:
    outsider = api.city.resident("审核员丙", grid="grid-2")
    api.platform.grant_role(api.city.id, outsider.id, "reviewer", "grid-2")
    me = api.token(api.city.resident("孙七", grid="grid-1"), "resident")
    claim = api.post("/claims", claim_body(), me).json()["claim"]
    token = api.token(outsider, "reviewer@grid-2")
    assert_problem(api.post(f"/claims/{claim['id']}/approve", {}, token), 403, "access.forbidden")
    assert_problem(api.get(f"/claims/{claim['id']}", token), 403, "access.forbidden")
    resident_token = api.token(api.city.resident("周八"), "resident")
    assert_problem(api.post(f"/claims/{claim['id']}/approve", {}, resident_token), 403,
                   "access.forbidden")
    assert api.get(f"/claims/{claim['id']}", me).json()["state"] == "submitted"


class LanePlugin:
    @hookimpl
    def register_scenarios(self, register: Callable[[ScenarioSpec], None]) -> None:
        register(ScenarioSpec(code="api-test-lane", name="测试通道", provider="测试银行",
                              benefit="test lane", mode="threshold", rule_version="1",
                              eligibility={"min_score": "0"}))


def test_jf_priv_2_a_provider_learns_only_consented_eligibility(platform: Platform) -> None:
    from jifen.testing import registered_plugin

    with registered_plugin(platform.pm, LanePlugin(), name="api_test_lane"):
        for api in _serve(platform, ApiSettings()):
            resident = api.city.resident("吴九")
            provider = api.token("bank:teller", "provider")
            path = f"/scenarios/api-test-lane/eligibility/{resident.code}"
            refused = assert_problem(api.get(path, provider), 403, "scenario.no_consent")
            assert refused["details"] == {}
            assert_problem(api.get("/scenarios/api-test-lane/eligibility/NOBODY", provider),
                           403, "scenario.no_consent")
            assert_problem(api.get(f"/subjects/{resident.code}/balances", provider), 403,
                           "access.forbidden")
            api.platform.scenarios.grant_consent(api.city.id, "api-test-lane", resident.id,
                                                 given_by=resident.id)
            answer = api.get(path, provider).json()
            assert set(answer) == {"scenario", "eligible", "valid_until"}
            assert answer["eligible"] is True
            assert_problem(api.get(path, api.token(api.city.resident("郑十"), "resident")),
                           403, "access.forbidden")


# --- tokens and login (JF-PRIV-1) ---------------------------------------------------------------

def test_jf_priv_1_forged_expired_and_cross_tenant_tokens(api: Api, platform: Platform) -> None:
    resident = api.city.resident()
    assert_problem(api.get("/subjects/me"), 401, "auth.unauthenticated")
    forged = jwt.encode({"iss": "jifen", "tenant": api.tenant, "sub": resident.code,
                         "roles": ["operator"], "iat": 0, "exp": 2**40}, b"x" * 32,
                        algorithm="HS256")
    response = api.get("/subjects/me", forged)
    assert_problem(response, 401, "auth.unauthenticated")
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert_problem(api.get("/subjects/me", "not-a-jwt"), 401, "auth.unauthenticated")
    short = api.token(resident, "resident", ttl=60)
    assert api.get("/subjects/me", short).json()["code"] == resident.code
    api.post("/test/clock", {"now": (NOW + timedelta(minutes=2)).isoformat()}, key=None)
    assert_problem(api.get("/subjects/me", short), 401, "auth.token_expired")

    other = make_claims_city(platform)
    outsider = other.resident("钱一")
    token = issue_token(platform, other.tenant.code, outsider.code, [Role("resident")])[0]
    assert_problem(api.get("/subjects/me", token), 403, "auth.cross_tenant")
    assert_problem(api.post("/claims", claim_body(), token), 403, "auth.cross_tenant")


def test_jf_priv_1_login_and_its_rate_limit(api: Api) -> None:
    resident = api.city.resident("冯二")
    set_password(api.platform, api.city.id, resident.id, "correct horse")
    login = {"tenant": api.tenant, "subject": resident.code, "password": "correct horse"}
    ok = api.post("/v1/auth/login", login, key=None)
    assert ok.status_code == 200, ok.text
    assert ok.json()["roles"] == ["resident"]
    assert api.get("/subjects/me", ok.json()["access_token"]).json()["id"] == str(resident.id)
    for _ in range(5):
        assert_problem(api.post("/v1/auth/login", {**login, "password": "wrong"}, key=None),
                       401, "auth.bad_credentials")
    assert_problem(api.post("/v1/auth/login", login, key=None), 429, "auth.rate_limited")
    api.post("/test/clock", {"now": (NOW + timedelta(minutes=16)).isoformat()}, key=None)
    assert api.post("/v1/auth/login", login, key=None).status_code == 200


def test_jf_priv_1_reviewer_login_carries_granted_scope(api: Api) -> None:
    reviewer = api.city.reviewer
    assert reviewer is not None
    set_password(api.platform, api.city.id, reviewer.id, "reviewer-pass")
    body = {"tenant": api.tenant, "subject": reviewer.code, "password": "reviewer-pass"}
    assert api.post("/v1/auth/login", body, key=None).json()["roles"] == [
        "resident", "reviewer@community"]


# --- test mode (JF-API-2) -----------------------------------------------------------------------

def test_jf_api_2_test_clock_refused_when_not_in_test_mode(platform: Platform) -> None:
    for api in _serve(platform, ApiSettings()):
        assert_problem(api.post("/test/clock", {"now": "2030-01-01T00:00:00+00:00"}, key=None),
                       404, "test_mode.disabled")
        assert api.platform.clock.now() == NOW


def test_jf_api_2_test_clock_moves_the_platform(api: Api) -> None:
    moved = api.post("/test/clock", {"now": "2024-05-01T00:00:00+00:00"}, key=None)
    assert moved.json()["now"].startswith("2024-05-01T00:00:00")
    assert api.platform.clock.now() == datetime(2024, 5, 1, tzinfo=UTC)
    assert_problem(api.post("/test/clock", {"now": "2024-05-01T00:00:00"}, key=None), 422,
                   "input.invalid")


# --- plugins' routers and jobs ------------------------------------------------------------------

class HelloPlugin:
    @hookimpl
    def register_routers(self, register: Callable[[APIRouter, str], None]) -> None:
        router = APIRouter(tags=["hello"])

        @router.get("")
        def hello(ctx: TenantAuth) -> dict[str, str]:
            return {"hello": ctx.principal.sub}

        @router.post("")
        def echo(body: dict[str, str], ctx: TenantAuth) -> dict[str, str]:
            return body

        register(router, "/v1/tenants/{tenant}/hello")


def test_a_plugin_mounts_its_router_through_the_hook(platform: Platform) -> None:
    from jifen.testing import registered_plugin

    with registered_plugin(platform.pm, HelloPlugin(), name="api_test_hello"):
        for api in _serve(platform, ApiSettings()):
            me = api.token(api.city.resident(), "resident")
            assert api.get("/hello", me).json() == {"hello": api.city.residents[0].code}
            assert_problem(api.get("/hello"), 401, "auth.unauthenticated")
            assert_problem(api.post("/hello", {"a": "b"}, me, key=None), 428,
                           "request.idempotency_key_required")
            assert api.post("/hello", {"a": "b"}, me).json() == {"a": "b"}
            assert "/v1/tenants/{tenant}/hello" in api.http.get("/openapi.json").json()["paths"]


class TickPlugin:
    def __init__(self) -> None:
        self.seen: list[uuid.UUID] = []

    @hookimpl
    def register_jobs(self, register: Callable[[str, float, Any], None]) -> None:
        register("api-test.tick", 0.05, lambda platform, tenant_id: self.seen.append(tenant_id))


def test_the_scheduler_runs_registered_jobs(platform: Platform) -> None:
    from jifen.testing import registered_plugin

    tick = TickPlugin()
    core_jobs = platform.pm.unregister(name="jifen.builtins.core_jobs")  # other tests' tenants
    with registered_plugin(platform.pm, tick, name="api_test_tick"):
        names = [job.name for job in collect_jobs(platform.pm)]
        assert "api-test.tick" in names and "notices.close" not in names
        for api in _serve(platform, ApiSettings(scheduler=True, scheduler_tick=0.02)):
            deadline = datetime.now(UTC) + timedelta(seconds=10)
            while tick.seen.count(api.city.id) < 2 and datetime.now(UTC) < deadline:
                api.http.get("/openapi.json")
            assert tick.seen.count(api.city.id) >= 2
    platform.pm.register(core_jobs, name="jifen.builtins.core_jobs")


def test_the_core_registers_its_jobs_through_the_hook(platform: Platform) -> None:
    assert [job.name for job in collect_jobs(platform.pm)][:2] == ["notices.close",
                                                                  "ledger.expire"]


# --- households, claim history and the audit log (JF-SUB-2, JF-EARN-2, JF-DUE-5) ---------------

def test_jf_sub_2_household_links_are_created_by_staff_and_read_by_the_household(api: Api) -> None:
    operator = api.token("counter-1", "operator")
    created = api.post("/subjects", {"type": "household", "name": "张家",
                                     "org_unit_code": "grid-1"}, operator)
    assert created.status_code == 201, created.text
    home = created.json()["code"]
    mother, son = api.city.resident("张母"), api.city.resident("张小")
    outsider = api.city.resident("路人")
    for who, role in ((mother, "guardian"), (son, "child")):
        linked = api.post(f"/subjects/{home}/household-links",
                          {"member": who.code, "role": role}, operator)
        assert linked.status_code == 201, linked.text
        assert linked.json() == {"household": home, "member": who.code,
                                 "member_name": who.name, "role": role}
    assert_problem(api.post(f"/subjects/{home}/household-links",
                            {"member": son.code, "role": "member"}, operator), 409, "conflict")
    assert_problem(api.post(f"/subjects/{home}/household-links",
                            {"member": son.code, "role": "cousin"}, operator), 422,
                   "input.invalid")
    assert_problem(api.post(f"/subjects/{son.code}/household-links",
                            {"member": mother.code, "role": "member"}, operator), 422,
                   "input.invalid")  # a link joins a resident to a household
    expected = [("guardian", mother.code), ("child", son.code)]
    mine = api.token(mother, "resident")
    seen = api.get(f"/subjects/{home}/household-links", mine).json()
    assert sorted((x["role"], x["member"]) for x in seen) == sorted(expected)
    assert [x["household"] for x in api.get("/subjects/me/household-links", mine).json()] == [home]
    theirs = api.token(outsider, "resident")
    for path in (f"/subjects/{home}/household-links", f"/subjects/{son.code}/household-links"):
        body = assert_problem(api.get(path, theirs), 403, "access.forbidden")
        assert son.name not in str(body) and mother.code not in str(body)
    assert_problem(api.post(f"/subjects/{home}/household-links",
                            {"member": outsider.code, "role": "member"}, mine), 403,
                   "access.forbidden")
    admin = api.city.resident("网格二管理员", grid="grid-2")
    grid2 = api.token(admin, "admin@grid-2")  # an admin links only subjects under their unit
    assert_problem(api.post(f"/subjects/{home}/household-links",
                            {"member": outsider.code, "role": "member"}, grid2), 403,
                   "access.forbidden")
    assert len(api.get(f"/subjects/{home}/household-links", operator).json()) == 2


def test_jf_earn_2_a_claims_history_names_who_did_what_when_and_why(api: Api) -> None:
    resident, neighbour = api.city.resident("陈一"), api.city.resident("陈二")
    me, other = api.token(resident, "resident"), api.token(neighbour, "resident")
    community = api.token(api.city.reviewer, "reviewer@community")  # type: ignore[arg-type]
    claim = api.post("/claims", claim_body(), me).json()["claim"]
    api.post(f"/claims/{claim['id']}/approve", {}, community)
    api.post("/notices", {"org_unit": "community"}, community)
    api.post(f"/claims/{claim['id']}/objections", {"grounds": "那天下雨没活动"}, other)

    history = api.get(f"/claims/{claim['id']}/history", me)
    assert history.status_code == 200, history.text
    steps = [(e["action"], e["actor"]) for e in history.json()]
    assert steps == [("claim.submitted", "陈一"), ("claim.approved", "审核员甲"),
                     ("claim.in_notice", "审核员甲"), ("objection.raised", "objector")]
    assert history.json()[-1]["reason"] == "那天下雨没活动"
    assert "陈二" not in history.text  # the claimant does not learn who objected
    as_reviewer = api.get(f"/claims/{claim['id']}/history", community).json()
    assert as_reviewer[-1]["actor"] == "陈二"
    stranger = api.token(api.city.resident("外人"), "resident")
    assert_problem(api.get(f"/claims/{claim['id']}/history", stranger), 403, "access.forbidden")
    assert_problem(api.get(f"/claims/{uuid.uuid4()}/history", me), 404, "not_found")


def test_jf_due_5_the_audit_log_is_for_auditors(api: Api) -> None:
    resident = api.city.resident("林一")
    me = api.token(resident, "resident")
    community = api.token(api.city.reviewer, "reviewer@community")  # type: ignore[arg-type]
    claims = [api.post("/claims", claim_body(deed_date=f"2024-03-0{d}"), me).json()["claim"]
              for d in (1, 2)]
    api.post(f"/claims/{claims[0]['id']}/reject", {"reason": "重复申报"}, community)
    auditor = api.token("audit-office", "auditor")
    log = api.get("/audit-log", auditor)
    assert log.status_code == 200, log.text
    actions = [e["action"] for e in log.json()]
    assert actions.count("claim.submitted") == 2 and "claim.rejected" in actions
    one = api.get("/audit-log", auditor, entity_id=claims[0]["id"]).json()
    assert [e["action"] for e in one] == ["claim.submitted", "claim.rejected"]
    assert one[1]["reason"] == "重复申报" and one[1]["actor_id"] == str(api.city.reviewer_id)
    rejected = api.get("/audit-log", auditor, action="claim.rejected").json()
    assert [e["entity_id"] for e in rejected] == [claims[0]["id"]]
    page = api.get("/audit-log", auditor, limit=1).json()
    rest = api.get("/audit-log", auditor, after=page[0]["id"]).json()
    assert page + rest == log.json()
    assert_problem(api.get("/audit-log", auditor, limit=0), 422, "input.invalid")
    for token in (me, community, api.token("counter-1", "operator")):
        body = assert_problem(api.get("/audit-log", token), 403, "access.forbidden")
        assert "重复申报" not in str(body)
