"""jifen — reference implementation of the points-based grassroots governance standard."""

import pluggy

__version__ = "0.1.0"
STANDARD_VERSION = "draft-2024-09"

hookimpl = pluggy.HookimplMarker("jifen")
"""Decorator for plugin functions that implement a jifen hook (see `jifen.hookspecs`)."""

__all__ = ["STANDARD_VERSION", "__version__", "hookimpl"]
