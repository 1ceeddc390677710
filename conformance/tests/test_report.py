"""The report: verdicts per profile, rendering, expected failures and certify mode."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jifen_conformance import cli
from jifen_conformance.cases import all_cases
from jifen_conformance.driver import Implementation
from jifen_conformance.report import CheckResult, RunInfo, build, to_html, to_markdown


def _report(results: list[CheckResult], profiles: list[str] | None = None) -> dict[str, Any]:
    info = RunInfo(driver="inprocess", implementation=Implementation(
        name="demo", version="1.0", profiles=profiles or ["core"]),
        profiles_selected=["core", "redemption", "scenarios", "governance"])
    return build(info, results)


def test_a_must_failure_blocks_and_names_the_failing_step() -> None:
    report = _report([CheckResult("led-no-overdraft", ["JF-LED-4"], "MUST", "failed",
                                  step="step 2 (spend)", message="expected refusal")])
    row = next(c for c in report["clauses"] if c["id"] == "JF-LED-4")
    assert row["status"] == "fail" and row["failing_step"] == "step 2 (spend)"
    assert report["profiles"]["core"]["verdict"] == "does_not_conform"
    assert report["profiles"]["redemption"]["verdict"] == "inapplicable"
    assert report["verdict"] == "conforms to no profile"


def test_a_should_failure_warns_only() -> None:
    results = [CheckResult(f"c-{c['id']}", [c["id"]], "MUST", "passed")
               for c in _report([])["clauses"] if c["profile"] == "core"]
    results.append(CheckResult("org-3", ["JF-ORG-3"], "SHOULD", "failed"))
    report = _report(results)
    assert report["profiles"]["core"]["verdict"] == "conforms"
    assert report["profiles"]["core"]["warnings"] == ["SHOULD clause JF-ORG-3 fails"]
    assert report["verdict"] == "conforms to core"


def test_unclaimed_profiles_are_inapplicable_never_passed() -> None:
    report = _report([CheckResult("code", ["JF-CODE-1"], "MUST", "passed")])
    assert next(c for c in report["clauses"] if c["id"] == "JF-CODE-1")["status"] == "inapplicable"


def test_markdown_and_html_rendering(tmp_path: Path, capsys: Any) -> None:
    report = _report([CheckResult("led-no-overdraft", ["JF-LED-4"], "MUST", "failed",
                                  step="step 2 (spend)", message="boom <b>")])
    markdown = to_markdown(report)
    assert "**Verdict: conforms to no profile.**" in markdown
    assert "| core | does NOT conform" in markdown
    assert "- **JF-LED-4** (MUST): `led-no-overdraft` — step 2 (spend) boom <b>" in markdown
    page = to_html(report)
    assert page.startswith("<!doctype html>") and "boom &lt;b&gt;" in page
    assert page.count("<table>") == page.count("</table>") >= 5
    path = tmp_path / "r.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    assert cli.main(["report", str(path), "--format", "html"]) == 0
    assert "<h1>" in capsys.readouterr().out


def test_expected_failures_need_reasons_and_are_refused_in_certify_mode(
        run_suite: Any, tmp_path: Path) -> None:
    listed = tmp_path / "xfail.yaml"
    listed.write_text("led-no-overdraft: ''\n", encoding="utf-8")
    run = run_suite("--jf-driver", "inprocess", "--jf-expected-failures", str(listed))
    assert run.returncode != 0 and "needs a reason" in run.output
    listed.write_text("kind-moral-exact-tenths: rounding bug, fixed in 2.1\n", encoding="utf-8")
    run = run_suite("--jf-driver", "inprocess", "--jf-certify",
                    "--jf-expected-failures", str(listed))
    assert run.returncode != 0 and "refused in certify mode" in run.output


def test_an_expected_failure_is_reported_as_such(run_suite: Any, tmp_path: Path) -> None:
    listed = tmp_path / "xfail.yaml"
    listed.write_text("kind-moral-exact-tenths: floats, fixed in 2.1\n"
                      "kind-material-whole-numbers: floats, fixed in 2.1\n"
                      "kind-moral-not-transferable: floats, fixed in 2.1\n", encoding="utf-8")
    run = run_suite("--jf-driver", "inprocess", "--jf-profiles", "core",
                    "--jf-adapter", "jifen_conformance.broken:FloatAmounts",
                    "--jf-expected-failures", str(listed), "-k", "kind")
    assert run.report is not None, run.output
    assert {"JF-KIND-1", "JF-KIND-2"} <= run.clauses("expected_fail")
    assert run.report["profiles"]["core"]["verdict"] == "does_not_conform"
    assert run.returncode == 0, run.output


def test_junit_xml_names_each_checks_clauses(run_suite: Any, tmp_path: Path) -> None:
    """pytest's own ``--junitxml`` carries the clause ids and level of every check, so a
    certifier's CI dashboard can group results by clause."""
    import xml.etree.ElementTree as ET

    junit = tmp_path / "junit.xml"
    run = run_suite("--jf-driver", "inprocess", "--jf-profiles", "core", "-k", "ledger",
                    f"--junitxml={junit}")
    assert run.returncode == 0, run.output
    cases = ET.parse(junit).getroot().iter("testcase")
    properties = [{p.get("name"): p.get("value") for p in case.iter("property")} for case in cases]
    assert properties and all(p.get("level") in ("MUST", "SHOULD", "MAY") for p in properties)
    assert any("JF-LED-4" in p["clauses"].split() for p in properties), properties


def test_a_case_needs_its_files_profile_claimed(run_suite: Any) -> None:
    """A scenarios case that also cites a core clause (JF-DUE-4, JF-PRIV-4) is inapplicable to an
    implementation claiming core only: it needs the scenario plugins, not just the core."""
    run = run_suite("--jf-driver", "inprocess", "--jf-profiles", "core", "-k", "scenario or round",
                    "--jf-adapter", "jifen_conformance.broken:ClaimsCoreOnly")
    assert run.report is not None, run.output
    outcomes = {c["id"]: c["outcome"] for c in run.report["checks"]}
    scenario_cases = {case.id for path, _file, case in all_cases() if path.parent.name == "scenarios"
                      and {"JF-DUE-4", "JF-PRIV-4"} & set(case.clauses)}
    assert scenario_cases and scenario_cases <= outcomes.keys(), outcomes
    assert {outcomes[i] for i in scenario_cases} == {"inapplicable"}, outcomes
    assert run.returncode == 0, run.output
