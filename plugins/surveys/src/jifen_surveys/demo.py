"""The surveys plugin's part of `jifen demo`: a month-long quiz on waste sorting (JF-ENG-1).

It runs from the demo clock's current time and only moves the clock forward, so it fits
wherever the other plugins' parts have left the clock (`seed_demo`)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from rich.console import Console

from jifen import subjects
from jifen.clock import MovableClock
from jifen.platform import Platform
from jifen_surveys.model import Question, SurveyDefinition
from jifen_surveys.service import Surveys

QUESTIONS = (Question(id="q1", text="废电池属于哪类垃圾？", choices=("有害垃圾", "其他垃圾"),
                        correct="有害垃圾"),
               Question(id="q2", text="剩饭剩菜属于哪类垃圾？", choices=("厨余垃圾", "可回收物"),
                        correct="厨余垃圾"),
               Question(id="q3", text="旧报纸属于哪类垃圾？", choices=("可回收物", "其他垃圾"),
                        correct="可回收物"))

# (resident, answers): three pass and are rewarded, one fails and is not.
ANSWERS = (("李娜", ("有害垃圾", "厨余垃圾", "可回收物")), ("王强", ("有害垃圾", "厨余垃圾", "其他垃圾")),
           ("赵敏", ("有害垃圾", "可回收物", "其他垃圾")), ("武女士", ("有害垃圾", "厨余垃圾", "可回收物")))


def seed(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock, console: Console) -> None:
    """Open the quiz for 30 days from now, answer it a day later and print who was rewarded."""
    opens = clock.now()
    quiz = SurveyDefinition(
        code="demo-waste-quiz", title="垃圾分类知识竞答 waste-sorting quiz", kind="quiz",
        organiser="康巴什区城市管理局", pool="kbs-civil-affairs-2024", reward=100,
        max_rewarded=500, pass_mark=2, opens_at=opens, closes_at=opens + timedelta(days=30),
        questions=QUESTIONS)
    surveys = Surveys(platform)
    surveys.create(tenant_id, quiz, actor="demo")
    clock.set(opens + timedelta(days=1))
    for name, answers in ANSWERS:
        with platform.db.read() as conn:
            who = subjects.find_by_external_ref(conn, tenant_id, f"demo:{name}")
        assert who is not None, name
        surveys.respond(tenant_id, quiz.code, who.id,
                        {q.id: a for q, a in zip(quiz.questions, answers, strict=True)},
                        idempotency_key=f"demo:quiz:{name}")
    results = surveys.results(tenant_id, quiz.code)
    console.print(f"quiz {quiz.code}: {results.responses} responses, {results.rewarded} rewarded "
                  f"{quiz.reward} points each from pool {quiz.pool} (JF-ENG-1)")
