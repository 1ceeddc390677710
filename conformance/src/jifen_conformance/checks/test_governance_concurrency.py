"""Governance under concurrency: exactly one department's grab wins an order (JF-ORD-2); one
resident's simultaneous answers earn one reward (JF-ENG-1); simultaneous runs of a month
reward each grid worker once (JF-GRID-2)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from jifen_conformance.cases import DEFAULT_START, load_config
from jifen_conformance.checks.test_concurrency import THREADS, _race
from jifen_conformance.driver import ActionError, Driver, SubjectSpec

REVIEWER = SubjectSpec("rev", org_unit="grid-2", roles=[("reviewer", "community")])
DEPARTMENTS = [SubjectSpec(f"dept-{i}", type="department", org_unit="district")
               for i in range(THREADS)]


def _tenant(driver: Driver, subjects: list[SubjectSpec]) -> Any:
    driver.set_clock(DEFAULT_START)
    config = load_config("standard")
    config["code"] = f"cf-{uuid.uuid4().hex[:10]}-gov"
    return driver.create_tenant(config, subjects)


def _split(outcomes: list[Any]) -> tuple[list[Any], list[ActionError]]:
    others = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ActionError)]
    assert not others, f"unexpected errors: {others!r}"
    return ([o for o in outcomes if not isinstance(o, Exception)],
            [o for o in outcomes if isinstance(o, ActionError)])


@pytest.mark.clause("JF-ORD-2", level="MUST")
@pytest.mark.requires("concurrency")
def test_exactly_one_concurrent_grab_wins(jf_driver: Driver) -> None:
    tenant = _tenant(jf_driver, [REVIEWER, *DEPARTMENTS])
    for spec in DEPARTMENTS:
        jf_driver.act(tenant, "set_remit", {"department": spec.name,
                                            "categories": ["sanitation"]}, None)
    order = jf_driver.act(tenant, "post_order", {
        "community": "community", "grid": "grid-1", "category": "sanitation",
        "description": "垃圾站满溢", "deadline": "2024-03-04T02:00:00Z", "reward": 100}, "rev")
    won, lost = _split(_race(lambda i: jf_driver.act(
        tenant, "grab_order", {"order": order["id"]}, DEPARTMENTS[i].name)))
    assert len(won) == 1, (won, lost)
    assert all(r.code == "order.already_grabbed" for r in lost), lost
    held = jf_driver.act(tenant, "order", {"order": order["id"]}, None)
    assert held["state"] == "grabbed" and held["department"] == won[0]["department"]


@pytest.mark.clause("JF-ENG-1", level="MUST")
@pytest.mark.requires("concurrency")
def test_concurrent_answers_of_one_resident_earn_one_reward(jf_driver: Driver) -> None:
    tenant = _tenant(jf_driver, [SubjectSpec("alice")])
    jf_driver.act(tenant, "publish_survey", {
        "code": "race", "title": "问卷", "organiser": "城管局", "pool": "test-pool", "reward": 50,
        "opens_at": "2024-01-01T00:00:00Z", "closes_at": "2025-01-01T00:00:00Z",
        "questions": [{"id": "q", "text": "同意吗", "choices": ["yes", "no"]}]}, None)
    won, lost = _split(_race(lambda i: jf_driver.act(
        tenant, "answer_survey", {"survey": "race", "answers": {"q": "yes"}, "key": f"k{i}"},
        "alice")))
    assert len(won) == 1, (won, lost)
    assert all(r.code == "survey.already_answered" for r in lost), lost
    balance = jf_driver.act(tenant, "balance", {"subject": "alice", "kind": "material"}, None)
    assert balance["minor"] == 50


@pytest.mark.clause("JF-GRID-2", level="MUST")
@pytest.mark.requires("concurrency")
def test_concurrent_runs_of_a_month_reward_each_worker_once(jf_driver: Driver) -> None:
    workers = [SubjectSpec(f"worker-{i}", type="grid_worker", org_unit="grid-1")
               for i in range(3)]
    tenant = _tenant(jf_driver, workers)
    for spec in workers:
        jf_driver.act(tenant, "record_grid_metrics", {
            "worker": spec.name, "month": "2024-02",
            "metrics": {"orders_done": 20, "inspections": 30}}, None)
    _split(_race(lambda i: jf_driver.act(tenant, "evaluate_grid_month", {"month": "2024-02"},
                                         None)))
    for spec in workers:
        balance = jf_driver.act(tenant, "balance", {"subject": spec.name, "kind": "material"},
                                None)
        assert balance["minor"] == 300, (spec.name, balance)  # 85.0 with no ratings: B
    found = jf_driver.act(tenant, "grid_evaluations", {"month": "2024-02",
                                                       "all_revisions": True}, None)
    assert len(found) == len(workers), found
