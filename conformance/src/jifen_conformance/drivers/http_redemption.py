"""The redemption profile's actions over HTTP (mixed into `HttpDriver`)."""

from __future__ import annotations


class HttpRedemptionActions:
    """``do_<action>`` methods of the redemption profile, over the plugins' HTTP endpoints."""
