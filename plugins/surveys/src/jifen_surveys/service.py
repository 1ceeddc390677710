"""Surveys and quizzes that reward material points from a funding pool (JF-ENG-1, JF-FUND-1).

Everything goes through :class:`Surveys`, built on a jifen `Platform`. A response is stored and
its reward posted in one database transaction, through ``platform.ledger.run``: the survey's
row is locked, the answers are checked, the response row is written, and the reward is drawn
from the pool (``jifen.funding.draw`` checks the pool's limit under a lock) and posted with its
provenance. Either all of it commits or none of it does.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from pydantic import ValidationError
from sqlalchemy import Connection, RowMapping, func, insert, select
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, subjects
from jifen.errors import IdempotencyConflict, NotFound
from jifen.funding import Issue, draw
from jifen.ledger import Poster
from jifen.model import TransactionView, new_id
from jifen.platform import Platform
from jifen_surveys import tables as t
from jifen_surveys.errors import (
    AlreadyAnswered,
    InvalidDefinition,
    MissingAnswer,
    SurveyExists,
    SurveyNotOpen,
    UnknownChoice,
    UnknownQuestion,
)
from jifen_surveys.model import (
    REASONS,
    NotRewarded,
    QuestionResults,
    Survey,
    SurveyDefinition,
    SurveyResponse,
    SurveyResults,
)


class Surveys:
    """The surveys and quizzes of every tenant on a platform."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    # organisers ------------------------------------------------------------------------------

    def create(self, tenant_id: uuid.UUID, definition: SurveyDefinition, *,
               actor: str = "operator") -> Survey:
        """Store a new survey or quiz; its pool must exist (`not_found`), its code be new in the
        tenant (`survey.exists`). The audit log records who created it (JF-DUE-5)."""
        self.platform.funding.pool(tenant_id, definition.pool)
        survey = Survey(**definition.model_dump(), id=new_id(),
                        created_at=self.platform.clock.now())
        try:
            with self.platform.db.write() as conn:
                if _find(conn, tenant_id, survey.code) is not None:
                    raise SurveyExists(f"survey {survey.code!r} exists already", survey=survey.code)
                conn.execute(insert(t.surveys).values(tenant_id=tenant_id, **_survey_row(survey)))
                audit_log.record(conn, tenant_id, survey.created_at, None, "survey.created",
                                 "survey", survey.id, "", _created_data(survey), actor=actor)
        except IntegrityError as exc:
            if _violates(exc, "surveys", "code"):
                raise SurveyExists(f"survey {survey.code!r} exists already",
                                   survey=survey.code) from exc
            raise
        return survey

    def get(self, tenant_id: uuid.UUID, code: str) -> Survey:
        """The survey with this code, or `not_found`."""
        with self.platform.db.read() as conn:
            return _get(conn, tenant_id, code)

    def list_surveys(self, tenant_id: uuid.UUID) -> list[Survey]:
        """Every survey and quiz of the tenant, by code."""
        with self.platform.db.read() as conn:
            rows = conn.execute(select(t.surveys).where(t.surveys.c.tenant_id == tenant_id)
                                .order_by(t.surveys.c.code)).mappings()
            return [_survey(row) for row in rows]

    def results(self, tenant_id: uuid.UUID, code: str) -> SurveyResults:
        """Counts per choice, responses rewarded and, for a quiz, passes (JF-ENG-1)."""
        with self.platform.db.read() as conn:
            survey = _get(conn, tenant_id, code)
            rows = _responses(conn, tenant_id, survey.id)
        counts = {q.id: dict.fromkeys(q.choices, 0) for q in survey.questions}
        for row in rows:
            for question_id, choice in row["answers"].items():
                counts[question_id][choice] += 1
        return SurveyResults(
            code=survey.code, title=survey.title, kind=survey.kind, responses=len(rows),
            rewarded=sum(1 for row in rows if row["reward"]),
            passed=sum(1 for row in rows if row["passed"]) if survey.kind == "quiz" else None,
            questions=[QuestionResults(id=q.id, text=q.text, counts=counts[q.id], correct=q.correct)
                       for q in survey.questions])

    def export(self, tenant_id: uuid.UUID, code: str) -> list[dict[str, str]]:
        """The responses for the organiser, one row each, with no name or id in clear (JF-PRIV).

        A resident appears only as a pseudonym: a keyed hash of their id under a key derived
        for this survey, so the organiser can tell rows apart but cannot link a row to a
        resident, nor one survey's rows to another's. Rows are sorted by pseudonym, which keeps
        the order of answering out of the file, and carry no time.
        """
        with self.platform.db.read() as conn:
            survey = _get(conn, tenant_id, code)
            rows = _responses(conn, tenant_id, survey.id)
        keys = self.platform.keys(tenant_id)
        out = []
        for row in rows:
            pseudonym = keys.lookup_hash(f"survey/{survey.id}", str(row["subject_id"])).hex()
            out.append(_export_row(survey, pseudonym[:16], row))
        return sorted(out, key=lambda line: line["respondent"])

    # residents -------------------------------------------------------------------------------

    def respond(self, tenant_id: uuid.UUID, survey_code: str, subject_id: uuid.UUID,
                answers: Mapping[str, str], idempotency_key: str) -> SurveyResponse:
        """Store a resident's answers and reward them from the survey's pool (JF-ENG-1).

        Refused, with nothing written: an unknown survey or subject (`not_found`), a survey not
        open (`survey.not_open`), answers that do not fit the questions
        (`survey.unknown_question`, `survey.unknown_choice`, `survey.missing_answer`), a second
        response of the same resident (`survey.already_answered`), and a pool that cannot pay
        the reward (`funding.pool_exhausted`). A failed quiz, or a survey whose cap on rewarded
        responses is reached, stores the response unrewarded and says why (``not_rewarded``).
        The same ``idempotency_key`` again returns the first response.
        """
        request = dict(answers)

        def work(conn: Connection, post: Poster) -> SurveyResponse:
            survey = _get(conn, tenant_id, survey_code, lock=True)
            earlier = _by_key(conn, tenant_id, idempotency_key)
            if earlier is not None:
                return _replay(earlier, survey, subject_id, request)
            now = self.platform.clock.now()
            _check_open(survey, now)
            _check_answers(survey, request)
            subjects.get_subject(conn, tenant_id, subject_id)
            if _answered(conn, tenant_id, survey.id, subject_id):
                raise AlreadyAnswered(f"this resident has answered {survey.code!r} already",
                                      survey=survey.code)
            return _store(conn, post, tenant_id, survey, subject_id, request,
                          idempotency_key, now)

        try:
            return self.platform.ledger.run(tenant_id, work)
        except IntegrityError as exc:  # a lost race the survey lock did not serialise
            if _violates(exc, "survey_responses", "survey_id", "subject_id"):
                raise AlreadyAnswered("this resident has answered the survey already",
                                      survey=survey_code) from exc
            if _violates(exc, "survey_responses", "idempotency_key"):
                raise IdempotencyConflict("a concurrent response with the same idempotency key "
                                          "won; retry to get its result") from exc
            raise


