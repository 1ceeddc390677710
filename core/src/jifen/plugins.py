"""The plugin manager: built-in plugins and entry points (group ``jifen``), registered alike.

Environment:

* ``JIFEN_LOAD_PLUGINS`` — comma-separated entry-point names: load only these (empty: none).
* ``JIFEN_DISABLED_PLUGINS`` — comma-separated plugin names (built-in module names or entry-point
  names) not to register.
* ``JIFEN_TRACE_PLUGINS=1`` — print every hook call to standard error.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module, metadata

import pluggy

from jifen import hookspecs

DEFAULT_PLUGINS: tuple[str, ...] = ("jifen.builtins.core_types", "jifen.builtins.default_score",
                                   "jifen.builtins.scenario_modes", "jifen.builtins.core_jobs")
"""Modules registered as plugins before any entry point, exactly like third-party plugins."""

ENTRY_POINT_GROUP = "jifen"


def _names(env: str) -> set[str] | None:
    raw = os.environ.get(env)
    if raw is None:
        return None
    return {name.strip() for name in raw.split(",") if name.strip()}


def make_plugin_manager(*, load_entry_points: bool = True) -> pluggy.PluginManager:
    """Build a plugin manager with the built-in plugins and (by default) the installed ones."""
    pm = pluggy.PluginManager("jifen")
    pm.add_hookspecs(hookspecs)
    disabled = _names("JIFEN_DISABLED_PLUGINS") or set()
    for name in DEFAULT_PLUGINS:
        if name not in disabled:
            pm.register(import_module(name), name=name)
    if load_entry_points:
        only = _names("JIFEN_LOAD_PLUGINS")
        for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
            if ep.name in disabled or (only is not None and ep.name not in only):
                continue
            if pm.get_plugin(ep.name) is None:
                pm.register(ep.load(), name=ep.name)
    pm.check_pending()
    if os.environ.get("JIFEN_TRACE_PLUGINS") == "1":
        pm.trace.root.setwriter(lambda message: sys.stderr.write(str(message)))
        pm.enable_tracing()
    return pm


def plugin_distributions(pm: pluggy.PluginManager) -> list[tuple[str, str, list[str]]]:
    """List ``(plugin name, distribution or module, hooks implemented)`` for every plugin."""
    owners = metadata.packages_distributions()
    by_entry_point = {ep.name: ep.dist for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)}
    rows = []
    for name, plugin in pm.list_name_plugin():
        module = getattr(plugin, "__name__", repr(plugin))
        found = by_entry_point.get(name) if name else None
        dists = [found.name] if found is not None else owners.get(module.split(".")[0], [])
        dist = f"{dists[0]} {metadata.version(dists[0])}" if dists else module
        hooks = sorted(caller.name for caller in pm.get_hookcallers(plugin) or [])
        rows.append((name, dist, hooks))
    return rows
