"""The pytest plugin (entry point ``pytest11``): options, the YAML cases as test items, the
driver fixture, capability and profile skips, expected failures, and the report.

Inactive unless ``--jf-driver`` is given, so installing it changes no other test run::

    pytest --pyargs jifen_conformance --jf-driver inprocess --jf-report report.json
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped]

from jifen_conformance import cases as case_format
from jifen_conformance import report as reporting
from jifen_conformance.driver import CAPABILITY_ACTIONS, Driver, Unsupported
from jifen_conformance.requirements import PROFILES, load

STATE = pytest.StashKey["SuiteState"]()


class SuiteState:
    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self._driver: Driver | None = None
        self.results: dict[str, reporting.CheckResult] = {}
        self.expected: dict[str, str] = {}
        self.settings = _settings(config)

    @property
    def driver(self) -> Driver:
        if self._driver is None:
            self._driver = make_driver(self.settings)
        return self._driver

    def profiles_selected(self) -> list[str]:
        chosen = self.settings.get("profiles")
        if not chosen:
            return list(PROFILES)
        return [p.strip() for p in str(chosen).split(",") if p.strip()]


def _settings(config: pytest.Config) -> dict[str, Any]:
    """Options, with a ``--jf-config`` file (YAML) filling what the command line leaves out."""
    settings: dict[str, Any] = {}
    path = config.getoption("jf_config")
    if path:
        settings.update(yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {})
    for key in ("driver", "adapter", "url", "credentials", "profiles", "report",
                "expected_failures", "provisioner"):
        value = config.getoption(f"jf_{key}")
        if value:
            settings[key] = value
    options = dict(o.split("=", 1) for o in config.getoption("jf_adapter_option") or [])
    settings.setdefault("adapter_options", {}).update(options)
    settings["certify"] = bool(config.getoption("jf_certify") or settings.get("certify"))
    return settings


def make_driver(settings: dict[str, Any]) -> Driver:
    kind = settings.get("driver")
    if kind == "inprocess":
        from jifen_conformance.drivers.inprocess import DEFAULT_ADAPTER, InProcessDriver

        return InProcessDriver.from_spec(settings.get("adapter") or DEFAULT_ADAPTER,
                                         settings.get("adapter_options") or {})
    if kind == "http":
        from jifen_conformance.drivers.http import HttpDriver

        return HttpDriver.from_settings(settings)
    raise pytest.UsageError(f"--jf-driver is inprocess or http, not {kind!r}")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("jifen-conformance", "conformance suite of the points standard")
    group.addoption("--jf-driver", choices=["inprocess", "http"], default=None,
                    help="run the conformance suite with this driver (inactive without it)")
    group.addoption("--jf-adapter", default=None,
                    help="inprocess: module:object naming the implementation's adapter")
    group.addoption("--jf-adapter-option", action="append", default=[], metavar="KEY=VALUE",
                    help="inprocess: keyword argument for the adapter (repeatable)")
    group.addoption("--jf-url", default=None, help="http: base URL of the implementation")
    group.addoption("--jf-credentials", default=None,
                    help="http: YAML/JSON file with the provisioner and secrets")
    group.addoption("--jf-provisioner", default=None,
                    help="http: module:object that provisions tenants (overrides the file)")
    group.addoption("--jf-config", default=None,
                    help="YAML file with any of these settings (driver, url, profiles, …)")
    group.addoption("--jf-profiles", default=None,
                    help="comma-separated profiles to run (default: all the implementation claims)")
    group.addoption("--jf-report", default=None, help="write the JSON report here")
    group.addoption("--jf-expected-failures", default=None,
                    help="YAML file: check id → reason; refused with --jf-certify")
    group.addoption("--jf-certify", action="store_true", default=False,
                    help="certification run: no expected failures allowed")


def active(config: pytest.Config) -> bool:
    return STATE in config.stash


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clause(*ids): the standard's clauses a check verifies")
    config.addinivalue_line("markers", "requires(*capabilities): skipped by name without them")
    if not (config.getoption("jf_driver") or config.getoption("jf_config")):
        return
    state = SuiteState(config)
    if not state.settings.get("driver"):
        raise pytest.UsageError("--jf-config names no driver")
    path = state.settings.get("expected_failures")
    if path:
        if state.settings["certify"]:
            raise pytest.UsageError("an expected-failures file is refused in certify mode")
        state.expected = load_expected_failures(Path(path))
    config.stash[STATE] = state


def load_expected_failures(path: Path) -> dict[str, str]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(raw, dict):
        raise pytest.UsageError(f"{path}: a mapping of check id → reason")
    for key, reason in raw.items():
        if not isinstance(reason, str) or not reason.strip():
            raise pytest.UsageError(f"{path}: the expected failure {key!r} needs a reason")
    return {str(k): str(v) for k, v in raw.items()}


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(STATE, None)
    if state is not None and state._driver is not None:
        state._driver.close()


# --- the YAML cases ------------------------------------------------------------------------------

def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if not active(parent.config) or file_path.suffix != ".yaml":
        return None
    root = case_format.cases_root()
    if root not in file_path.parents or file_path.parent.name == "configs":
        return None
    return CaseFile.from_parent(parent, path=file_path)


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        loaded = case_format.load_file(self.path)
        for case in loaded.cases:
            yield CaseItem.from_parent(self, name=case.id, case=case, profile=loaded.profile)


class CaseItem(pytest.Item):
    def __init__(self, *, case: case_format.Case, profile: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.profile = profile
        """The profile of the case's file: what the case exercises, so what it needs claimed."""
        self.add_marker(pytest.mark.clause(*case.clauses, level=case.level))
        if case.requires:
            self.add_marker(pytest.mark.requires(*case.requires))

    def runtest(self) -> None:
        state = self.config.stash[STATE]
        try:
            case_format.run_case(state.driver, self.case, uuid.uuid4().hex[:10])
        except Unsupported as exc:
            pytest.skip(f"unsupported: {exc}")

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException],
                     style: Any = None) -> str:
        if isinstance(excinfo.value, case_format.StepFailed):
            return f"{self.case.id} [{', '.join(self.case.clauses)}] {excinfo.value}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"case {self.case.id}"


