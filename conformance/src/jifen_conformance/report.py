"""The conformance report: JSON (``docs/conformance/report.md`` describes every field), rendered
per profile as Markdown or HTML with a verdict. MUST failures block; SHOULD failures warn."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from jifen_conformance import STANDARD_VERSION, SUITE_VERSION
from jifen_conformance.driver import Implementation
from jifen_conformance.requirements import PROFILES, load

REPORT_FORMAT = 1
OUTCOMES = ("passed", "failed", "skipped", "xfailed", "inapplicable", "not_run")


@dataclass
class CheckResult:
    """One case or Python check, as run."""

    id: str
    clauses: list[str]
    level: str
    outcome: str
    """passed, failed, skipped (unsupported), xfailed (listed as expected), inapplicable,
    not_run (profile not selected)"""
    step: str | None = None
    message: str | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class RunInfo:
    driver: str
    implementation: Implementation
    profiles_selected: list[str]
    certify: bool = False
    expected_failures: dict[str, str] = field(default_factory=dict)


def clause_status(results: list[CheckResult], not_tested: str | None, claimed: bool,
                  selected: bool) -> str:
    if not claimed:
        return "inapplicable"
    if not selected:
        return "not_run"
    if not results:
        return "not_tested" if not_tested else "untested"
    outcomes = {r.outcome for r in results}
    if "failed" in outcomes:
        return "fail"
    if "xfailed" in outcomes:
        return "expected_fail"
    if "skipped" in outcomes:
        return "skip"
    return "pass"


def build(info: RunInfo, results: Iterable[CheckResult]) -> dict[str, Any]:
    results = list(results)
    by_clause: dict[str, list[CheckResult]] = {}
    for result in results:
        for clause_id in result.clauses:
            by_clause.setdefault(clause_id, []).append(result)
    claimed = set(info.implementation.profiles)
    clauses = []
    for clause in load().clauses:
        if clause.withdrawn:
            continue
        mine = by_clause.get(clause.id, [])
        status = clause_status(mine, clause.not_tested, clause.profile in claimed,
                               clause.profile in info.profiles_selected)
        row: dict[str, Any] = {"id": clause.id, "level": clause.level,
                               "profile": clause.profile, "status": status,
                               "checks": [r.as_json() for r in mine]}
        if status == "not_tested":
            row["not_tested"] = clause.not_tested
        failing = next((r for r in mine if r.outcome in ("failed", "xfailed")), None)
        if failing is not None:
            row["failing_check"] = failing.id
            row["failing_step"] = failing.step
            row["message"] = failing.message
        clauses.append(row)
    profiles = {p: _verdict(p, p in claimed, p in info.profiles_selected,
                            [c for c in clauses if c["profile"] == p]) for p in PROFILES}
    conforming = [p for p in PROFILES if profiles[p]["verdict"] == "conforms"]
    return {
        "format": REPORT_FORMAT,
        "suite": {"name": "jifen-conformance", "version": SUITE_VERSION},
        "standard": STANDARD_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "driver": info.driver,
        "certify": info.certify,
        "implementation": {"name": info.implementation.name,
                           "version": info.implementation.version,
                           "profiles_claimed": info.implementation.profiles,
                           "capabilities": info.implementation.capabilities,
                           "plugins": info.implementation.plugins},
        "profiles_selected": info.profiles_selected,
        "expected_failures": info.expected_failures,
        "verdict": ("conforms to " + ", ".join(conforming)) if conforming
        else "conforms to no profile",
        "profiles": profiles,
        "clauses": clauses,
        "checks": [r.as_json() for r in results],
    }


def _verdict(profile: str, claimed: bool, selected: bool, rows: list[dict[str, Any]]
             ) -> dict[str, Any]:
    def ids(level: str, *statuses: str) -> list[str]:
        return [r["id"] for r in rows if r["level"] == level and r["status"] in statuses]

    summary: dict[str, Any] = {
        "claimed": claimed,
        "must_failed": ids("MUST", "fail", "expected_fail"),
        "must_incomplete": ids("MUST", "skip", "untested"),
        "should_failed": ids("SHOULD", "fail", "expected_fail"),
        "passed": len([r for r in rows if r["status"] == "pass"]),
        "clauses": len(rows),
    }
    if not claimed:
        verdict = "inapplicable"
    elif not selected:
        verdict = "not_run"
    elif summary["must_failed"]:
        verdict = "does_not_conform"
    elif summary["must_incomplete"]:
        verdict = "incomplete"
    else:
        verdict = "conforms"
    summary["verdict"] = verdict
    summary["warnings"] = [f"SHOULD clause {c} fails" for c in summary["should_failed"]]
    return summary


# --- rendering -------------------------------------------------------------------------------

VERDICT_TEXT = {
    "conforms": "conforms",
    "does_not_conform": "does NOT conform (MUST clauses fail)",
    "incomplete": "incomplete (MUST clauses skipped or without checks)",
    "inapplicable": "inapplicable (profile not claimed)",
    "not_run": "not run (profile not selected)",
}


def to_markdown(report: dict[str, Any]) -> str:
    impl = report["implementation"]
    lines = [
        f"# Conformance report: {impl['name']} {impl['version']}",
        "",
        f"**Verdict: {report['verdict']}.**",
        "",
        f"- suite: {report['suite']['name']} {report['suite']['version']}, "
        f"standard {report['standard']}",
        f"- driver: {report['driver']}; certify mode: {'yes' if report['certify'] else 'no'}",
        f"- profiles claimed: {', '.join(impl['profiles_claimed']) or 'none'}",
        f"- generated: {report['generated_at']}",
        "",
        "| profile | verdict | clauses passed | MUST failed | MUST incomplete | SHOULD failed |",
        "|---|---|---|---|---|---|",
    ]
    for name, p in report["profiles"].items():
        lines.append(f"| {name} | {VERDICT_TEXT[p['verdict']]} | {p['passed']}/{p['clauses']} "
                     f"| {', '.join(p['must_failed']) or '—'} "
                     f"| {', '.join(p['must_incomplete']) or '—'} "
                     f"| {', '.join(p['should_failed']) or '—'} |")
    if report.get("expected_failures"):
        lines += ["", "## Expected failures (not allowed in certify mode)", ""]
        lines += [f"- `{k}`: {v}" for k, v in report["expected_failures"].items()]
    failures = [c for c in report["clauses"] if c["status"] in ("fail", "expected_fail")]
    if failures:
        lines += ["", "## Failing clauses", ""]
        for c in failures:
            lines.append(f"- **{c['id']}** ({c['level']}): `{c.get('failing_check')}` — "
                         f"{c.get('failing_step') or ''} {c.get('message') or ''}".rstrip())
    for name in report["profiles"]:
        rows = [c for c in report["clauses"] if c["profile"] == name]
        lines += ["", f"## {name}", "", "| clause | level | status | checks |", "|---|---|---|---|"]
        for c in rows:
            checks = ", ".join(f"{x['id']} ({x['outcome']})" for x in c["checks"])
            if c["status"] == "not_tested":
                checks = f"not tested: {c['not_tested']}"
            lines.append(f"| {c['id']} | {c['level']} | {c['status']} | {checks or '—'} |")
    return "\n".join(lines) + "\n"


def to_html(report: dict[str, Any]) -> str:
    body: list[str] = []
    in_table = False
    for line in to_markdown(report).splitlines():
        if line.startswith("|---"):
            continue
        if line.startswith("|") != in_table:
            body.append("<table>" if not in_table else "</table>")
            in_table = not in_table
        if line.startswith("# "):
            body.append(f"<h1>{html.escape(line[2:])}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{html.escape(line[3:])}</h2>")
        elif line.startswith("|"):
            cells = [html.escape(c.strip()) for c in line.strip("|").split("|")]
            body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        elif line:
            body.append(f"<p>{html.escape(line.lstrip('- '))}</p>")
    if in_table:
        body.append("</table>")
    return ("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Conformance report"
            "</title></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
