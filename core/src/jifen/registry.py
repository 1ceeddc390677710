"""What the plugins registered: point kinds, account types, subject types, catalogue items —
validated, with provenance."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pluggy
from pydantic import BaseModel

from jifen.config import CatalogueItem
from jifen.errors import PluginError, UnknownKind
from jifen.model import AccountType, PointKind, SubjectType
from jifen.model.points import register_scale

T = TypeVar("T", bound=BaseModel)


class Registry:
    """The contributions of every plugin, collected once when the platform starts."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self.kinds: dict[str, PointKind] = _collect(pm, "register_point_kinds", PointKind)[0]
        self.account_types: dict[str, AccountType] = _collect(
            pm, "register_account_types", AccountType)[0]
        self.subject_types: dict[str, SubjectType] = _collect(
            pm, "register_subject_types", SubjectType)[0]
        items, origins = _collect(pm, "register_catalogue_items", CatalogueItem,
                                  key=lambda item: f"{item.code}@{item.valid_from}")
        #: Catalogue items contributed by plugins, with the plugin that gave each.
        self.catalogue_items: list[tuple[CatalogueItem, str]] = [
            (item, origins[key]) for key, item in items.items()]
        for kind in self.kinds.values():
            register_scale(kind.name, kind.scale)

    def kind(self, name: str) -> PointKind:
        try:
            return self.kinds[name]
        except KeyError:
            raise UnknownKind(f"unknown point kind {name!r}", kind=name) from None


def _collect(pm: pluggy.PluginManager, hook_name: str, model: type[T],
             key: Callable[[Any], str] = lambda item: str(item.name)
             ) -> tuple[dict[str, T], dict[str, str]]:
    found: dict[str, T] = {}
    origin: dict[str, str] = {}
    hook = getattr(pm.hook, hook_name)
    for impl in hook.get_hookimpls():
        plugin_name = impl.plugin_name

        def register(item: Any, _plugin: str = plugin_name) -> None:
            if not isinstance(item, model):
                item = model.model_validate(item)
            name = key(item)
            if name in found:
                raise PluginError(
                    f"{hook_name}: {name!r} registered by both {origin[name]} and {_plugin}")
            found[name] = item
            origin[name] = _plugin

        impl.function(register=register)
    return found, origin


