"""The scenarios and allocation modes the plugins registered, and a scenario's rule as a tenant
applies it (JF-SCN-1).

Scenarios come from the ``register_scenarios`` hook, modes from ``register_allocation_modes``
(the built-in modes ``threshold``, ``capacity`` and ``quota_round`` from the built-in plugin
``jifen.builtins.scenario_modes``, like any other). Both are collected again whenever the set of
registered plugins changes, so a plugin registered in a test is seen at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import pluggy
from pydantic import BaseModel, ValidationError

from jifen.configure import Policy
from jifen.errors import PluginError, ScenarioRuleInvalid, UnknownScenario
from jifen.scenarios.model import AllocationMode, Eligibility, ResolvedRule, ScenarioSpec

T = TypeVar("T", bound=BaseModel)


class ScenarioRegistry:
    """Scenario specs and allocation modes, with the plugin that gave each."""

    def __init__(self, pm: pluggy.PluginManager) -> None:
        self._pm = pm
        self._key: frozenset[int] | None = None
        self._specs: dict[str, tuple[ScenarioSpec, str]] = {}
        self._modes: dict[str, tuple[AllocationMode, str]] = {}

    def specs(self) -> dict[str, ScenarioSpec]:
        """Every registered scenario by code."""
        self._refresh()
        return {code: spec for code, (spec, _) in self._specs.items()}

    def modes(self) -> dict[str, AllocationMode]:
        """Every registered allocation mode by name."""
        self._refresh()
        return {name: mode for name, (mode, _) in self._modes.items()}

    def origin(self, code: str) -> str:
        """The plugin that registered scenario ``code``."""
        self.spec(code)
        return self._specs[code][1]

    def spec(self, code: str) -> ScenarioSpec:
        self._refresh()
        if code not in self._specs:
            raise UnknownScenario(f"no plugin registers a scenario {code!r}", scenario=code)
        return self._specs[code][0]

    def mode(self, name: str) -> AllocationMode:
        self._refresh()
        if name not in self._modes:
            raise PluginError(f"no plugin registers the allocation mode {name!r}", mode=name)
        return self._modes[name][0]

    def resolve(self, code: str, policy: Policy) -> ResolvedRule:
        """The rule of scenario ``code`` under a tenant's policy: the spec with the tenant
        file's overrides, the options validated by the mode. Its version is the spec's
        ``rule_version``, followed by ``+config<N>`` when the tenant file overrides the
        scenario (N: the tenant's configuration version)."""
        spec = self.spec(code)
        override = policy.config.scenarios.get(code) if policy.config is not None else None
        eligibility, options, version = spec.eligibility, dict(spec.options), spec.rule_version
        if override is not None:
            changes = override.eligibility.model_dump(exclude_none=True)
            eligibility = Eligibility.model_validate({**eligibility.model_dump(), **changes})
            options.update(override.options)
            version = f"{spec.rule_version}+config{policy.version}"
        return ResolvedRule(
            scenario=spec.code, name=spec.name, provider=spec.provider, benefit=spec.benefit,
            mode=spec.mode, eligibility=eligibility, use_effect=spec.use_effect,
            consume_points=spec.consume_points,
            options=validate_options(self.mode(spec.mode), options, code), rule_version=version)

    # --- collection ---------------------------------------------------------------------

    def _refresh(self) -> None:
        key = frozenset(id(plugin) for plugin in self._pm.get_plugins())
        if key == self._key:
            return
        modes = _collect(self._pm, "register_allocation_modes", AllocationMode,
                         lambda mode: mode.name)
        specs = _collect(self._pm, "register_scenarios", ScenarioSpec, lambda spec: spec.code)
        for code, (spec, plugin) in specs.items():
            if spec.mode not in modes:
                raise PluginError(f"scenario {code!r} of {plugin} names the allocation mode "
                                  f"{spec.mode!r}, which no plugin registers", scenario=code)
            validate_options(modes[spec.mode][0], spec.options, code, plugin=plugin)
        self._modes, self._specs, self._key = modes, specs, key


def validate_options(mode: AllocationMode, options: dict[str, Any], code: str, *,
                     plugin: str | None = None) -> dict[str, Any]:
    """Validate a scenario's options with its mode's options model; the options as JSON."""
    try:
        return mode.options.model_validate(options).model_dump(mode="json")
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        where = f" (registered by {plugin})" if plugin else ""
        error = PluginError if plugin else ScenarioRuleInvalid
        raise error(f"the options of scenario {code!r}{where} are invalid for mode "
                    f"{mode.name!r}: {problems}", scenario=code) from None


def _collect(pm: pluggy.PluginManager, hook_name: str, model: type[T],
             key: Callable[[T], str]) -> dict[str, tuple[T, str]]:
    found: dict[str, tuple[T, str]] = {}
    for impl in getattr(pm.hook, hook_name).get_hookimpls():

        def register(item: Any, _plugin: str = impl.plugin_name) -> None:
            try:
                valid = item if isinstance(item, model) else model.model_validate(item)
            except ValidationError as exc:
                raise PluginError(f"{hook_name}: {_plugin} registered an invalid "
                                  f"{model.__name__}: {exc}") from None
            name = key(valid)
            if name in found:
                raise PluginError(f"{hook_name}: {name!r} registered by both "
                                  f"{found[name][1]} and {_plugin}")
            found[name] = (valid, _plugin)

        impl.function(register=register)
    return found
