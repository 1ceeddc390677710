"""The scenarios profile's actions for jifen's in-process adapter (mixed into `JifenAdapter`)."""

from __future__ import annotations


class ScenariosActions:
    """``do_<action>`` methods of the scenarios profile; see ``docs/conformance/case-format.md``."""
