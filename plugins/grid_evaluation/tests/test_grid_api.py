"""Grid-worker evaluation over HTTP against a real server on SQLite and PostgreSQL: residents'
ratings, the month's run and its results, corrections (JF-GRID-1, JF-GRID-2, JF-PRIV-1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from jifen.api import ApiSettings, create_app
from jifen.api.auth import Role, issue_token
from jifen.clock import MovableClock
from jifen.platform import Platform
from jifen.testing import ClaimsCity, make_claims_city, running_server
from jifen_grid_evaluation import GridEvaluation, Worker

MARCH = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)  # 10:00 in Asia/Shanghai
APRIL = datetime(2024, 4, 1, 2, 0, tzinfo=UTC)
GOOD = {"orders_done": 20, "inspections": 30}


class Api:
    def __init__(self, city: ClaimsCity, http: httpx.Client) -> None:
        self.city, self.http = city, http
        self.base = f"/v1/tenants/{city.tenant.code}/grid"
        self.worker: Worker = GridEvaluation(city.platform).add_worker(city.id, "王网格", "grid-1")
        self.operator = self.token("ops", "operator")

    def token(self, sub: str, *roles: str) -> dict[str, str]:
        token = issue_token(self.city.platform, self.city.tenant.code, sub,
                            [Role.parse(r) for r in roles], ttl=86400 * 60)[0]
        return {"Authorization": f"Bearer {token}"}

    def resident(self, name: str, grid: str = "grid-1") -> dict[str, str]:
        return self.token(self.city.resident(name, grid=grid).code, "resident")

    def post(self, path: str, body: Any, auth: dict[str, str], key: str | None = None
             ) -> httpx.Response:
        return self.http.post(self.base + path, json=body, headers={
            **auth, "Idempotency-Key": key or uuid.uuid4().hex})

    def get(self, path: str, auth: dict[str, str], **params: Any) -> httpx.Response:
        return self.http.get(self.base + path, headers=auth, params=params)

    def set_clock(self, when: datetime) -> None:
        clock = self.city.platform.clock
        assert isinstance(clock, MovableClock)
        clock.set(when)

    def balance(self) -> int:
        return self.city.platform.balance(self.city.id, self.worker.id, "material").minor


@pytest.fixture
def api(platform: Platform) -> Iterator[Api]:
    platform.clock.set(MARCH)  # type: ignore[attr-defined]
    city = make_claims_city(platform)
    with running_server(create_app(platform, ApiSettings(test_mode=True))) as url, \
            httpx.Client(base_url=url, timeout=30) as http:
        yield Api(city, http)


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def test_jf_grid_1_ratings_and_metrics_are_evaluated_graded_and_rewarded_once(api: Api) -> None:
    for name, stars in (("张三", 5), ("李四", 4)):
        rated = api.post("/ratings", {"worker": api.worker.code, "rating": stars},
                         api.resident(name))
        assert rated.status_code == 201, rated.text
        assert rated.json()["month"] == "2024-03"
    recorded = api.post("/metrics", {"worker": api.worker.code, "month": "2024-03",
                                     "metrics": GOOD}, api.operator)
    assert recorded.status_code == 200, recorded.text
    metrics = recorded.json()["metrics"]  # the residents' ratings are kept, added to these
    assert (metrics["orders_done"], metrics["inspections"]) == (20, 30)
    assert (metrics["ratings_count"], metrics["ratings_sum"]) == (2, 9)
    formula = api.get("/formula", api.resident("王五")).json()
    assert [g["grade"] for g in formula["formula"]["grades"]] == ["A", "B", "C"]

    problem(api.post("/evaluations", {"month": "2024-03"}, api.operator), 409,
            "grid.month_not_ended")
    api.set_clock(APRIL)
    report = api.post("/evaluations", {"month": "2024-03"}, api.operator).json()
    [evaluation] = report["evaluated"]
    assert (evaluation["grade"], evaluation["reward"]) == ("A", 500)
    assert evaluation["metrics"]["ratings_count"] == 2 and evaluation["transaction_id"]
    assert api.balance() == 500

    again = api.post("/evaluations", {"month": "2024-03"}, api.operator).json()  # JF-GRID-2
    assert again["evaluated"] == [] and again["already_evaluated"] == 1
    assert api.balance() == 500
    mine = api.get("/evaluations", api.token(api.worker.code, "grid_worker"), month="2024-03")
    assert [e["id"] for e in mine.json()] == [evaluation["id"]]


def test_jf_grid_2_a_correction_reverses_the_reward_and_posts_the_next_revision(api: Api
                                                                                ) -> None:
    api.post("/metrics", {"worker": api.worker.code, "month": "2024-03", "metrics": GOOD},
             api.operator)
    api.set_clock(APRIL)
    api.post("/evaluations", {"month": "2024-03"}, api.operator)
    body = {"worker": api.worker.code, "month": "2024-03", "metrics": {"orders_done": 2},
            "reason": "工单重复统计 orders counted twice"}
    corrected = api.post("/corrections", body, api.operator)
    assert corrected.status_code == 200, corrected.text
    found = corrected.json()
    assert found["previous"]["state"] == "superseded" and found["reversal_id"]
    assert (found["current"]["revision"], found["current"]["grade"]) == (2, "C")
    assert api.balance() == found["current"]["reward"] == 0
    problem(api.post("/corrections", body, api.operator), 409, "grid.correction_unchanged")
    revisions = api.get("/evaluations", api.operator, month="2024-03", all_revisions=True)
    assert [e["revision"] for e in revisions.json()] == [1, 2]


def test_jf_priv_1_a_resident_rates_only_their_own_grids_worker_once_a_month(api: Api) -> None:
    alice = api.resident("张三")
    first = api.post("/ratings", {"worker": api.worker.code, "rating": 3}, alice, key="r-1")
    replay = api.post("/ratings", {"worker": api.worker.code, "rating": 3}, alice, key="r-1")
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    problem(api.post("/ratings", {"worker": api.worker.code, "rating": 5}, alice), 409,
            "grid.already_rated")

    elsewhere = api.post("/ratings", {"worker": api.worker.code, "rating": 1},
                         api.resident("赵六", grid="grid-2"))
    unknown = api.post("/ratings", {"worker": "no-such-worker", "rating": 1},
                       api.resident("孙七", grid="grid-2"))
    problem(elsewhere, 404, "not_found")
    problem(unknown, 404, "not_found")  # another grid's worker looks like no worker at all
    problem(api.post("/ratings", {"worker": api.worker.code, "rating": 6}, alice), 422,
            "input.invalid")
    problem(api.post("/ratings", {"worker": api.worker.code, "rating": 2}, api.operator), 403,
            "access.forbidden")
    problem(api.post("/evaluations", {"month": "2024-02"}, alice), 403, "access.forbidden")
    problem(api.post("/metrics", {"worker": api.worker.code, "month": "2024-03",
                                  "metrics": GOOD}, alice), 403, "access.forbidden")
    problem(api.get("/evaluations", alice, month="2024-03"), 403, "access.forbidden")
    metrics = GridEvaluation(api.city.platform).metrics(api.city.id, api.worker.id, "2024-03")
    assert (metrics.ratings_count, metrics.ratings_sum) == (1, 3)  # only alice's first rating