def export_columns(survey: Survey) -> list[str]:
    """The columns of :meth:`Surveys.export`, in order: ``respondent`` (the pseudonym), one
    ``answer:<question id>`` per question, for a quiz ``correct`` and ``passed``, then
    ``rewarded`` and ``not_rewarded``."""
    quiz = ["correct", "passed"] if survey.kind == "quiz" else []
    return ["respondent", *(f"answer:{q.id}" for q in survey.questions), *quiz,
            "rewarded", "not_rewarded"]


def load_definition(path: str | Path) -> SurveyDefinition:
    """Read a survey definition from a YAML or JSON file (`survey.invalid_definition`)."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise InvalidDefinition(f"{path.name}: not valid YAML or JSON: {exc}") from exc
    try:
        return SurveyDefinition.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'file'}: {e['msg']}"
                             for e in exc.errors())
        raise InvalidDefinition(f"{path.name}: {problems}") from exc


# --- one response, inside the ledger's transaction -------------------------------------------

def _store(conn: Connection, post: Poster, tenant_id: uuid.UUID, survey: Survey,
           subject_id: uuid.UUID, answers: dict[str, str], key: str,
           now: datetime) -> SurveyResponse:
    """Decide the reward, post it from the pool, write the response and its audit entry."""
    correct, passed = _mark(survey, answers)
    reason = _no_reward(conn, tenant_id, survey, passed)
    response_id = new_id()
    transaction = None if reason else _pay(post, conn, tenant_id, survey, subject_id, response_id)
    response = SurveyResponse(
        id=response_id, survey_code=survey.code, subject_id=subject_id, answers=answers,
        correct=correct, passed=passed, reward=0 if reason else survey.reward,
        not_rewarded=reason, transaction_id=transaction.id if transaction else None,
        answered_at=now)
    conn.execute(insert(t.survey_responses).values(
        tenant_id=tenant_id, survey_id=survey.id, idempotency_key=key,
        **response.model_dump(exclude={"survey_code"})))
    action = "survey.response_not_rewarded" if reason else "survey.response_rewarded"
    audit_log.record(conn, tenant_id, now, subject_id, action, "survey_response", response_id,
                     REASONS[reason] if reason else "",
                     {"survey": survey.code, "reward": str(response.reward),
                      "transaction": str(response.transaction_id or "")})
    return response


def _mark(survey: Survey, answers: Mapping[str, str]) -> tuple[int | None, bool | None]:
    """A quiz's correct answers and whether they reach the pass mark; ``(None, None)`` else."""
    if survey.kind != "quiz":
        return None, None
    correct = sum(1 for q in survey.questions if answers[q.id] == q.correct)
    return correct, correct >= (survey.pass_mark or 0)


