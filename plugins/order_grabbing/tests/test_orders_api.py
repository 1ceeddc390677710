"""The problem list over HTTP against a real server on SQLite and PostgreSQL: post, grab under
contention, complete, verify and the reward, overdue orders, roles (JF-ORD-1..3, JF-PRIV-1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from jifen.api import ApiSettings, create_app
from jifen.api.auth import Role, issue_token
from jifen.jobs import collect_jobs, run_once
from jifen.model import Subject
from jifen.platform import Platform
from jifen.testing import make_claims_city, running_server
from jifen_order_grabbing import Orders
from jifen_order_grabbing.testing import Town

NOW = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)


class Api:
    def __init__(self, town: Town, url: str) -> None:
        self.town, self.url = town, url
        self.http = httpx.Client(base_url=url, timeout=30)
        self.base = f"/v1/tenants/{town.city.tenant.code}/orders"
        assert town.city.reviewer is not None
        self.reviewer = self.token(town.city.reviewer.code, "reviewer@community")
        self.operator = self.token("ops", "operator")

    def token(self, sub: str, *roles: str) -> dict[str, str]:
        token = issue_token(self.town.platform, self.town.city.tenant.code, sub,
                            [Role.parse(r) for r in roles], ttl=86400 * 30)[0]
        return {"Authorization": f"Bearer {token}"}

    def department(self, name: str, *categories: str) -> dict[str, str]:
        return self.token(self.town.department(name, *categories).code, "department")

    def post(self, path: str, body: Any, auth: dict[str, str], key: str | None = None,
             client: httpx.Client | None = None) -> httpx.Response:
        return (client or self.http).post(self.base + path, json=body, headers={
            **auth, "Idempotency-Key": key or uuid.uuid4().hex})

    def get(self, path: str, auth: dict[str, str], **params: Any) -> httpx.Response:
        return self.http.get(self.base + path, headers=auth, params=params)

    def order(self, reporter: Subject | None = None, **changes: Any) -> dict[str, Any]:
        body = {"community": "community", "grid": "grid-1", "category": "sanitation",
                "description": "垃圾站满溢 overflowing bins", "reward": 100,
                "deadline": (self.town.clock.now() + timedelta(days=3)).isoformat(),
                "reporter": reporter.code if reporter else None, **changes}
        posted = self.post("", body, self.reviewer)
        assert posted.status_code == 201, posted.text
        found: dict[str, Any] = posted.json()
        return found


@pytest.fixture
def api(platform: Platform) -> Iterator[Api]:
    platform.clock.set(NOW)  # type: ignore[attr-defined]
    town = Town(make_claims_city(platform), Orders(platform))
    with running_server(create_app(platform, ApiSettings(test_mode=True))) as url:
        made = Api(town, url)
        yield made
        made.http.close()


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def test_jf_ord_1_2_3_a_posted_order_is_grabbed_completed_verified_and_rewarded(api: Api
                                                                                ) -> None:
    reporter = api.town.city.resident("张三")
    sanitation = api.department("环卫所 sanitation", "sanitation")
    roads = api.department("市政所 roads", "roads")
    body = {"community": "community", "grid": "grid-1", "category": "sanitation",
            "description": "垃圾站满溢", "reward": 100, "reporter": reporter.code,
            "deadline": (NOW + timedelta(days=3)).isoformat()}
    posted = api.post("", body, api.reviewer, key="post-1")
    assert posted.status_code == 201, posted.text
    order = posted.json()
    assert (order["state"], order["source"], order["grid"]) == ("open", "photo_report", "grid-1")
    assert api.post("", body, api.reviewer, key="post-1").json()["id"] == order["id"]
    path = f"/{order['id']}"

    assert [o["id"] for o in api.get("", sanitation).json()] == [order["id"]]
    assert api.get("", roads).json() == []
    problem(api.get(path, roads), 404, "not_found")  # outside its remit: nothing to see
    problem(api.post(f"{path}/grab", {}, roads), 404, "not_found")
    grabbed = api.post(f"{path}/grab", {}, sanitation).json()
    assert grabbed["state"] == "grabbed"
    problem(api.post(f"{path}/complete", {"evidence": " "}, sanitation), 422,
            "order.evidence_required")
    completed = api.post(f"{path}/complete", {"evidence": "photo:sha256:ab12"}, sanitation)
    assert completed.json()["state"] == "completed", completed.text
    problem(api.post(f"{path}/verify", {}, api.reviewer), 409, "order.awaiting_reporter")
    me = api.token(reporter.code, "resident")
    assert api.post(f"{path}/confirm", {}, me).json()["reporter_response"] == "confirmed"
    verified = api.post(f"{path}/verify", {}, api.reviewer).json()
    assert verified["state"] == "verified" and verified["transaction_id"]
    department = api.town.departments["环卫所 sanitation"]
    assert api.town.balance(department.id) == 100

    ranking = api.get("/ranking", roads, since="2024-03-01", until="2024-03-31").json()
    assert [(r["name"], r["points"], r["verified"]) for r in ranking] == [
        ("环卫所 sanitation", 100, 1), ("市政所 roads", 0, 0)]


def test_jf_ord_2_exactly_one_department_wins_a_contended_grab(api: Api) -> None:
    tokens = [api.department(f"部门{i}", "sanitation") for i in range(6)]
    order = api.order()
    clients = [httpx.Client(base_url=api.url, timeout=30) for _ in tokens]
    try:
        with ThreadPoolExecutor(len(tokens)) as pool:
            outcomes = list(pool.map(lambda pair: api.post(
                f"/{order['id']}/grab", {}, pair[0], client=pair[1]), zip(tokens, clients,
                                                                        strict=True)))
    finally:
        for client in clients:
            client.close()
    won = [o for o in outcomes if o.status_code == 200]
    assert len(won) == 1, [o.text for o in outcomes]
    for lost in outcomes:
        if lost.status_code != 200:
            problem(lost, 409, "order.already_grabbed")
    holder = api.get(f"/{order['id']}", api.operator).json()["department_id"]
    assert holder == won[0].json()["department_id"]


def test_jf_ord_3_an_overdue_order_reopens_with_its_lapse_recorded(api: Api) -> None:
    sanitation = api.department("环卫所", "sanitation")
    order = api.order()
    api.post(f"/{order['id']}/grab", {}, sanitation)
    problem(api.post("/reopen-overdue", {}, sanitation), 403, "access.forbidden")
    assert api.post("/reopen-overdue", {}, api.operator).json() == []  # not overdue yet
    api.town.clock.set(NOW + timedelta(days=4))
    [reopened] = api.post("/reopen-overdue", {}, api.operator).json()
    assert (reopened["id"], reopened["state"], reopened["reopened"]) == (order["id"], "open", 1)
    assert api.post("/reopen-overdue", {}, api.operator).json() == []
    ranking = api.get("/ranking", api.operator, since="2024-03-01", until="2024-03-31").json()
    assert ranking[0]["lapsed"] == 1


def test_jf_priv_1_each_role_acts_only_for_itself(api: Api) -> None:
    resident = api.token(api.town.city.resident("李四").code, "resident")
    sanitation = api.department("环卫所", "sanitation")
    other = api.department("绿化所", "sanitation")
    problem(api.post("", {"community": "community", "grid": "grid-1", "category": "sanitation",
                          "description": "x", "reward": 1,
                          "deadline": (NOW + timedelta(days=1)).isoformat()}, resident),
            403, "access.forbidden")
    assert api.get("", api.operator).json() == []  # the refusal wrote nothing
    order = api.order()
    path = f"/{order['id']}"
    problem(api.get(path, resident), 404, "not_found")
    problem(api.post(f"{path}/grab", {}, resident), 403, "access.forbidden")
    api.post(f"{path}/grab", {}, sanitation)
    problem(api.post(f"{path}/complete", {"evidence": "photo"}, other), 404, "not_found")
    api.post(f"{path}/complete", {"evidence": "photo"}, sanitation)
    problem(api.post(f"{path}/verify", {}, sanitation), 403, "access.forbidden")
    problem(api.post(f"{path}/confirm", {}, sanitation), 403, "order.not_reporter")
    problem(api.get(f"/{uuid.uuid4()}", api.operator), 404, "not_found")
    assert api.get(path, api.operator).json()["state"] == "completed"


def test_jf_ord_3_the_registered_job_reopens_overdue_orders(api: Api) -> None:
    sanitation = api.department("环卫所", "sanitation")
    order = api.order()
    api.post(f"/{order['id']}/grab", {}, sanitation)
    api.town.clock.set(NOW + timedelta(days=4))
    jobs = [job for job in collect_jobs(api.town.platform.pm)
            if job.name == "orders.reopen_overdue"]
    assert run_once(api.town.platform, jobs, [api.town.id]) == {"orders.reopen_overdue": 0}
    assert api.get(f"/{order['id']}", api.operator).json()["state"] == "open"
