"""``jifen-conformance``: coverage of the standard by the suite, the clause matrix, reports.

    jifen-conformance coverage [--profiles core,redemption]   # exit 1 if a MUST clause has
                                                              # neither a check nor a reason
    jifen-conformance matrix > docs/conformance/matrix.md
    jifen-conformance report report.json [--format md|html]
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from pathlib import Path

from jifen_conformance import STANDARD_VERSION, SUITE_VERSION
from jifen_conformance import checks as checks_package
from jifen_conformance.cases import all_cases
from jifen_conformance.report import to_html, to_markdown
from jifen_conformance.requirements import PROFILES, coverage, load, missing

#: MUST clauses the suite has no check for yet, nor a reason: work left, pinned so that the
#: list only shrinks (a test compares it with what `coverage` finds).
PENDING: dict[str, str] = {}


def clause_tags() -> dict[str, list[str]]:
    """Clause id → ids of the YAML cases and Python checks that cite it."""
    tags: dict[str, list[str]] = {}
    for _path, _file, case in all_cases():
        for clause in case.clauses:
            tags.setdefault(clause, []).append(case.id)
    for path in sorted(Path(checks_package.__path__[0]).glob("test_*.py")):
        for name, clauses in _clause_marks(path):
            for clause in clauses:
                tags.setdefault(clause, []).append(f"{path.stem}::{name}")
    return tags


def _clause_marks(path: Path) -> list[tuple[str, list[str]]]:
    """``(function, clause ids)`` for each ``@pytest.mark.clause(...)`` test in a check module,
    read from its source (importing it is not needed)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.FunctionDef) or not node.name.startswith("test_"):
            continue
        for decorator in node.decorator_list:
            if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                    and decorator.func.attr == "clause"):
                found.append((node.name, [a.value for a in decorator.args
                                          if isinstance(a, ast.Constant)
                                          and isinstance(a.value, str)]))
    return found


def unknown_tags(tags: dict[str, list[str]]) -> list[str]:
    known = {c.id for c in load().clauses}
    return sorted(set(tags) - known)


def matrix() -> str:
    rows = coverage(clause_tags())
    lines = [
        "# Clause matrix",
        "",
        f"Generated from the requirements table by `jifen-conformance matrix` (suite "
        f"{SUITE_VERSION}, standard {STANDARD_VERSION}). Do not edit: a test checks that it is "
        "current.",
        "",
    ]
    for profile in PROFILES:
        lines += [f"## {profile}", "", "| clause | level | checks | status |", "|---|---|---|---|"]
        for row in rows:
            if row.clause.profile != profile:
                continue
            checks = "<br>".join(f"`{c}`" for c in row.cases)
            if not checks and row.clause.not_tested:
                checks = f"not tested: {row.clause.not_tested}"
            status = row.status
            if status == "MISSING" and row.clause.id in PENDING:
                status = f"pending: {PENDING[row.clause.id]}"
            lines.append(f"| {row.clause.id} | {row.clause.level} | {checks or '—'} | {status} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jifen-conformance", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cov = sub.add_parser("coverage", help="check that every MUST clause is tested or explained")
    cov.add_argument("--profiles", default=",".join(PROFILES))
    sub.add_parser("matrix", help="print the clause matrix (Markdown)")
    rep = sub.add_parser("report", help="render a JSON report")
    rep.add_argument("report", type=Path)
    rep.add_argument("--format", choices=["md", "html", "json"], default="md")
    sub.add_parser("version", help="suite and standard versions")
    args = parser.parse_args(argv)

    if args.command == "version":
        print(f"jifen-conformance {SUITE_VERSION} checks standard {STANDARD_VERSION}")
        return 0
    if args.command == "matrix":
        sys.stdout.write(matrix())
        return 0
    if args.command == "report":
        report = json.loads(args.report.read_text(encoding="utf-8"))
        if args.format == "json":
            print(json.dumps(report, indent=2, ensure_ascii=False))
        else:
            sys.stdout.write(to_markdown(report) if args.format == "md" else to_html(report))
        return 0
    tags = clause_tags()
    profiles = tuple(p.strip() for p in args.profiles.split(",") if p.strip())
    rows = coverage(tags)
    bad_tags = unknown_tags(tags)
    lacking = missing(rows, profiles)
    for row in rows:
        if row.clause.profile in profiles:
            print(f"{row.clause.id:12} {row.clause.level:6} {row.status:28} "
                  f"{', '.join(row.cases)}")
    if bad_tags:
        print(f"checks cite clauses the standard lacks: {', '.join(bad_tags)}")
    if lacking:
        print(f"\n{len(lacking)} MUST clause(s) with neither a check nor a not-tested reason: "
              f"{', '.join(lacking)}")
    return 1 if lacking or bad_tags else 0


if __name__ == "__main__":
    sys.exit(main())
