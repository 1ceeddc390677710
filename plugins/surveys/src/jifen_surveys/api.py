"""The surveys' HTTP endpoints under ``/v1/tenants/{tenant}/surveys`` (JF-ENG-1), mounted by the
``register_routers`` hook.

Operators publish surveys and read their results; a resident reads an open survey (a quiz
without its correct answers) and answers it once, earning its reward from the survey's pool.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field

from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.errors import Forbidden
from jifen_surveys.model import Kind, Survey, SurveyDefinition, SurveyResponse, SurveyResults
from jifen_surveys.service import Surveys

PREFIX = "/v1/tenants/{tenant}/surveys"
router = APIRouter(tags=["surveys"], responses=PROBLEM_RESPONSES)
OPERATOR = "operator"


class AnswersIn(BaseModel):
    """A resident's answers: question id → the chosen choice, one per question."""

    model_config = ConfigDict(extra="forbid")

    answers: dict[str, str] = Field(min_length=1)


class QuestionView(BaseModel):
    id: str
    text: str
    choices: list[str]
    correct: str | None = Field(description="a quiz's right choice: shown to staff only")


class SurveyView(BaseModel):
    """A survey as published: its reward, pool, cap, pass mark, window and questions."""

    id: uuid.UUID
    code: str
    title: str
    kind: Kind
    organiser: str
    pool: str
    reward: int
    max_rewarded: int | None
    pass_mark: int | None
    opens_at: datetime
    closes_at: datetime
    created_at: datetime
    questions: list[QuestionView]


def _staff(ctx: Context) -> bool:
    return ctx.principal.has(OPERATOR, "auditor")


def _shown(ctx: Context, survey: Survey) -> SurveyView:
    """The survey as the caller may see it: a quiz's correct answers only for staff."""
    view = SurveyView.model_validate(survey.model_dump())
    if not _staff(ctx):
        for question in view.questions:
            question.correct = None
    return view


@router.post("", response_model=SurveyView, status_code=201)
def publish_survey(body: SurveyDefinition, ctx: TenantAuth) -> SurveyView:
    """Publish a survey or quiz (operators): its reward, pool, cap, pass mark and window;
    409 `survey.exists` for a code in use, 404 `not_found` for an unknown pool."""
    ctx.require(OPERATOR)
    return _shown(ctx, Surveys(ctx.platform).create(ctx.tenant_id, body,
                                                   actor=ctx.principal.sub))


@router.get("", response_model=list[SurveyView])
def list_surveys(ctx: TenantAuth) -> list[SurveyView]:
    """Every survey and quiz of the tenant (a quiz's answers only for staff)."""
    return [_shown(ctx, s) for s in Surveys(ctx.platform).list_surveys(ctx.tenant_id)]


@router.get("/{code}", response_model=SurveyView)
def get_survey(code: str, ctx: TenantAuth) -> SurveyView:
    """One survey (a quiz's answers only for staff)."""
    return _shown(ctx, Surveys(ctx.platform).get(ctx.tenant_id, code))


@router.post("/{code}/responses", response_model=SurveyResponse, status_code=201)
def answer_survey(code: str, body: AnswersIn, ctx: TenantAuth,
                  idempotency_key: str = Header(alias="Idempotency-Key")) -> SurveyResponse:
    """A resident answers for themself, once (409 `survey.already_answered`); the response
    earns the reward unless the quiz is failed or the cap is reached (``not_rewarded``)."""
    if not ctx.principal.has("resident"):
        raise Forbidden("surveys are answered by residents, for themselves (JF-ENG-1)")
    return Surveys(ctx.platform).respond(ctx.tenant_id, code, ctx.actor, body.answers,
                                         f"api:{ctx.principal.sub}:{idempotency_key}")


@router.get("/{code}/results", response_model=SurveyResults)
def survey_results(code: str, ctx: TenantAuth) -> SurveyResults:
    """Counts per choice, responses rewarded and a quiz's passes (operators, auditors); no
    resident appears in them."""
    if not _staff(ctx):
        raise Forbidden("a survey's results are for operators and auditors")
    return Surveys(ctx.platform).results(ctx.tenant_id, code)
