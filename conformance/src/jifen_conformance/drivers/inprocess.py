"""The ``inprocess`` driver: an implementation's Python package, reached through an *adapter*
object that names its entry points (``--jf-adapter module:object``; jifen's by default).

An adapter has the driver's methods (``implementation``, ``create_tenant``, ``act``,
``set_clock``, ``close``); the object named is called with the ``--jf-adapter-option`` pairs as
keyword arguments. Imported lazily: the suite itself never imports the implementation.
"""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

from jifen_conformance.driver import Driver, Implementation, SubjectSpec, Tenant

DEFAULT_ADAPTER = "jifen_conformance.adapters.jifen:JifenAdapter"


def load_object(spec: str) -> Any:
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise ValueError(f"an adapter is named module:object, not {spec!r}")
    target: Any = importlib.import_module(module_name)
    for part in attr.split("."):
        target = getattr(target, part)
    return target


class InProcessDriver(Driver):
    name = "inprocess"

    def __init__(self, adapter: Any) -> None:
        self.adapter = adapter

    @classmethod
    def from_spec(cls, spec: str = DEFAULT_ADAPTER, options: dict[str, str] | None = None
                  ) -> InProcessDriver:
        return cls(load_object(spec)(**(options or {})))

    def implementation(self) -> Implementation:
        found: Implementation = self.adapter.implementation()
        return found

    def create_tenant(self, config: dict[str, Any], subjects: list[SubjectSpec]) -> Tenant:
        tenant: Tenant = self.adapter.create_tenant(config, subjects)
        return tenant

    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        return self.adapter.act(tenant, action, args, actor)

    def set_clock(self, when: datetime) -> None:
        self.adapter.set_clock(when)

    def close(self) -> None:
        self.adapter.close()
