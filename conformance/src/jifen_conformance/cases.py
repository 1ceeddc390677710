"""Cases as data: the YAML scenario format (``docs/conformance/case-format.md``) and its runner.

A case file holds one or more cases; each names the clauses it verifies, a tenant file (or a
named fixture config), subjects, a start time, and steps. A step is an action, a clock move or
an expectation about the result (``expect``: ``error`` code or ``match`` of a partial value).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field, field_validator

from jifen_conformance.driver import ActionError, Driver, SubjectSpec, Tenant

DEFAULT_START = datetime(2024, 3, 1, 2, 0, tzinfo=UTC)  # a Friday, 10:00 in Asia/Shanghai


class Expect(BaseModel):
    model_config = ConfigDict(extra="forbid")

    error: str | list[str] | None = None
    """The stable code (or one of the codes) the implementation must refuse with (``"*"``: any refusal)."""
    match: Any = None
    """A partial value the result must match (see the format's matching rules)."""


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    do: str | None = None
    """An action name; or use ``clock``."""
    as_: str | None = Field(default=None, alias="as")
    tenant: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    clock: str | None = None
    """``+5d``, ``+3h``, ``+61s`` or an ISO instant / date (a date means 10:00 Asia/Shanghai)."""
    save: str | None = None
    expect: Expect = Field(default_factory=Expect)
    note: str | None = None
    repeat: int = Field(default=1, ge=1, le=50)

    def label(self, index: int) -> str:
        what = f"clock {self.clock}" if self.clock else f"{self.do}"
        return f"step {index + 1} ({what}{' as ' + self.as_ if self.as_ else ''})"


class TenantGiven(BaseModel):
    model_config = ConfigDict(extra="forbid")

    config: str | dict[str, Any] = "standard"
    """A packaged config name (``cases/configs/<name>.yaml``) or an inline tenant file."""
    overrides: dict[str, Any] = Field(default_factory=dict)
    """Top-level keys replaced in the config (e.g. ``settings``)."""
    subjects: list[dict[str, Any]] = Field(default_factory=list)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    description: str
    clauses: list[str] = Field(min_length=1)
    level: str = "MUST"
    requires: list[str] = Field(default_factory=list)
    """Capabilities the case needs; skipped by name when the implementation lacks one."""
    start: datetime = DEFAULT_START
    tenants: dict[str, TenantGiven] = Field(default_factory=lambda: {"main": TenantGiven()})
    steps: list[Step] = Field(min_length=1)

    @field_validator("start")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value if value.tzinfo else value.replace(tzinfo=UTC)


class CaseFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: str
    definitions: Any = None
    """Free space for YAML anchors (``&people``) that the cases reuse."""
    cases: list[Case]


def cases_root() -> Path:
    return Path(str(resources.files("jifen_conformance").joinpath("cases")))


def load_file(path: Path) -> CaseFile:
    return CaseFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))


def all_case_files() -> list[Path]:
    return sorted(p for p in cases_root().rglob("*.yaml") if p.parent.name != "configs")


def all_cases() -> list[tuple[Path, CaseFile, Case]]:
    found = []
    for path in all_case_files():
        loaded = load_file(path)
        found += [(path, loaded, case) for case in loaded.cases]
    return found


def load_config(name: str) -> dict[str, Any]:
    path = cases_root() / "configs" / f"{name}.yaml"
    loaded: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return loaded


# --- running ---------------------------------------------------------------------------------

class StepFailed(AssertionError):
    """A step did not do what the case expects; carries the step's label."""

    def __init__(self, step: str, message: str) -> None:
        super().__init__(f"{step}: {message}")
        self.step = step
        self.message = message


_REF = re.compile(r"\$\{([^}]+)\}")
_SHIFT = re.compile(r"^\+(\d+)([dhms])$")


