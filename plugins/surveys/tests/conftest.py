"""Fixtures for the surveys plugin's tests. ``platform`` (over SQLite and PostgreSQL) comes from
jifen's own pytest plugin, `jifen.pytest_plugin`, which every jifen plugin gets automatically."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from jifen.platform import Platform
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city
from jifen_surveys import SurveyDefinition, Surveys

QUESTIONS = [
    {"id": "park", "text": "公园开放时间合适吗? Are the park's hours right?",
     "choices": ["yes", "no", "no opinion"]},
    {"id": "bins", "text": "垃圾分类站够用吗? Are there enough sorting bins?",
     "choices": ["enough", "too few"]},
]
QUIZ = [
    {"id": "q1", "text": "可回收物投放哪个桶? Recyclables go in …", "choices": ["blue", "red"],
     "correct": "blue"},
    {"id": "q2", "text": "有害垃圾投放哪个桶? Hazardous waste goes in …",
     "choices": ["blue", "red"], "correct": "red"},
    {"id": "q3", "text": "过期药品属于? Expired medicine is …",
     "choices": ["hazardous", "other"], "correct": "hazardous"},
]


@pytest.fixture
def town(platform: Platform) -> ClaimsCity:
    """A configured tenant with the test funding pool ``test-pool`` (`jifen.testing`)."""
    return make_claims_city(platform)


@pytest.fixture
def surveys(platform: Platform) -> Surveys:
    return Surveys(platform)


@pytest.fixture
def define() -> Callable[..., SurveyDefinition]:
    """``define(**changes)``: a survey open through 2024 (the test clock stands at 2024-03-01)
    paying 20 points from the test pool; ``define(kind="quiz")`` gives a three-question quiz
    with pass mark 2."""

    def make(**changes: Any) -> SurveyDefinition:
        quiz = changes.get("kind") == "quiz"
        base: dict[str, Any] = {
            "code": "quiz-sorting" if quiz else "park-2024", "title": "居民意见征集 test survey",
            "organiser": "康巴什区城管局 city management", "pool": TEST_POOL["code"], "reward": 20,
            "opens_at": datetime(2024, 1, 1, tzinfo=UTC),
            "closes_at": datetime(2025, 1, 1, tzinfo=UTC),
            "questions": QUIZ if quiz else QUESTIONS}
        if quiz:
            base["pass_mark"] = 2
        return SurveyDefinition.model_validate({**base, **changes})

    return make
