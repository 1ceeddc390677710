"""The requirements table: every clause of the standard with its level, profile and, where a
black-box test cannot check it, the reason (``requirements.yaml``, generated from the standard by
``conformance/scripts/requirements_from_standard.py``)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Literal

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict

Level = Literal["MUST", "SHOULD", "MAY"]
PROFILES = ("core", "redemption", "scenarios", "governance")


class Clause(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    level: Level
    area: str
    profile: str
    text: str
    note: str | None = None
    withdrawn: bool = False
    not_tested: str | None = None
    """Why no test checks this clause from outside, when none can."""


class Requirements(BaseModel):
    model_config = ConfigDict(frozen=True)

    standard: str
    clauses: tuple[Clause, ...]

    def get(self, clause_id: str) -> Clause:
        for clause in self.clauses:
            if clause.id == clause_id:
                return clause
        raise KeyError(f"no clause {clause_id} in the requirements table")

    def of_profile(self, profile: str) -> list[Clause]:
        return [c for c in self.clauses if c.profile == profile]


@cache
def load() -> Requirements:
    """The packaged requirements table."""
    text = resources.files("jifen_conformance").joinpath("requirements.yaml").read_text("utf-8")
    return Requirements.model_validate(yaml.safe_load(text))


class CoverageRow(BaseModel):
    clause: Clause
    cases: list[str]

    @property
    def status(self) -> str:
        if self.cases:
            return "tested"
        if self.clause.not_tested:
            return "not tested (reason given)"
        return "MISSING" if self.clause.level == "MUST" else "untested"


def coverage(tags: dict[str, list[str]]) -> list[CoverageRow]:
    """Per clause, the checks (case ids) that cite it; ``tags`` maps clause id → case ids."""
    return [CoverageRow(clause=c, cases=sorted(tags.get(c.id, []))) for c in load().clauses
            if not c.withdrawn]


def missing(rows: list[CoverageRow], profiles: tuple[str, ...] = PROFILES) -> list[str]:
    """MUST clauses of ``profiles`` with neither a check nor a not-tested reason."""
    return [r.clause.id for r in rows if r.status == "MISSING" and r.clause.profile in profiles]