def _no_reward(conn: Connection, tenant_id: uuid.UUID, survey: Survey,
               passed: bool | None) -> NotRewarded | None:
    """Why the response earns nothing, if it does not. The cap is counted under the survey's
    row lock, so concurrent responses cannot both take the last rewarded place."""
    if passed is False:
        return "quiz_not_passed"
    if survey.max_rewarded is not None and _rewarded(conn, tenant_id, survey.id) >= \
            survey.max_rewarded:
        return "cap_reached"
    return None


def _pay(post: Poster, conn: Connection, tenant_id: uuid.UUID, survey: Survey,
         subject_id: uuid.UUID, response_id: uuid.UUID) -> TransactionView:
    """Issue the reward from the survey's pool: ``draw`` checks and locks the pool's limit
    (`funding.pool_exhausted`), then the posting carries the reward's provenance."""
    issue = Issue(
        pool=survey.pool, subject_id=subject_id, amount=survey.reward,
        idempotency_key=f"survey:{survey.id}:{subject_id}",
        memo=f"{survey.kind} {survey.code}: {survey.title}"[:500],
        metadata={"source": "survey", "survey": survey.code, "response": str(response_id),
                  "organiser": survey.organiser})
    draw(conn, tenant_id, [issue])
    return post([issue.request()])[0]


def _check_open(survey: Survey, now: datetime) -> None:
    state = survey.state(now)
    if state == "upcoming":
        raise SurveyNotOpen(f"survey {survey.code!r} opens at {survey.opens_at.isoformat()}",
                            survey=survey.code)
    if state == "closed":
        raise SurveyNotOpen(f"survey {survey.code!r} closed at {survey.closes_at.isoformat()}",
                            survey=survey.code)


def _check_answers(survey: Survey, answers: Mapping[str, str]) -> None:
    """Every answer names a question and one of its choices; every question is answered."""
    for question_id, choice in answers.items():
        question = survey.question(question_id)
        if question is None:
            raise UnknownQuestion(f"survey {survey.code!r} has no question {question_id!r}",
                                  question=question_id)
        if choice not in question.choices:
            raise UnknownChoice(f"question {question_id!r} has no choice {choice!r}; choose "
                                f"one of {', '.join(question.choices)}", question=question_id)
    missing = [q.id for q in survey.questions if q.id not in answers]
    if missing:
        raise MissingAnswer(f"unanswered: {', '.join(missing)}", questions=missing)


