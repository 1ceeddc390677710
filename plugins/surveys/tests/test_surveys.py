"""Surveys and quizzes with rewards from a funding pool (JF-ENG-1, JF-FUND-1, JF-PRIV)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.funding import pool_account
from jifen.platform import Platform
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city, make_config
from jifen_surveys import SurveyDefinition, SurveyResponse, Surveys

Define = Callable[..., SurveyDefinition]  # the conftest's ``define`` fixture

YES = {"park": "yes", "bins": "enough"}
PASS = {"q1": "blue", "q2": "red", "q3": "other"}  # 2 of 3 correct
FAIL = {"q1": "red", "q2": "red", "q3": "other"}  # 1 of 3 correct


def refused(code: str, call: Callable[..., Any], *args: Any) -> None:
    with pytest.raises(JifenError) as caught:
        call(*args)
    assert caught.value.code == code, caught.value


def balance(town: ClaimsCity, subject_id: uuid.UUID) -> int:
    return town.platform.balance(town.id, subject_id, "material").minor


def issued(town: ClaimsCity, pool: str = TEST_POOL["code"]) -> int:
    return town.platform.funding.pool(town.id, pool).issued


def test_jf_eng_1_jf_fund_1_reward_is_issued_from_the_pool_with_provenance(
        town: ClaimsCity, surveys: Surveys, define: Define) -> None:
    survey = surveys.create(town.id, define())
    resident = town.resident()
    response = surveys.respond(town.id, survey.code, resident.id, YES, "r-1")
    assert response.rewarded and response.reward == 20 and response.not_rewarded is None
    assert balance(town, resident.id) == 20 and issued(town) == 20
    assert response.transaction_id is not None
    posting = town.platform.ledger.transaction(town.id, response.transaction_id)
    assert posting.metadata == {"source": "survey", "survey": "park-2024",
                                "response": str(response.id), "pool": "test-pool",
                                "organiser": "康巴什区城管局 city management"}
    assert {p.account: p.amount for p in posting.postings}[pool_account("test-pool")] == -20
    actions = [entry.action for entry in town.platform.audit_log(town.id)]
    assert "survey.created" in actions and "survey.response_rewarded" in actions
    assert town.platform.audit(town.id).ok


def test_jf_eng_1_one_reward_per_resident_per_survey(town: ClaimsCity, surveys: Surveys,
                                                      define: Define) -> None:
    surveys.create(town.id, define())
    resident = town.resident()
    first = surveys.respond(town.id, "park-2024", resident.id, YES, "r-1")
    assert surveys.respond(town.id, "park-2024", resident.id, YES, "r-1") == first  # a retry
    refused("survey.already_answered", surveys.respond, town.id, "park-2024", resident.id,
            {"park": "no", "bins": "too few"}, "r-2")
    refused("ledger.idempotency_conflict", surveys.respond, town.id, "park-2024", resident.id,
            {"park": "no", "bins": "too few"}, "r-1")
    assert balance(town, resident.id) == 20 and issued(town) == 20
    assert surveys.results(town.id, "park-2024").responses == 1


def race(count: int, call: Callable[[int], SurveyResponse]) -> tuple[list[SurveyResponse],
                                                                      list[JifenError]]:
    """Run ``call(0) … call(count - 1)`` in as many threads, released together."""
    start = threading.Barrier(count)

    def run(index: int) -> SurveyResponse | JifenError:
        start.wait()
        try:
            return call(index)
        except JifenError as exc:
            return exc

    with ThreadPoolExecutor(count) as pool:
        outcomes = list(pool.map(run, range(count)))
    return ([o for o in outcomes if isinstance(o, SurveyResponse)],
            [o for o in outcomes if isinstance(o, JifenError)])


@pytest.mark.postgres_only
def test_jf_eng_1_one_reward_per_resident_under_8_concurrent_responses(
        town: ClaimsCity, surveys: Surveys, define: Define) -> None:
    surveys.create(town.id, define())
    resident = town.resident()
    stored, errors = race(8, lambda i: surveys.respond(town.id, "park-2024", resident.id, YES,
                                                        f"r-{i}"))
    assert len(stored) == 1 and stored[0].reward == 20
    assert [e.code for e in errors] == ["survey.already_answered"] * 7
    assert balance(town, resident.id) == 20 and issued(town) == 20


def test_jf_eng_1_cap_on_rewarded_responses(town: ClaimsCity, surveys: Surveys,
                                            define: Define) -> None:
    surveys.create(town.id, define(max_rewarded=2))
    residents = [town.resident(f"居民{i}") for i in range(3)]
    replies = [surveys.respond(town.id, "park-2024", r.id, YES, f"r-{r.id}") for r in residents]
    assert [r.reward for r in replies] == [20, 20, 0]
    assert replies[2].not_rewarded == "cap_reached" and replies[2].transaction_id is None
    assert balance(town, residents[2].id) == 0 and issued(town) == 40
    results = surveys.results(town.id, "park-2024")
    assert (results.responses, results.rewarded) == (3, 2)  # the third answer still counts
    unrewarded = town.platform.audit_log(town.id, action="survey.response_not_rewarded")
    assert [e.entity_id for e in unrewarded] == [replies[2].id]


@pytest.mark.postgres_only
def test_jf_eng_1_cap_on_rewarded_responses_holds_under_concurrency(
        town: ClaimsCity, surveys: Surveys, define: Define) -> None:
    surveys.create(town.id, define(max_rewarded=3))
    residents = [town.resident(f"居民{i}") for i in range(8)]
    stored, errors = race(8, lambda i: surveys.respond(town.id, "park-2024", residents[i].id, YES,
                                                        f"r-{i}"))
    assert errors == [] and len(stored) == 8
    assert sorted(r.reward for r in stored) == [0] * 5 + [20] * 3
    assert issued(town) == 60 and surveys.results(town.id, "park-2024").rewarded == 3


def test_jf_eng_1_a_quiz_rewards_only_a_pass(town: ClaimsCity, surveys: Surveys,
                                             define: Define) -> None:
    surveys.create(town.id, define(kind="quiz"))
    good, poor = town.resident("甲"), town.resident("乙")
    passed = surveys.respond(town.id, "quiz-sorting", good.id, PASS, "r-good")
    failed = surveys.respond(town.id, "quiz-sorting", poor.id, FAIL, "r-poor")
    assert (passed.correct, passed.passed, passed.reward) == (2, True, 20)
    assert (failed.correct, failed.passed, failed.reward) == (1, False, 0)
    assert failed.not_rewarded == "quiz_not_passed"
    assert balance(town, good.id) == 20 and balance(town, poor.id) == 0
    results = surveys.results(town.id, "quiz-sorting")
    assert (results.passed, results.pass_rate) == (1, 0.5)
    assert results.questions[0].counts == {"blue": 1, "red": 1}
    assert results.questions[0].correct == "blue"


def test_jf_fund_1_an_exhausted_pool_refuses_the_response_and_writes_nothing(
        platform: Platform, surveys: Surveys, define: Define) -> None:
    small = {**TEST_POOL, "limit_points": 30}
    town = make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", pools=[small]))
    surveys.create(town.id, define())
    first, second = town.resident("甲"), town.resident("乙")
    surveys.respond(town.id, "park-2024", first.id, YES, "r-1")
    log_before = len(platform.audit_log(town.id))
    refused("funding.pool_exhausted", surveys.respond, town.id, "park-2024", second.id, YES, "r-2")
    assert surveys.results(town.id, "park-2024").responses == 1
    assert balance(town, second.id) == 0 and issued(town) == 20
    assert len(platform.audit_log(town.id)) == log_before


def test_jf_eng_1_a_survey_takes_responses_only_while_open(
        platform: Platform, town: ClaimsCity, surveys: Surveys, define: Define) -> None:
    now = platform.clock.now()
    surveys.create(town.id, define(code="later", opens_at=now + timedelta(days=1),
                                   closes_at=now + timedelta(days=8)))
    surveys.create(town.id, define(code="over", opens_at=now - timedelta(days=8),
                                   closes_at=now))
    resident = town.resident()
    refused("survey.not_open", surveys.respond, town.id, "later", resident.id, YES, "r-1")
    refused("survey.not_open", surveys.respond, town.id, "over", resident.id, YES, "r-2")
    assert isinstance(platform.clock, MovableClock)
    platform.clock.advance(timedelta(days=2))
    assert surveys.respond(town.id, "later", resident.id, YES, "r-3").reward == 20


@pytest.mark.parametrize(("answers", "code"), [
    ({"park": "yes", "bins": "enough", "noise": "yes"}, "survey.unknown_question"),
    ({"park": "maybe", "bins": "enough"}, "survey.unknown_choice"),
    ({"park": "yes"}, "survey.missing_answer"),
])
def test_jf_api_3_jf_eng_1_invalid_answers_are_refused_and_nothing_is_written(
        town: ClaimsCity, surveys: Surveys, define: Define, answers: dict[str, str],
        code: str) -> None:
    surveys.create(town.id, define())
    resident = town.resident()
    refused(code, surveys.respond, town.id, "park-2024", resident.id, answers, "r-1")
    assert surveys.results(town.id, "park-2024").responses == 0
    assert balance(town, resident.id) == 0
    assert surveys.respond(town.id, "park-2024", resident.id, YES, "r-1").reward == 20


def test_jf_api_3_unknown_survey_subject_and_pool_and_a_repeated_code(
        town: ClaimsCity, surveys: Surveys, define: Define) -> None:
    refused("not_found", surveys.create, town.id, define(pool="nowhere"))
    surveys.create(town.id, define())
    refused("survey.exists", surveys.create, town.id, define(title="again"))
    refused("not_found", surveys.respond, town.id, "nope", town.resident().id, YES, "r-1")
    refused("not_found", surveys.respond, town.id, "park-2024", uuid.uuid4(), YES, "r-2")
    assert [s.code for s in surveys.list_surveys(town.id)] == ["park-2024"]


def test_jf_priv_2_the_export_shows_pseudonyms_never_names_or_ids(
        town: ClaimsCity, surveys: Surveys, define: Define) -> None:
    surveys.create(town.id, define())
    surveys.create(town.id, define(code="other"))
    residents = [town.resident(name) for name in ("王小明", "李四")]
    replies = [surveys.respond(town.id, code, r.id, YES, f"{code}-{r.id}")
               for code in ("park-2024", "other") for r in residents]
    rows = surveys.export(town.id, "park-2024")
    text = repr(rows)
    for secret in [*(r.name for r in residents), *(r.code for r in residents),
                   *(str(r.id) for r in residents), *(str(r.id) for r in replies),
                   *(str(r.transaction_id) for r in replies), "王", "李"]:
        assert secret not in text
    assert len({row["respondent"] for row in rows}) == 2
    assert rows == surveys.export(town.id, "park-2024")  # stable
    other = {row["respondent"] for row in surveys.export(town.id, "other")}
    assert other.isdisjoint(row["respondent"] for row in rows)  # not linkable across surveys
    assert rows[0] == {"respondent": rows[0]["respondent"], "answer:park": "yes",
                       "answer:bins": "enough", "rewarded": "yes", "not_rewarded": ""}


def test_jf_eng_1_definitions_are_checked(define: Define) -> None:
    with pytest.raises(ValueError, match="pass_mark"):
        define(kind="quiz", pass_mark=None)
    with pytest.raises(ValueError, match="correct choice"):
        define(kind="quiz", pass_mark=1,
               questions=[{"id": "a", "text": "?", "choices": ["x", "y"]}])
    with pytest.raises(ValueError, match="use kind: quiz"):
        define(pass_mark=1)
    with pytest.raises(ValueError, match="closes_at"):
        define(closes_at=datetime(2023, 1, 1, tzinfo=UTC))
    with pytest.raises(ValueError, match="greater than 0"):
        define(reward=0)
