"""The governance profile's actions over HTTP (mixed into `HttpDriver`)."""

from __future__ import annotations


class HttpGovernanceActions:
    """``do_<action>`` methods of the governance profile, over the plugins' HTTP endpoints."""