def _replay(earlier: RowMapping, survey: Survey, subject_id: uuid.UUID,
            answers: dict[str, str]) -> SurveyResponse:
    """The first response for a repeated idempotency key, if the request is the same."""
    if (earlier["survey_id"], earlier["subject_id"], earlier["answers"]) != (
            survey.id, subject_id, answers):
        raise IdempotencyConflict("the idempotency key was used before for another response",
                                  idempotency_key=earlier["idempotency_key"])
    return _response(earlier, survey.code)


# --- rows ------------------------------------------------------------------------------------

def _find(conn: Connection, tenant_id: uuid.UUID, code: str, *,
          lock: bool = False) -> Survey | None:
    query = select(t.surveys).where(t.surveys.c.tenant_id == tenant_id, t.surveys.c.code == code)
    if lock and conn.dialect.name != "sqlite":  # SQLite serialises writers already
        query = query.with_for_update()
    row = conn.execute(query).mappings().first()
    return _survey(row) if row else None


def _get(conn: Connection, tenant_id: uuid.UUID, code: str, *, lock: bool = False) -> Survey:
    survey = _find(conn, tenant_id, code, lock=lock)
    if survey is None:
        raise NotFound(f"no survey {code!r} in this tenant", survey=code)
    return survey


def _survey(row: RowMapping) -> Survey:
    return Survey.model_validate({k: v for k, v in row.items() if k != "tenant_id"})


def _survey_row(survey: Survey) -> dict[str, Any]:
    return {**survey.model_dump(exclude={"questions"}),
            "questions": [q.model_dump(mode="json") for q in survey.questions]}


def _created_data(survey: Survey) -> dict[str, str]:
    return {"code": survey.code, "kind": survey.kind, "organiser": survey.organiser,
            "pool": survey.pool, "reward": str(survey.reward),
            "max_rewarded": str(survey.max_rewarded or "")}


def _response(row: RowMapping, survey_code: str) -> SurveyResponse:
    return SurveyResponse.model_validate({**row, "survey_code": survey_code})


def _responses(conn: Connection, tenant_id: uuid.UUID, survey_id: uuid.UUID) -> list[RowMapping]:
    r = t.survey_responses
    return list(conn.execute(select(r).where(r.c.tenant_id == tenant_id,
                                             r.c.survey_id == survey_id)).mappings())


def _by_key(conn: Connection, tenant_id: uuid.UUID, key: str) -> RowMapping | None:
    r = t.survey_responses
    return conn.execute(select(r).where(r.c.tenant_id == tenant_id,
                                        r.c.idempotency_key == key)).mappings().first()


def _answered(conn: Connection, tenant_id: uuid.UUID, survey_id: uuid.UUID,
              subject_id: uuid.UUID) -> bool:
    r = t.survey_responses
    return conn.execute(select(r.c.id).where(
        r.c.tenant_id == tenant_id, r.c.survey_id == survey_id,
        r.c.subject_id == subject_id)).first() is not None


def _rewarded(conn: Connection, tenant_id: uuid.UUID, survey_id: uuid.UUID) -> int:
    r = t.survey_responses
    return int(conn.execute(select(func.count()).where(
        r.c.tenant_id == tenant_id, r.c.survey_id == survey_id, r.c.reward > 0)).scalar_one())


def _export_row(survey: Survey, pseudonym: str, row: RowMapping) -> dict[str, str]:
    line = {"respondent": pseudonym}
    line.update({f"answer:{q.id}": row["answers"][q.id] for q in survey.questions})
    if survey.kind == "quiz":
        line.update(correct=str(row["correct"]), passed="yes" if row["passed"] else "no")
    line.update(rewarded="yes" if row["reward"] else "no", not_rewarded=row["not_rewarded"] or "")
    return line


def _violates(exc: IntegrityError, table: str, *columns: str) -> bool:
    """Whether ``exc`` is the unique constraint on ``(tenant_id, *columns)`` of ``table``, as
    PostgreSQL (by the constraint's name) or SQLite (by its columns) reports it."""
    text = str(exc.orig)
    name = "_".join(("uq", table, "tenant_id", *columns))
    sqlite = ", ".join(f"{table}.{column}" for column in ("tenant_id", *columns))
    return name in text or f"UNIQUE constraint failed: {sqlite}" in text
