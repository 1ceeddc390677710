"""Rich renderings shared by the command line and the demo: a score with its explanation."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from rich.console import Console
from rich.table import Table
from sqlalchemy import Connection, select

from jifen.model.points import format_minor
from jifen.scoring import Score
from jifen.store import tables as t


def approver_names(conn: Connection, tenant_id: uuid.UUID, score: Score) -> dict[str, str]:
    """The names of the approvers a score's lines name (their subject ids)."""
    ids = {uuid.UUID(line.approver) for line in score.lines
           if line.approver not in ("", "auto")}
    rows = conn.execute(select(t.subjects.c.id, t.subjects.c.name).where(
        t.subjects.c.tenant_id == tenant_id, t.subjects.c.id.in_(ids))).all() if ids else []
    return {str(row.id): row.name for row in rows}


def print_score(console: Console, score: Score, name: str, *, lines: int = 12,
                names: Mapping[str, str] | None = None) -> None:
    """The score, its categories, and its postings down to item, evidence and approver
    (JF-SCORE-2). ``lines`` limits the postings shown (the rest are counted); ``names`` maps
    approver ids to names."""
    names = names or {}
    basis = "" if score.basis_subject_id == score.subject_id else " (a guardian's score, JF-SUB-2)"
    window = f", window from {score.window_start:%Y-%m-%d}" if score.window_start else ""
    console.print(f"[bold]{name}[/bold]: contribution score {score.value}{basis} as of "
                  f"{score.as_of:%Y-%m-%d}, method {score.method} v{score.method_version}"
                  f"{window}")
    by_category = Table("category", "points", "weight", "contribution",
                        title="by category (JF-SCORE-1)")
    for category in score.categories:
        by_category.add_row(category.category, format_minor(category.points, 1),
                            str(category.weight), str(category.contribution))
    console.print(by_category)
    postings = Table("posted", "item", "deed", "points", "counted", "evidence", "approver",
                     title="by posting (JF-SCORE-2)")
    for line in score.lines[:lines]:
        postings.add_row(f"{line.posted_at:%Y-%m-%d}", line.item,
                         str(line.deed_date or ""), format_minor(line.amount, 1),
                         str(line.contribution) if line.counted else f"no: {line.excluded_reason}",
                         line.evidence[:10], names.get(line.approver, line.approver))
    console.print(postings)
    if len(score.lines) > lines:
        console.print(f"… and {len(score.lines) - lines} more postings; the contributions of "
                      f"all {len(score.lines)} add up to {score.value}")
