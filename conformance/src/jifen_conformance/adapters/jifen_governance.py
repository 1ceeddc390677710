"""The governance profile's actions for jifen's in-process adapter (mixed into `JifenAdapter`)."""

from __future__ import annotations


class GovernanceActions:
    """``do_<action>`` methods of the governance profile; see ``docs/conformance/case-format.md``."""
