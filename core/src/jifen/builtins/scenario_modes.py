"""The built-in allocation modes of scenarios — ``threshold`` (JF-SCN-2), ``quota_round``
(JF-SCN-3), ``capacity`` (JF-SCN-4) — and the ``jifen scenarios`` commands, contributed through
the same hooks a third-party plugin uses. It registers no scenario: scenarios come from plugins.
"""

from __future__ import annotations

from collections.abc import Callable

import typer

from jifen import hookimpl
from jifen.scenarios import capacity, rounds, threshold
from jifen.scenarios.model import AllocationMode


@hookimpl
def register_allocation_modes(register: Callable[[AllocationMode], None]) -> None:
    register(threshold.MODE)
    register(rounds.MODE)
    register(capacity.MODE)


@hookimpl
def register_commands(app: typer.Typer) -> None:
    from jifen.scenarios.cli import scenarios_app

    app.add_typer(scenarios_app, name="scenarios")
