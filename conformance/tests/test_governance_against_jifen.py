"""The governance profile against jifen, in process and over HTTP on loopback, on SQLite and
(with JIFEN_TEST_POSTGRES_URL) PostgreSQL: every clause of the profile passes (its MUST
clauses and the SHOULD JF-ORD-4), nothing fails, nothing is skipped."""

from __future__ import annotations

from typing import Any

import pytest

GOVERNANCE_MUST = {"JF-GRID-1", "JF-GRID-2", "JF-ORD-1", "JF-ORD-2", "JF-ORD-3", "JF-ENG-1"}
DRIVERS = {"inprocess": [], "http": ["--jf-provisioner",
                                     "jifen_conformance.adapters.jifen_http:LoopbackJifen"]}


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_jifen_passes_every_governance_must_clause(run_suite: Any, database_url: str,
                                                   driver: str) -> None:
    run = run_suite("--jf-driver", driver, "--jf-profiles", "governance", *DRIVERS[driver],
                    env={"JF_JIFEN_DATABASE_URL": database_url, "JF_JIFEN_MIGRATE": "0"})
    assert run.report is not None, run.output
    assert run.clauses("fail") == set(), run.output
    assert run.clauses("pass") >= GOVERNANCE_MUST | {"JF-ORD-4"}, run.output  # and the SHOULD
    checks = [c for c in run.report["checks"] if set(c["clauses"]) & GOVERNANCE_MUST]
    assert checks and all(c["outcome"] == "passed" for c in checks), checks
    assert run.report["profiles"]["governance"]["verdict"] == "conforms"
    assert run.returncode == 0, run.output
