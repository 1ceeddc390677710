"""The scenarios profile against jifen through both drivers, on SQLite and (with
JIFEN_TEST_POSTGRES_URL) PostgreSQL: every SCN clause passes, and the scenario cases that cite
JF-PRIV-4 and JF-CODE-2 pass with them; nothing fails."""

from __future__ import annotations

from typing import Any

import pytest

SCENARIO_CLAUSES = {"JF-SCN-1", "JF-SCN-2", "JF-SCN-3", "JF-SCN-4", "JF-SCN-5", "JF-PRIV-4",
                    "JF-CODE-2"}
DRIVERS = {
    "inprocess": ("--jf-driver", "inprocess"),
    "http": ("--jf-driver", "http", "--jf-provisioner",
             "jifen_conformance.adapters.jifen_http:LoopbackJifen"),
}


@pytest.mark.parametrize("driver", sorted(DRIVERS))
def test_jf_scn_jifen_passes_the_scenarios_profile(run_suite: Any, database_url: str,
                                                   driver: str) -> None:
    run = run_suite(*DRIVERS[driver], "--jf-profiles", "scenarios",
                    env={"JF_JIFEN_DATABASE_URL": database_url, "JF_JIFEN_MIGRATE": "0"})
    assert run.report is not None, run.output
    assert run.clauses("fail") == set(), run.output
    assert {c for c in SCENARIO_CLAUSES if c.startswith("JF-SCN")} <= run.clauses("pass")
    cited = {clause: [c["outcome"] for c in run.report["checks"] if clause in c["clauses"]]
             for clause in SCENARIO_CLAUSES}  # JF-PRIV-4 (core) and JF-CODE-2 (redemption) too
    assert all(outcomes and set(outcomes) == {"passed"} for outcomes in cited.values()), cited
    assert run.report["profiles"]["scenarios"]["verdict"] == "conforms", run.report["profiles"]
    assert run.returncode == 0, run.output
