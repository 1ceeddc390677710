"""The requirements table, the coverage check and the clause matrix (JF-* coverage)."""

from __future__ import annotations

from pathlib import Path

import pytest

from jifen_conformance import cli
from jifen_conformance.cases import all_cases
from jifen_conformance.requirements import PROFILES, coverage, load, missing

ROOT = Path(__file__).resolve().parents[2]
STANDARD = ROOT.parent / "shared" / "standard-draft.md"
SCRIPT = ROOT / "conformance" / "scripts" / "requirements_from_standard.py"
MATRIX = ROOT / "docs" / "conformance" / "matrix.md"


def test_the_table_is_current_with_the_standard() -> None:
    if not STANDARD.exists():
        pytest.skip("the standard's text is not next to the workspace")
    import runpy

    module = runpy.run_path(str(SCRIPT))
    assert module["main"]([str(STANDARD), "--check"]) == 0, "rerun requirements_from_standard.py"


def test_every_clause_has_a_level_and_a_profile() -> None:
    table = load()
    assert len(table.clauses) == len({c.id for c in table.clauses}) >= 70
    assert {c.profile for c in table.clauses} == set(PROFILES)
    assert table.get("JF-LED-4").level == "MUST"


def test_case_ids_are_unique_and_cite_known_clauses() -> None:
    ids = [case.id for _path, _file, case in all_cases()]
    assert len(ids) == len(set(ids))
    assert cli.unknown_tags(cli.clause_tags()) == []


def test_every_must_clause_is_tested_explained_or_pending() -> None:
    lacking = set(missing(coverage(cli.clause_tags())))
    assert lacking == set(cli.PENDING), (
        f"newly uncovered: {sorted(lacking - set(cli.PENDING))}; "
        f"covered now, drop from PENDING: {sorted(set(cli.PENDING) - lacking)}")


def test_coverage_command_passes_for_core_and_scenarios_but_for_pending(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert set(cli.PENDING) & {c.id for c in load().of_profile("core")} == set()
    assert cli.main(["coverage", "--profiles", "core,scenarios"]) == 0
    assert "JF-PRIV-4" in capsys.readouterr().out  # covered by a scenarios case
    assert cli.PENDING == {}  # every MUST clause of every profile is covered
    assert cli.main(["coverage", "--profiles", "core,redemption,scenarios,governance"]) == 0


def test_the_docs_matrix_is_current() -> None:
    assert MATRIX.read_text(encoding="utf-8") == cli.matrix(), \
        "regenerate: uv run --frozen --no-sync jifen-conformance matrix > docs/conformance/matrix.md"