# --- the driver for Python checks ----------------------------------------------------------------

@pytest.fixture(scope="session")
def jf_driver(request: pytest.FixtureRequest) -> Driver:
    """The driver under test (Python checks only: cases get it from the runner)."""
    if not active(request.config):
        pytest.skip("the conformance suite runs with --jf-driver")
    return request.config.stash[STATE].driver


# --- profiles, capabilities, expected failures ----------------------------------------------------

def check_id(item: pytest.Item) -> str:
    if isinstance(item, CaseItem):
        return item.case.id
    return item.name


def clauses_of(item: pytest.Item) -> tuple[list[str], str]:
    marker = item.get_closest_marker("clause")
    if marker is None:
        return [], "MUST"
    return list(marker.args), str(marker.kwargs.get("level", "MUST"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not active(config):
        return
    state = config.stash[STATE]
    implementation = state.driver.implementation()
    claimed = set(implementation.profiles)
    selected = set(state.profiles_selected())
    capabilities = set(implementation.capabilities)
    table = load()
    for item in items:
        clauses, level = clauses_of(item)
        # carried into `--junitxml` as <property> elements, for certifiers' CI dashboards
        item.user_properties.extend([("clauses", " ".join(clauses)), ("level", level)])
        profiles = {table.get(c).profile for c in clauses}
        # a case needs its file's profile (a redemption case citing a core clause still needs
        # a merchant); a Python check needs the profile of every clause it cites
        needed = {item.profile} if isinstance(item, CaseItem) else profiles
        if not needed <= claimed:
            item.add_marker(pytest.mark.skip(reason="inapplicable: profile "
                                             f"{', '.join(sorted(needed - claimed))} not claimed"))
            continue
        profiles |= needed
        if not profiles & selected:
            item.add_marker(pytest.mark.skip(reason="not_run: profile not selected"))
            continue
        requires = item.get_closest_marker("requires")
        lacking = sorted(set(requires.args) - capabilities) if requires else []
        if lacking:
            item.add_marker(pytest.mark.skip(
                reason=f"unsupported: the implementation lacks {', '.join(lacking)}"))
            continue
        if check_id(item) in state.expected:
            item.add_marker(pytest.mark.xfail(reason=state.expected[check_id(item)],
                                              strict=False))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    outcome = yield
    if not active(item.config):
        return
    report: pytest.TestReport = outcome.get_result()  # type: ignore[attr-defined]
    if report.when == "call" or (report.when == "setup" and not report.passed):
        state = item.config.stash[STATE]
        clauses, level = clauses_of(item)
        result = reporting.CheckResult(id=check_id(item), clauses=clauses, level=level,
                                       outcome="passed")
        if hasattr(report, "wasxfail"):
            result.outcome = "xfailed" if report.skipped else "passed"
            result.reason = str(report.wasxfail)
            if call.excinfo is not None:
                _describe_failure(result, call.excinfo.value)
        elif report.skipped:
            reason = _skip_reason(report)
            result.outcome = reason.split(":", 1)[0] if reason.split(":", 1)[0] in (
                "inapplicable", "not_run") else "skipped"
            result.reason = reason
        elif report.failed:
            result.outcome = "failed"
            if call.excinfo is not None:
                _describe_failure(result, call.excinfo.value)
        state.results[item.nodeid] = result


def _describe_failure(result: reporting.CheckResult, error: BaseException) -> None:
    if isinstance(error, case_format.StepFailed):
        result.step, result.message = error.step, error.message
    else:
        result.message = f"{type(error).__name__}: {error}"[:2000]


def _skip_reason(report: pytest.TestReport) -> str:
    if isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    return str(report.longrepr)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if not active(session.config):
        return
    state = session.config.stash[STATE]
    path = state.settings.get("report")
    if not path:
        return
    if hasattr(session.config, "workerinput"):
        return  # xdist workers: the controller writes the report
    info = reporting.RunInfo(driver=str(state.settings["driver"]),
                             implementation=state.driver.implementation(),
                             profiles_selected=state.profiles_selected(),
                             certify=state.settings["certify"],
                             expected_failures=state.expected)
    built = reporting.build(info, state.results.values())
    Path(path).write_text(json.dumps(built, indent=2, ensure_ascii=False), encoding="utf-8")


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config
                            ) -> None:
    if not active(config):
        return
    path = config.stash[STATE].settings.get("report")
    if path and os.path.exists(path):
        report = json.loads(Path(path).read_text(encoding="utf-8"))
        terminalreporter.write_sep("=", "jifen conformance")
        terminalreporter.write_line(f"verdict: {report['verdict']}")
        for name, profile in report["profiles"].items():
            terminalreporter.write_line(f"  {name}: {reporting.VERDICT_TEXT[profile['verdict']]}")
        terminalreporter.write_line(f"report: {path}")


def capability_of(action: str) -> str | None:
    """The capability an action needs, if it is a harness convenience (see the driver)."""
    return CAPABILITY_ACTIONS.get(action)
