"""What the plugins registered: point kinds, account types, subject types — validated, with provenance."""

from __future__ import annotations

from typing import Any, TypeVar

import pluggy
from pydantic import BaseModel

from jifen.errors import PluginError, UnknownKind
from jifen.model import AccountType, PointKind, SubjectType
from jifen.model.points import register_scale

T = TypeVar("T", bound=BaseModel)


class Registry:
    """The contributions of every plugin, collected once when the platform starts."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.kinds: dict[str, PointKind] = _collect(pm, "register_point_kinds", PointKind)
        self.account_types: dict[str, AccountType] = _collect(
            pm, "register_account_types", AccountType)
        self.subject_types: dict[str, SubjectType] = _collect(
            pm, "register_subject_types", SubjectType)
        for kind in self.kinds.values():
            register_scale(kind.name, kind.scale)

    def kind(self, name: str) -> PointKind:
        try:
            return self.kinds[name]
        except KeyError:
            raise UnknownKind(f"unknown point kind {name!r}", kind=name) from None


def _collect(pm: pluggy.PluginManager, hook_name: str, model: type[T]) -> dict[str, T]:
    found: dict[str, T] = {}
    origin: dict[str, str] = {}
    hook = getattr(pm.hook, hook_name)
    for impl in hook.get_hookimpls():
        plugin_name = impl.plugin_name

        def register(item: Any, _plugin: str = plugin_name) -> None:
            if not isinstance(item, model):
                item = model.model_validate(item)
            name = item.name
            if name in found:
                raise PluginError(
                    f"{hook_name}: {name!r} registered by both {origin[name]} and {_plugin}")
            found[name] = item
            origin[name] = _plugin

        impl.function(register=register)
    return found


