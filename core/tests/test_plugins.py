"""Plugins: entry points, built-ins registered alike, validation, and documented hooks."""

from __future__ import annotations

import inspect
import re
import uuid
from collections.abc import Callable
from pathlib import Path

import pluggy
import pytest

from jifen import hookimpl, hookspecs
from jifen.errors import PluginError
from jifen.model import PointKind, Points, TransactionView
from jifen.plugins import DEFAULT_PLUGINS, make_plugin_manager
from jifen.registry import Registry
from jifen.testing import TenantFixture, registered_plugin

HOOKS = [name for name, f in inspect.getmembers(hookspecs, inspect.isfunction)
         if hasattr(f, "jifen_spec")]


def test_jf_kind_4_a_plugin_registers_a_kind_through_its_entry_point() -> None:
    pm = make_plugin_manager()
    assert pm.get_plugin("example_kind") is not None
    assert Registry(pm).kind("carbon").scale == 2


def test_builtin_plugins_are_registered_like_third_party_ones(
        monkeypatch: pytest.MonkeyPatch) -> None:
    pm = make_plugin_manager()
    assert [name for name in DEFAULT_PLUGINS if pm.get_plugin(name) is None] == []
    monkeypatch.setenv("JIFEN_DISABLED_PLUGINS", "example_kind")
    assert "carbon" not in Registry(make_plugin_manager()).kinds
    monkeypatch.setenv("JIFEN_DISABLED_PLUGINS", "")
    monkeypatch.setenv("JIFEN_LOAD_PLUGINS", "")
    assert make_plugin_manager().get_plugin("example_kind") is None


def test_a_kind_registered_twice_names_both_plugins() -> None:
    class Clash:
        @hookimpl
        def register_point_kinds(self, register: Callable[[PointKind], None]) -> None:
            register(PointKind(name="moral", label="again", scale=1, transferable=False))

    pm = make_plugin_manager()
    with registered_plugin(pm, Clash(), name="clash"), pytest.raises(PluginError) as err:
        Registry(pm)
    assert "clash" in str(err.value) and "core_types" in str(err.value)


def test_a_misspelt_hook_fails_loudly() -> None:
    class Typo:
        @hookimpl
        def register_point_kind(self, register: object) -> None: ...

    pm = make_plugin_manager()
    pm.register(Typo())
    with pytest.raises(pluggy.PluginValidationError):
        pm.check_pending()


def test_every_hook_has_a_docstring_and_a_docs_entry(repo_root: Path) -> None:
    page = (repo_root / "docs" / "reference" / "hooks.md").read_text()
    headings = set(re.findall(r"^## (\w+)\s*$", page, re.MULTILINE))
    assert HOOKS, "no hooks found"
    for name in HOOKS:
        assert (getattr(hookspecs, name).__doc__ or "").strip(), f"{name} has no docstring"
        assert name in headings, f"hook {name} is missing from docs/reference/hooks.md"


def test_ledger_transaction_committed_hears_each_commit_once_and_cannot_undo_it(
        city: TenantFixture) -> None:
    heard: list[str] = []

    class Listener:
        @hookimpl
        def ledger_transaction_committed(self, tenant_id: uuid.UUID,
                                         transaction: TransactionView) -> None:
            heard.append(transaction.idempotency_key)
            raise RuntimeError("a broken plugin")

    p, resident = city.platform, city.resident()
    with registered_plugin(p.pm, Listener()):
        p.award(city.id, resident.id, Points.of("moral", 1), idempotency_key="a")
        p.award(city.id, resident.id, Points.of("moral", 1), idempotency_key="a")  # a retry
    assert heard == ["a"]
    assert p.balance(city.id, resident.id, "moral").minor == 10