def resolve(value: Any, saved: dict[str, Any]) -> Any:
    """Replace ``${name.path}`` references by saved values (a whole-string reference keeps its
    type)."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return lookup(saved, whole.group(1))
        return _REF.sub(lambda m: str(lookup(saved, m.group(1))), value)
    if isinstance(value, dict):
        return {k: resolve(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, saved) for v in value]
    return value


def lookup(root: Any, path: str) -> Any:
    current = root
    for part in path.split("."):
        if isinstance(current, list) and part.lstrip("-").isdigit():
            current = current[int(part)]
        elif isinstance(current, dict) and part in current:
            current = current[part]
        else:
            raise KeyError(f"no {part!r} in {path!r}")
    return current


def mismatch(expected: Any, actual: Any, where: str = "$") -> str | None:
    """Why ``actual`` does not match ``expected`` (``None`` if it does). Dicts match a subset
    of keys; lists match element by element with the same length; operators: ``$len``,
    ``$type`` (integer, string, decimal, null), ``$regex``, ``$absent``, ``$contains``
    (a list element matching), ``$not``."""
    if isinstance(expected, dict) and any(k.startswith("$") for k in expected):
        for op, arg in expected.items():
            problem = _operator(op, arg, actual, where)
            if problem:
                return problem
        return None
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return f"{where}: expected an object, got {actual!r}"
        for key, sub in expected.items():
            if isinstance(sub, dict) and sub.get("$absent") is True:
                if key in actual and actual[key] is not None:
                    return f"{where}.{key}: expected absent, got {actual[key]!r}"
                continue
            if key not in actual:
                return f"{where}.{key}: missing (have {sorted(actual)})"
            problem = mismatch(sub, actual[key], f"{where}.{key}")
            if problem:
                return problem
        return None
    if isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            return f"{where}: expected {len(expected)} items, got {actual!r}"
        for i, (e, a) in enumerate(zip(expected, actual, strict=True)):
            problem = mismatch(e, a, f"{where}[{i}]")
            if problem:
                return problem
        return None
    if type(expected) is not type(actual) and not (expected is None or actual is None):
        return f"{where}: expected {expected!r} ({type(expected).__name__}), " \
               f"got {actual!r} ({type(actual).__name__})"
    if expected != actual:
        return f"{where}: expected {expected!r}, got {actual!r}"
    return None


def _operator(op: str, arg: Any, actual: Any, where: str) -> str | None:
    if op == "$len":
        if not isinstance(actual, list | dict | str) or len(actual) != arg:
            return f"{where}: expected length {arg}, got {actual!r}"
    elif op == "$type":
        checks: dict[str, Callable[[Any], object]] = {
                  "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
                  "string": lambda v: isinstance(v, str),
                  "decimal": lambda v: isinstance(v, str) and re.fullmatch(r"-?\d+(\.\d+)?", v),
                  "null": lambda v: v is None,
                  "list": lambda v: isinstance(v, list)}
        if not checks[arg](actual):
            return f"{where}: expected a {arg}, got {actual!r} ({type(actual).__name__})"
    elif op == "$regex":
        if not isinstance(actual, str) or not re.search(arg, actual):
            return f"{where}: {actual!r} does not match /{arg}/"
    elif op == "$contains":
        if not isinstance(actual, list) or all(mismatch(arg, a) for a in actual):
            return f"{where}: no element matches {arg!r} in {actual!r}"
    elif op == "$not":
        if mismatch(arg, actual) is None:
            return f"{where}: expected not {arg!r}, got {actual!r}"
    elif op == "$absent":
        if arg and actual is not None:
            return f"{where}: expected absent, got {actual!r}"
    else:
        raise ValueError(f"unknown operator {op}")
    return None


def parse_clock(text: str, now: datetime) -> datetime:
    shift = _SHIFT.match(text)
    if shift:
        n, unit = int(shift.group(1)), shift.group(2)
        return now + timedelta(**{{"d": "days", "h": "hours", "m": "minutes",
                                   "s": "seconds"}[unit]: n})
    if len(text) == 10:  # a date: 10:00 in Asia/Shanghai
        return datetime.fromisoformat(text).replace(hour=2, tzinfo=UTC)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def tenant_config(given: TenantGiven, code: str) -> dict[str, Any]:
    config = load_config(given.config) if isinstance(given.config, str) \
        else copy.deepcopy(given.config)
    config.update(copy.deepcopy(given.overrides))
    config["code"] = code
    return config


def subject_specs(given: TenantGiven) -> list[SubjectSpec]:
    specs = []
    for raw in given.subjects:
        roles = [(str(r["role"]), str(r.get("org_unit", "city"))) for r in raw.get("roles", [])]
        specs.append(SubjectSpec(name=str(raw["name"]), type=str(raw.get("type", "resident")),
                                 org_unit=str(raw.get("org_unit", "grid-1")), roles=roles))
    return specs


def run_case(driver: Driver, case: Case, unique: str) -> None:
    """Run ``case`` against ``driver``; raise :class:`StepFailed` at the first failing step."""
    now = case.start
    driver.set_clock(now)
    tenants: dict[str, Tenant] = {}
    for name, given in case.tenants.items():
        code = f"cf-{unique}-{name}"[:60]
        try:
            tenants[name] = driver.create_tenant(tenant_config(given, code),
                                                 subject_specs(given))
        except ActionError as exc:
            raise StepFailed(f"given tenant {name}", f"provisioning refused: {exc}") from exc
    first = next(iter(tenants))
    saved: dict[str, Any] = {}
    for index, step in enumerate(case.steps):
        label = step.label(index)
        if step.clock:
            now = parse_clock(step.clock, now)
            driver.set_clock(now)
            continue
        if not step.do:
            raise StepFailed(label, "a step needs `do` or `clock`")
        tenant = tenants[step.tenant or first]
        for _ in range(step.repeat):
            args = resolve(step.args, saved)
            try:
                result: Any = driver.act(tenant, step.do, args, step.as_)
                error = None
            except ActionError as exc:
                result, error = None, exc
            expect = Expect(error=step.expect.error, match=resolve(step.expect.match, saved))
            check(label, expect, result, error)
        if step.save:
            saved[step.save] = result


def check(label: str, expect: Expect, result: Any, error: ActionError | None) -> None:
    if expect.error is not None:
        accepted = [expect.error] if isinstance(expect.error, str) else expect.error
        if error is not None and "*" in accepted:
            return
        if error is None:
            raise StepFailed(label, f"expected refusal {expect.error!r}, but it succeeded "
                                    f"with {_short(result)}")
        if error.code not in accepted:
            raise StepFailed(label, f"expected refusal {expect.error!r}, got {error.code!r} "
                                    f"({error.message})")
        return
    if error is not None:
        raise StepFailed(label, f"refused with {error.code!r}: {error.message}")
    if expect.match is not None:
        problem = mismatch(expect.match, result)
        if problem:
            raise StepFailed(label, problem)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) < 300 else text[:300] + "…"
