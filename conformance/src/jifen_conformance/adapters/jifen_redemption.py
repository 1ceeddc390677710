"""The redemption profile's actions for jifen's in-process adapter (mixed into `JifenAdapter`)."""

from __future__ import annotations


class RedemptionActions:
    """``do_<action>`` methods of the redemption profile; see ``docs/conformance/case-format.md``."""
