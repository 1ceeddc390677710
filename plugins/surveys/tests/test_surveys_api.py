"""The surveys' HTTP endpoints against a real server on SQLite and PostgreSQL (JF-ENG-1,
JF-PRIV-1, JF-LED-3, JF-API-3)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from jifen.api import ApiSettings, create_app
from jifen.api.auth import Role, issue_token
from jifen.platform import Platform
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city, running_server

from .conftest import QUESTIONS, QUIZ

NOW = datetime(2024, 3, 4, 2, 0, tzinfo=UTC)


class Api:
    def __init__(self, city: ClaimsCity, http: httpx.Client) -> None:
        self.city, self.http = city, http
        self.base = f"/v1/tenants/{city.tenant.code}/surveys"

    def token(self, sub: str, *roles: str) -> dict[str, str]:
        token = issue_token(self.city.platform, self.city.tenant.code, sub,
                            [Role.parse(r) for r in roles])[0]
        return {"Authorization": f"Bearer {token}"}

    def post(self, path: str, body: Any, auth: dict[str, str], key: str | None = None
             ) -> httpx.Response:
        return self.http.post(self.base + path, json=body, headers={
            **auth, "Idempotency-Key": key or uuid.uuid4().hex})

    def get(self, path: str, auth: dict[str, str]) -> httpx.Response:
        return self.http.get(self.base + path, headers=auth)


@pytest.fixture
def api(platform: Platform) -> Iterator[Api]:
    platform.clock.set(NOW)  # type: ignore[attr-defined]
    city = make_claims_city(platform)
    with running_server(create_app(platform, ApiSettings(test_mode=True))) as url, \
            httpx.Client(base_url=url, timeout=30) as http:
        yield Api(city, http)


def definition(code: str = "park-2024", **changes: Any) -> dict[str, Any]:
    quiz = changes.get("kind") == "quiz"
    return {"code": code, "title": "居民意见征集", "organiser": "城管局", "pool": TEST_POOL["code"],
            "reward": 20, "opens_at": "2024-01-01T00:00:00Z", "closes_at": "2025-01-01T00:00:00Z",
            "questions": QUIZ if quiz else QUESTIONS, **({"pass_mark": 2} if quiz else {}),
            **changes}


def problem(response: httpx.Response, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def material(api: Api, subject_id: uuid.UUID) -> int:
    return api.city.platform.balance(api.city.id, subject_id, "material").minor


def test_jf_eng_1_a_resident_answers_once_and_earns_the_reward_once(api: Api) -> None:
    operator = api.token("ops", "operator")
    published = api.post("", definition(), operator)
    assert published.status_code == 201, published.text
    resident = api.city.resident("张三")
    me = api.token(resident.code, "resident")
    answers = {"answers": {"park": "yes", "bins": "enough"}}

    first = api.post("/park-2024/responses", answers, me, key="answer-1")
    assert first.status_code == 201, first.text
    assert first.json()["reward"] == 20 and first.json()["not_rewarded"] is None
    retry = api.post("/park-2024/responses", answers, me, key="answer-1")  # JF-LED-3
    assert retry.json() == first.json() and retry.headers["Idempotent-Replayed"] == "true"
    problem(api.post("/park-2024/responses", answers, me), 409, "survey.already_answered")
    assert material(api, resident.id) == 20

    results = api.get("/park-2024/results", operator).json()
    assert results["responses"] == 1 and results["rewarded"] == 1
    assert results["questions"][0]["counts"] == {"yes": 1, "no": 0, "no opinion": 0}
    assert resident.code not in str(results)


def test_jf_eng_1_a_quiz_rewards_only_a_pass_and_hides_its_answers_from_residents(api: Api
                                                                               ) -> None:
    operator = api.token("ops", "operator")
    assert api.post("", definition("quiz-1", kind="quiz"), operator).status_code == 201
    alice, bob = api.city.resident("李四"), api.city.resident("王五")
    shown = api.get("/quiz-1", api.token(alice.code, "resident")).json()
    assert all(q["correct"] is None for q in shown["questions"])
    assert api.get("/quiz-1", operator).json()["questions"][0]["correct"] == "blue"

    failed = api.post("/quiz-1/responses", {"answers": {"q1": "red", "q2": "blue",
                                                        "q3": "other"}},
                      api.token(alice.code, "resident")).json()
    assert failed["passed"] is False and failed["reward"] == 0
    assert failed["not_rewarded"] == "quiz_not_passed"
    passed = api.post("/quiz-1/responses", {"answers": {"q1": "blue", "q2": "red",
                                                        "q3": "other"}},
                      api.token(bob.code, "resident")).json()
    assert passed["passed"] is True and passed["reward"] == 20
    assert (material(api, alice.id), material(api, bob.id)) == (0, 20)


def test_jf_eng_1_the_cap_on_rewarded_responses_holds_over_http(api: Api) -> None:
    operator = api.token("ops", "operator")
    assert api.post("", definition(max_rewarded=1), operator).status_code == 201
    answers = {"answers": {"park": "no", "bins": "too few"}}
    outcomes = [api.post("/park-2024/responses", answers,
                         api.token(api.city.resident(name).code, "resident")).json()
                for name in ("甲一", "乙二")]
    assert [o["reward"] for o in outcomes] == [20, 0]
    assert outcomes[1]["not_rewarded"] == "cap_reached"


def test_jf_priv_1_only_operators_publish_and_read_results_only_residents_answer(api: Api
                                                                                 ) -> None:
    resident = api.city.resident("赵六")
    me = api.token(resident.code, "resident")
    problem(api.post("", definition(), me), 403, "access.forbidden")
    operator = api.token("ops", "operator")
    assert api.get("", operator).json() == []  # the refusal wrote nothing
    assert api.post("", definition(), operator).status_code == 201
    problem(api.get("/park-2024/results", me), 403, "access.forbidden")
    problem(api.post("/park-2024/responses", {"answers": {"park": "yes", "bins": "enough"}},
                     operator), 403, "access.forbidden")
    problem(api.post("/nope/responses", {"answers": {"park": "yes"}}, me), 404, "not_found")
    problem(api.post("/park-2024/responses", {"answers": {"park": "maybe", "bins": "enough"}},
                     me), 422, "survey.unknown_choice")
    problem(api.post("", definition(), operator), 409, "survey.exists")
    assert material(api, resident.id) == 0
