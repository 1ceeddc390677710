"""Example plugin: adds carbon points (碳积分), a third kind, through a public hook (JF-KIND-4).

It is the smallest complete jifen plugin: one module, one hook implementation, one entry point
(``[project.entry-points.jifen] example_kind = "jifen_example_kind"``).
"""

from __future__ import annotations

from collections.abc import Callable

from jifen import hookimpl
from jifen.model import PointKind


@hookimpl
def register_point_kinds(register: Callable[[PointKind], None]) -> None:
    register(PointKind(name="carbon", label="碳积分 carbon", scale=2, transferable=False))
