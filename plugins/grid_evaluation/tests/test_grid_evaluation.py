"""Monthly evaluation, rewards, idempotency, corrections and rankings (JF-GRID-1, JF-GRID-2,
JF-FUND-1, JF-LED-2, JF-DUE-5), on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.funding import pool_account
from jifen.ledger import subject_account
from jifen.platform import Platform
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city, make_config
from jifen_grid_evaluation import (
    EvaluationReport,
    Formula,
    GridEvaluation,
    Metrics,
    Worker,
    load_metrics_csv,
    reward_key,
)
from jifen_grid_evaluation.testing import (
    A_METRICS,
    B_METRICS,
    C_METRICS,
    MONTH,
    tenant_with_pool,
    tenant_with_tree,
)

MakeWorker = Callable[..., Worker]


def refused(code: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> JifenError:
    with pytest.raises(JifenError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value
    return caught.value


def balance(town: ClaimsCity, subject_id: uuid.UUID) -> int:
    return town.platform.balance(town.id, subject_id, "material").minor


def issued(town: ClaimsCity, pool: str = TEST_POOL["code"]) -> int:
    return town.platform.funding.pool(town.id, pool).issued


def history(town: ClaimsCity, subject_id: uuid.UUID) -> list[uuid.UUID]:
    return [tx.id for tx in town.platform.ledger.history(
        town.id, subject_account(subject_id, "material"))]


def test_jf_grid_1_every_worker_is_scored_graded_and_rewarded_with_provenance(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker) -> None:
    a, b, c = worker("乌兰", metrics=A_METRICS), worker("巴特尔", metrics=B_METRICS), \
        worker("张丽", "grid-2", metrics=C_METRICS)
    idle = worker("刘洋")  # no metrics recorded: zeros
    report = grid.evaluate(town.id, MONTH)
    found = {e.worker_id: e for e in report.evaluated}
    assert [(found[w.id].score, found[w.id].grade, found[w.id].reward) for w in (a, b, c, idle)] \
        == [(Decimal("100.0"), "A", 500), (Decimal("86.3"), "B", 300),
            (Decimal("42.3"), "C", 0), (Decimal("35.0"), "C", 0)]
    assert found[idle.id].metrics == Metrics() and found[idle.id].transaction_id is None
    assert (report.formula_version, report.already_evaluated, report.points) == (0, 0, 800)
    assert report.grades == {"A": 1, "B": 1, "C": 2}
    assert [balance(town, w.id) for w in (a, b, c, idle)] == [500, 300, 0, 0]
    assert issued(town) == 800

    tx = town.platform.ledger.transaction(town.id, found[a.id].transaction_id)  # type: ignore[arg-type]
    assert tx.idempotency_key == reward_key(a.id, MONTH, 1)
    assert tx.metadata == {"source": "grid-evaluation", "month": MONTH, "formula_version": "0",
                           "score": "100.0", "grade": "A", "revision": "1", "pool": "test-pool"}
    assert {p.account: p.amount for p in tx.postings}[pool_account("test-pool")] == -500
    audited = town.platform.audit_log(town.id, action="grid.evaluated")
    assert sorted(e.data["grade"] for e in audited) == ["A", "B", "C", "C"]
    assert town.platform.audit(town.id).ok
    assert grid.evaluations(town.id, MONTH) == sorted(report.evaluated,
                                                      key=lambda e: e.worker_id)


def test_jf_grid_2_a_second_run_rewards_no_one_twice(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker) -> None:
    a, b = worker("乌兰", metrics=A_METRICS), worker("巴特尔", metrics=B_METRICS)
    first = grid.evaluate(town.id, MONTH)
    transactions = town.platform.audit(town.id).transactions
    again = grid.evaluate(town.id, MONTH)
    assert again.evaluated == [] and again.already_evaluated == 2 and again.points == 0
    assert (balance(town, a.id), balance(town, b.id), issued(town)) == (500, 300, 800)
    assert town.platform.audit(town.id).transactions == transactions
    assert len(town.platform.audit_log(town.id, action="grid.evaluated")) == 2

    late = worker("新人", metrics=A_METRICS)  # joined after the first run: evaluated now
    third = grid.evaluate(town.id, MONTH, batch_size=1)
    assert [e.worker_id for e in third.evaluated] == [late.id] and third.already_evaluated == 2
    assert issued(town) == 1300 and len(first.evaluated) == 2


def test_jf_grid_2_batches_commit_on_their_own_and_a_rerun_finishes(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker) -> None:
    people = [worker(f"网格员{i}", metrics=A_METRICS if i % 2 else B_METRICS) for i in range(7)]
    report = grid.evaluate(town.id, MONTH, batch_size=3)
    assert len(report.evaluated) == 7 and report.points == 3 * 500 + 4 * 300
    assert sum(balance(town, w.id) for w in people) == issued(town) == 2700
    assert grid.evaluate(town.id, MONTH, batch_size=3).evaluated == []


def test_jf_grid_2_a_correction_reverses_and_reposts(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker) -> None:
    a = worker("乌兰", metrics=A_METRICS)
    [first] = grid.evaluate(town.id, MONTH).evaluated
    town.platform.clock.advance(timedelta(days=3))  # type: ignore[attr-defined]
    fixed = grid.correct(town.id, a.id, MONTH, B_METRICS, "工单重复统计 orders counted twice",
                         "街道考核办 高洁")
    assert (fixed.previous.id, fixed.previous.state, fixed.previous.superseded_reason) == (
        first.id, "superseded", "工单重复统计 orders counted twice")
    assert (fixed.current.revision, fixed.current.grade, fixed.current.reward) == (2, "B", 300)
    assert fixed.current.evaluated_by == "街道考核办 高洁"
    assert balance(town, a.id) == 300 and issued(town) == 300  # balance = the corrected reward

    reversal = town.platform.ledger.transaction(town.id, fixed.reversal_id)  # type: ignore[arg-type]
    assert reversal.reverses_id == first.transaction_id
    assert reversal.idempotency_key == reward_key(a.id, MONTH, 1) + ":reversal"
    reversals = [tx for tx in town.platform.ledger.history(town.id, subject_account(a.id,
                                                                                    "material"))
                 if tx.reverses_id == first.transaction_id]
    assert len(reversals) == 1  # the old transaction reversed once
    refused("ledger.already_reversed", town.platform.ledger.reverse, town.id,
            first.transaction_id, "again", "again")
    repost = town.platform.ledger.transaction(town.id, fixed.current.transaction_id)  # type: ignore[arg-type]
    assert repost.metadata["revision"] == "2" and repost.metadata["grade"] == "B"

    every = grid.evaluations(town.id, MONTH, include_superseded=True)
    assert [(e.revision, e.state) for e in every] == [(1, "superseded"), (2, "current")]
    assert every[0].superseded_by == "街道考核办 高洁"
    assert grid.evaluations(town.id, MONTH) == [fixed.current]
    assert grid.metrics(town.id, a.id, MONTH) == B_METRICS
    [entry] = town.platform.audit_log(town.id, action="grid.corrected")
    assert entry.reason == "工单重复统计 orders counted twice" and entry.data["revision"] == "2"

    down = grid.correct(town.id, a.id, MONTH, C_METRICS, "评分录入错误", "高洁")
    assert down.current.revision == 3 and down.current.transaction_id is None
    assert balance(town, a.id) == 0 and issued(town) == 0
    assert grid.evaluate(town.id, MONTH).evaluated == []  # a re-run does not undo corrections
    assert balance(town, a.id) == 0 and town.platform.audit(town.id).ok


def test_jf_grid_2_corrections_are_checked(town: ClaimsCity, grid: GridEvaluation,
                                           worker: MakeWorker) -> None:
    a = worker("乌兰", metrics=A_METRICS)
    refused("grid.not_evaluated", grid.correct, town.id, a.id, MONTH, B_METRICS, "r", "me")
    grid.evaluate(town.id, MONTH)
    refused("grid.correction_unchanged", grid.correct, town.id, a.id, MONTH, A_METRICS, "r", "me")
    refused("input.invalid", grid.correct, town.id, a.id, MONTH, B_METRICS, " ", "me")
    refused("input.invalid", grid.correct, town.id, a.id, MONTH, B_METRICS, "r", "")
    refused("grid.already_evaluated", grid.record_metrics, town.id, a.id, MONTH, B_METRICS)
    assert balance(town, a.id) == 500


def test_jf_fund_1_an_exhausted_pool_refuses_the_run_and_posts_nothing(
        platform: Platform, grid: GridEvaluation) -> None:
    town = tenant_with_pool(platform, 700)
    a = grid.add_worker(town.id, "乌兰", "grid-1")
    b = grid.add_worker(town.id, "巴特尔", "grid-2")
    for w in (a, b):
        grid.record_metrics(town.id, w.id, MONTH, A_METRICS)
    log = len(platform.audit_log(town.id))
    refused("funding.pool_exhausted", grid.evaluate, town.id, MONTH)
    refused("funding.pool_exhausted", grid.evaluate, town.id, MONTH, batch_size=1)
    assert grid.evaluations(town.id, MONTH) == [] and issued(town) == 0
    assert len(platform.audit_log(town.id)) == log
    assert platform.audit(town.id).transactions == 0


def test_jf_fund_1_a_correction_beyond_the_pool_is_refused_whole(
        platform: Platform, grid: GridEvaluation) -> None:
    town = tenant_with_pool(platform, 500)
    a = grid.add_worker(town.id, "乌兰", "grid-1")
    grid.record_metrics(town.id, a.id, MONTH, B_METRICS)
    grid.evaluate(town.id, MONTH)
    other = grid.add_worker(town.id, "巴特尔", "grid-1")
    grid.evaluate(town.id, MONTH)  # zeros: grade C, nothing drawn
    refused("funding.pool_exhausted", grid.correct, town.id, other.id, MONTH,
            B_METRICS, "漏报", "me")  # 300 more would pass 500
    assert grid.correct(town.id, a.id, MONTH, A_METRICS, "漏报", "me").current.reward == 500
    assert issued(town) == 500 and balance(town, a.id) == 500
    assert [e.revision for e in grid.evaluations(town.id, MONTH, worker_id=other.id)] == [1]


def test_jf_grid_1_a_month_is_evaluated_only_once_it_has_ended_in_the_tenant_zone(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker) -> None:
    worker("乌兰", metrics=A_METRICS)
    clock = town.platform.clock
    assert isinstance(clock, MovableClock)
    error = refused("grid.month_not_ended", grid.evaluate, town.id, "2024-03")
    assert "2024-04-01T00:00:00+08:00" in error.message
    clock.set(datetime(2024, 3, 31, 15, 59, 59, tzinfo=UTC))  # 23:59:59 in Ordos
    refused("grid.month_not_ended", grid.evaluate, town.id, "2024-03")
    clock.set(datetime(2024, 3, 31, 16, 0, tzinfo=UTC))  # midnight in Ordos
    assert len(grid.evaluate(town.id, "2024-03").evaluated) == 1
    refused("grid.invalid_month", grid.evaluate, town.id, "2024-13")
    refused("grid.invalid_month", grid.evaluate, town.id, "March")
    assert [e.grade for e in grid.evaluations(town.id, "2024-03")] == ["C"]  # no March data


def test_jf_grid_1_workers_and_metrics_are_checked(town: ClaimsCity, grid: GridEvaluation) -> None:
    refused("grid.not_a_grid", grid.add_worker, town.id, "乌兰", "community")
    refused("not_found", grid.add_worker, town.id, "乌兰", "nowhere")
    resident = town.resident()
    refused("grid.not_a_worker", grid.record_metrics, town.id, resident.id, MONTH, A_METRICS)
    refused("not_found", grid.record_metrics, town.id, uuid.uuid4(), MONTH, A_METRICS)
    a = grid.add_worker(town.id, "乌兰", "grid-1", external_ref="hr:17")
    grid.record_metrics(town.id, a.id, MONTH, C_METRICS)
    grid.record_metrics(town.id, a.id, MONTH, A_METRICS)  # an upsert until evaluated
    assert grid.metrics(town.id, a.id, MONTH) == A_METRICS
    assert grid.metrics(town.id, a.id, "2024-01") == Metrics()
    assert [w.grid for w in grid.workers(town.id)] == ["grid-1"]
    recorded = town.platform.audit_log(town.id, action="grid.metrics_recorded")
    assert [e.data["orders_done"] for e in recorded] == ["5", "20"]


def test_jf_grid_1_metrics_import_from_csv_is_all_or_nothing(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker, tmp_path: Path) -> None:
    a, b = worker("乌兰"), grid.add_worker(town.id, "巴特尔", "grid-2", external_ref="hr:2")
    good = tmp_path / "m.csv"
    good.write_text("worker,month,orders_done,ratings_count,ratings_sum,inspections\n"
                    f"{a.code},{MONTH},20,2,10,30\n{a.code},2024-01,3,,,\n", encoding="utf-8")
    assert grid.import_metrics(town.id, load_metrics_csv(good)) == 2
    assert grid.metrics(town.id, a.id, MONTH) == Metrics(orders_done=20, ratings_count=2,
                                                         ratings_sum=10, inspections=30)
    by_ref = tmp_path / "r.csv"
    by_ref.write_text(f"external_ref,month,orders_done\nhr:2,{MONTH},7\nhr:9,{MONTH},1\n",
                      encoding="utf-8")
    with pytest.raises(JifenError, match="line 3: no grid worker with external_ref 'hr:9'"):
        grid.import_metrics(town.id, load_metrics_csv(by_ref))
    assert grid.metrics(town.id, b.id, MONTH) == Metrics()  # nothing of that file recorded
    for text, message in [
        ("worker,month,orders_done\nX,2024-02,-1\n", "line 2: orders_done: '-1'"),
        ("worker,month,ratings_count,ratings_sum\nX,2024-02,1,6\n", "line 2: 1 ratings"),
        ("worker,month\nX,2024-2\n", "line 2: '2024-2' is not a month"),
        ("worker,month,bonus\n", "unknown column"),
        ("month,orders_done\n", "one of worker"),
    ]:
        bad = tmp_path / "bad.csv"
        bad.write_text(text, encoding="utf-8")
        with pytest.raises(JifenError, match=message):
            load_metrics_csv(bad)


def test_jf_grid_1_publishing_a_formula_is_versioned_and_audited(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker) -> None:
    assert grid.formula(town.id).version == 0 and grid.formula(town.id).formula == Formula()
    strict = Formula.model_validate({"grades": [
        {"grade": "A", "min_score": "99", "points": 800}, {"grade": "B", "min_score": 75,
                                                           "points": 200},
        {"grade": "C", "min_score": 0, "points": 0}]})
    published = grid.publish_formula(town.id, strict, published_by="区网格中心")
    assert (published.version, published.published_by) == (1, "区网格中心")
    assert grid.publish_formula(town.id, strict, published_by="again") == published  # unchanged
    [entry] = town.platform.audit_log(town.id, action="grid.formula_published")
    assert entry.actor == "区网格中心" and entry.data["version"] == "1"
    assert '"min_score": "99.0"' in entry.data["formula"]
    refused("not_found", grid.publish_formula, town.id, Formula(pool="nowhere"), published_by="x")
    refused("input.invalid", grid.publish_formula, town.id, Formula(), published_by=" ")

    a = worker("乌兰", metrics=B_METRICS.model_copy(update={"orders_done": 20}))
    [evaluation] = grid.evaluate(town.id, MONTH).evaluated
    assert (evaluation.formula_version, evaluation.grade, evaluation.reward) == (1, "B", 200)
    assert grid.publish_formula(town.id, Formula(), published_by="x").version == 2
    fixed = grid.correct(town.id, a.id, MONTH, A_METRICS, "漏报", "x")  # same version as before
    assert (fixed.current.formula_version, fixed.current.reward) == (1, 800)


def test_jf_grid_1_rewards_come_from_the_formulas_pool(platform: Platform,
                                                       grid: GridEvaluation) -> None:
    sponsor = {"code": "sponsor", "name": "赞助", "owner": "银行", "limit_points": 10_000}
    town = make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}",
                                                  pools=[TEST_POOL, sponsor]))
    grid.publish_formula(town.id, Formula(pool="sponsor"), published_by="x")
    a = grid.add_worker(town.id, "乌兰", "grid-1")
    grid.record_metrics(town.id, a.id, MONTH, A_METRICS)
    [evaluation] = grid.evaluate(town.id, MONTH).evaluated
    assert evaluation.pool == "sponsor" and issued(town, "sponsor") == 500
    assert issued(town) == 0


def test_jf_grid_1_no_pool_anywhere_refuses_only_when_rewards_are_due(
        platform: Platform, grid: GridEvaluation) -> None:
    town = make_claims_city(platform, make_config(f"t-{uuid.uuid4().hex[:12]}", pools=[],
                                                  catalogue=[]))
    a = grid.add_worker(town.id, "乌兰", "grid-1")
    assert grid.evaluate(town.id, MONTH).evaluated[0].grade == "C"  # nothing due: fine
    other = grid.add_worker(town.id, "巴特尔", "grid-1")
    grid.record_metrics(town.id, other.id, MONTH, A_METRICS)
    refused("grid.no_pool", grid.evaluate, town.id, MONTH)
    assert [e.worker_id for e in grid.evaluations(town.id, MONTH)] == [a.id]


def test_jf_grid_1_rankings_per_street_and_district(platform: Platform,
                                                   grid: GridEvaluation) -> None:
    town = tenant_with_tree(platform)
    people = {}
    for name, unit, metrics in [("甲", "grid-1", B_METRICS), ("乙", "grid-2", A_METRICS),
                                ("丙", "grid-2", B_METRICS), ("丁", "grid-3", C_METRICS),
                                ("戊", "grid-4", A_METRICS)]:
        people[name] = grid.add_worker(town.id, name, unit)
        grid.record_metrics(town.id, people[name].id, MONTH, metrics)
    grid.evaluate(town.id, MONTH)
    streets = grid.ranking(town.id, MONTH, "street")
    assert [g.unit_code for g in streets] == ["street", "street-2", "street-3"]
    s1 = streets[0].entries
    tied = sorted([people["甲"], people["丙"]], key=lambda w: w.code)  # ties by worker code
    assert [e.worker_id for e in s1] == [people["乙"].id, *(w.id for w in tied)]
    assert [e.rank for e in s1] == [1, 2, 3] and s1[1].score == s1[2].score
    assert (s1[0].score, s1[0].grade, s1[0].reward, s1[0].grid) == (Decimal("100.0"), "A", 500,
                                                                     "grid-2")
    districts = grid.ranking(town.id, MONTH, "district")
    assert [(g.unit_code, g.level, len(g.entries)) for g in districts] == [
        ("d1", "district", 4), ("d2", "district", 1)]
    assert districts[0].entries[-1].name == "丁"
    assert grid.ranking(town.id, "2024-01", "street") == []
    refused("grid.invalid_level", grid.ranking, town.id, MONTH, "grid")

    fixed = grid.correct(town.id, people["丁"].id, MONTH, A_METRICS, "补录", "x")
    assert fixed.current.score == Decimal("100.0")
    d1 = grid.ranking(town.id, MONTH, "district")[0].entries
    assert [e.worker_id for e in d1[:2]] == sorted([people["乙"].id, people["丁"].id],
                                                   key=lambda i: next(
                                                       w.code for w in people.values()
                                                       if w.id == i))


@pytest.mark.postgres_only
def test_jf_grid_2_concurrent_runs_reward_each_worker_once(
        town: ClaimsCity, grid: GridEvaluation, worker: MakeWorker) -> None:
    people = [worker(f"网格员{i}", metrics=A_METRICS) for i in range(6)]
    start = threading.Barrier(4)

    def run(_: int) -> EvaluationReport:
        start.wait()
        return grid.evaluate(town.id, MONTH, batch_size=2)

    with ThreadPoolExecutor(4) as pool:
        reports = list(pool.map(run, range(4)))
    assert sum(len(r.evaluated) for r in reports) == 6
    assert [balance(town, w.id) for w in people] == [500] * 6 and issued(town) == 3000
    assert town.platform.audit(town.id).ok
