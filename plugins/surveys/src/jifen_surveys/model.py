"""The pydantic types of surveys and quizzes: the definition an organiser writes, the stored
survey, a response and the results (JF-ENG-1)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, PositiveInt, model_validator

Kind = Literal["survey", "quiz"]
NotRewarded = Literal["quiz_not_passed", "cap_reached"]
"""Why a stored response earned nothing: a failed quiz, or the survey's cap was reached."""

REASONS: dict[str, str] = {
    "quiz_not_passed": "the quiz was not passed; only a pass is rewarded",
    "cap_reached": "the survey has rewarded as many responses as its cap allows",
}


class Question(BaseModel):
    """One question with its choices; in a quiz, ``correct`` names the right choice."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    text: str = Field(min_length=1, max_length=1000)
    choices: tuple[str, ...] = Field(min_length=2)
    correct: str | None = None

    @model_validator(mode="after")
    def _choices_make_sense(self) -> Question:
        if len(set(self.choices)) != len(self.choices):
            raise ValueError(f"question {self.id!r}: a choice is listed twice")
        if self.correct is not None and self.correct not in self.choices:
            raise ValueError(f"question {self.id!r}: correct {self.correct!r} is not a choice")
        return self


class SurveyDefinition(BaseModel):
    """What an organiser defines: in a YAML/JSON file (``jifen surveys create``) or in Python.

    ``reward`` is in material points, issued from the funding pool ``pool`` (JF-FUND-1) to each
    rewarded response; ``max_rewarded`` caps how many responses are rewarded; a quiz rewards
    only a pass, ``pass_mark`` correct answers or more (JF-ENG-1).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    title: str = Field(min_length=1, max_length=200)
    kind: Kind = "survey"
    organiser: str = Field(min_length=1, max_length=200)
    pool: str = Field(min_length=1, max_length=64)
    reward: PositiveInt
    max_rewarded: PositiveInt | None = None
    pass_mark: PositiveInt | None = None
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    questions: tuple[Question, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _rules(self) -> SurveyDefinition:
        if self.closes_at <= self.opens_at:
            raise ValueError("closes_at must be after opens_at")
        ids = [q.id for q in self.questions]
        if len(set(ids)) != len(ids):
            raise ValueError("question ids must be unique")
        if self.kind == "quiz":
            _check_quiz(self)
        elif self.pass_mark is not None or any(q.correct for q in self.questions):
            raise ValueError("a survey has no pass_mark and no correct answers; use kind: quiz")
        return self

    def question(self, question_id: str) -> Question | None:
        """The question with this id, if the survey asks it."""
        return next((q for q in self.questions if q.id == question_id), None)


def _check_quiz(quiz: SurveyDefinition) -> None:
    if quiz.pass_mark is None or quiz.pass_mark > len(quiz.questions):
        raise ValueError("a quiz needs a pass_mark between 1 and its number of questions")
    missing = [q.id for q in quiz.questions if q.correct is None]
    if missing:
        raise ValueError(f"every quiz question needs its correct choice: {', '.join(missing)}")


class Survey(SurveyDefinition):
    """A survey as stored in a tenant."""

    id: uuid.UUID
    created_at: datetime

    def state(self, at: datetime) -> Literal["upcoming", "open", "closed"]:
        """Whether responses are taken at ``at``: from ``opens_at`` until ``closes_at``."""
        if at < self.opens_at:
            return "upcoming"
        return "open" if at < self.closes_at else "closed"


class SurveyResponse(BaseModel):
    """A resident's stored response and what it earned."""

    model_config = ConfigDict(frozen=True)

    id: uuid.UUID
    survey_code: str
    subject_id: uuid.UUID
    answers: dict[str, str]
    correct: int | None = Field(description="correct answers (quizzes only)")
    passed: bool | None = Field(description="whether the quiz was passed (quizzes only)")
    reward: int = Field(description="material points issued for it; 0 when not rewarded")
    not_rewarded: NotRewarded | None = Field(description="why nothing was issued, if so")
    transaction_id: uuid.UUID | None
    answered_at: datetime

    @property
    def rewarded(self) -> bool:
        return self.reward > 0


class QuestionResults(BaseModel):
    """How often each choice of one question was chosen."""

    id: str
    text: str
    counts: dict[str, int]
    correct: str | None = None


class SurveyResults(BaseModel):
    """What an organiser sees: counts per choice and, for a quiz, the pass rate. No resident
    appears in it."""

    code: str
    title: str
    kind: Kind
    responses: int
    rewarded: int
    passed: int | None = None
    questions: list[QuestionResults]

    @property
    def pass_rate(self) -> float | None:
        """Passes per response (quizzes with at least one response), else ``None``."""
        if self.passed is None or not self.responses:
            return None
        return self.passed / self.responses
