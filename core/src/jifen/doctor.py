"""``jifen doctor``: what is installed, which hooks each plugin implements, which profiles of the
standard the installation covers, and what is misconfigured (plugins that do not load or
implement unknown hooks, conflicting contributions, plugin choices naming nothing installed, the
master key, the database's schema)."""

from __future__ import annotations

import base64
import binascii
import os
import sys
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

import pluggy
from sqlalchemy.engine import make_url

import jifen
from jifen import hookspecs
from jifen.plugins import ENTRY_POINT_GROUP, make_plugin_manager, plugin_distributions

#: The plugins (entry-point names) each profile of the standard needs besides the core.
PROFILE_PLUGINS: dict[str, tuple[str, ...]] = {
    "core": (),
    "redemption": ("merchant_redemption",),
    "scenarios": ("school_place", "hospital_priority", "bank_vip"),
    "governance": ("grid_evaluation", "order_grabbing", "surveys"),
}

Level = Literal["ok", "warning", "problem"]


@dataclass(frozen=True)
class Finding:
    level: Level
    topic: str
    message: str


@dataclass
class Report:
    plugins: list[tuple[str, str, list[str]]] = field(default_factory=list)
    profiles: dict[str, list[str]] = field(default_factory=dict)
    """profile → the plugins it still needs (empty: covered)."""
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(f.level != "problem" for f in self.findings)

    def add(self, level: Level, topic: str, message: str) -> None:
        self.findings.append(Finding(level, topic, message))


def diagnose(database_url: str) -> Report:
    """Examine the installation and the database at ``database_url``; never changes either."""
    report = Report()
    report.add("ok", "jifen", f"jifen {jifen.__version__} (standard {jifen.STANDARD_VERSION}), "
               f"Python {sys.version.split()[0]}")
    loadable = _check_entry_points(report)
    _check_plugin_choices(report, set(loadable))
    pm = _check_plugin_manager(report)
    if pm is not None:
        report.plugins = plugin_distributions(pm)
        active = {name for name, _ in pm.list_name_plugin()}
        report.profiles = {profile: [p for p in needed if p not in active]
                           for profile, needed in PROFILE_PLUGINS.items()}
        _check_database(report, database_url, pm)
    _check_master_key(report)
    return report


def _check_entry_points(report: Report) -> list[str]:
    """Load every entry point on its own, with only the core's hooks, and say which fail."""
    loadable: list[str] = []
    seen: dict[str, str] = {}
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else "?"
        if ep.name in seen:
            report.add("problem", f"plugin {ep.name}", f"the entry-point name is used by both "
                       f"{seen[ep.name]} and {dist}; only one is loaded: uninstall the other")
            continue
        seen[ep.name] = dist
        try:
            pm = pluggy.PluginManager("jifen")
            pm.add_hookspecs(hookspecs)
            pm.register(ep.load(), name=ep.name)
            pm.check_pending()
        except Exception as exc:  # any import or validation error is the finding
            report.add("problem", f"plugin {ep.name}",
                       f"{dist} does not load: {type(exc).__name__}: {exc}")
            continue
        loadable.append(ep.name)
    return loadable


def _check_plugin_choices(report: Report, installed: set[str]) -> None:
    builtins = {name.rsplit(".", 1)[-1] for name in _builtin_names()} | set(_builtin_names())
    for env in ("JIFEN_LOAD_PLUGINS", "JIFEN_DISABLED_PLUGINS"):
        names = {n.strip() for n in os.environ.get(env, "").split(",") if n.strip()}
        for unknown in sorted(names - installed - builtins):
            report.add("problem", env, f"names {unknown!r}, which is no installed plugin "
                       f"(installed: {', '.join(sorted(installed)) or 'none'})")


def _builtin_names() -> tuple[str, ...]:
    from jifen.plugins import DEFAULT_PLUGINS

    return DEFAULT_PLUGINS


def _check_plugin_manager(report: Report) -> pluggy.PluginManager | None:
    """Build the plugin manager and registry the way the platform does."""
    from jifen.registry import Registry

    try:
        pm = make_plugin_manager()
        Registry(pm)
    except Exception as exc:  # reported, not raised
        report.add("problem", "plugins", f"the plugins cannot be loaded together: {exc}")
        return None
    report.add("ok", "plugins", f"{len(pm.list_name_plugin())} plugins load together")
    return pm


def _check_database(report: Report, url: str, pm: pluggy.PluginManager) -> None:
    from alembic.script import ScriptDirectory

    from jifen.store.migrate import alembic_config, current_revision

    shown = make_url(url).render_as_string(hide_password=True)
    database = make_url(url).database
    if make_url(url).get_backend_name() == "sqlite" and database and \
            not Path(database).exists():
        report.add("problem", "database", f"{shown}: no database file yet; run `jifen db upgrade`")
        return
    try:
        current = set((current_revision(url) or "").split(", ")) - {""}
    except Exception as exc:  # the connection error is the finding
        report.add("problem", "database", f"{shown}: cannot connect: {type(exc).__name__}: "
                   f"{str(exc).splitlines()[0]}")
        return
    expected = set(ScriptDirectory.from_config(alembic_config(url, pm)).get_heads())
    if current != expected:
        missing = ", ".join(sorted(expected - current))
        report.add("problem", "database", f"{shown}: schema not up to date (missing {missing}); "
                   "run `jifen db upgrade`")
        return
    report.add("ok", "database", f"{shown}: schema up to date ({len(expected)} branch heads)")


def _check_master_key(report: Report) -> None:
    from jifen.keys import DEFAULT_KEY_FILE

    raw = os.environ.get("JIFEN_MASTER_KEY")
    if raw:
        try:
            size = len(base64.b64decode(raw, validate=True))
        except binascii.Error:
            size = -1
        if size != 32:
            report.add("problem", "master key", "JIFEN_MASTER_KEY is not the base64 of 32 bytes "
                       "(make one: python -c \"import base64,os;print(base64.b64encode("
                       "os.urandom(32)).decode())\")")
        else:
            report.add("ok", "master key", "from JIFEN_MASTER_KEY")
        return
    path = Path(os.environ.get("JIFEN_KEY_FILE", DEFAULT_KEY_FILE))
    if not path.exists():
        report.add("warning", "master key", f"no JIFEN_MASTER_KEY and no key file {path}: one is "
                   "made on first use; in production set JIFEN_MASTER_KEY from a secret store "
                   "and back it up (without it, personal data cannot be read)")
    elif path.stat().st_mode & 0o077:
        report.add("problem", "master key", f"{path} is readable by others: chmod 600 {path}")
    else:
        report.add("ok", "master key", f"from the key file {path}")
