"""Proof that the suite can fail: each deliberately broken implementation fails on its clause."""

from __future__ import annotations

from typing import Any

import pytest

from jifen_conformance.broken import EXPECTED_FAILURES, PROFILE_BROKEN


@pytest.mark.parametrize("name", sorted(EXPECTED_FAILURES))
def test_the_suite_fails_a_broken_implementation_on_its_clause(run_suite: Any, name: str
                                                               ) -> None:
    profiles = PROFILE_BROKEN.get(name, "core")
    run = run_suite("--jf-driver", "inprocess", "--jf-profiles", profiles,
                    "--jf-adapter", f"jifen_conformance.broken:{name}")
    assert run.report is not None, run.output
    failed = run.clauses("fail")
    assert EXPECTED_FAILURES[name] <= failed, (name, failed, run.output[-3000:])
    assert run.returncode != 0
    assert run.report["profiles"][profiles.split(",")[0]]["verdict"] == "does_not_conform"
    for clause in EXPECTED_FAILURES[name]:
        row = next(c for c in run.report["clauses"] if c["id"] == clause)
        assert row["failing_check"] and row["message"], row
