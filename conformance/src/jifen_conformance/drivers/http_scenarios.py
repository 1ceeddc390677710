"""The scenarios profile's actions over HTTP (mixed into `HttpDriver`)."""

from __future__ import annotations


class HttpScenariosActions:
    """``do_<action>`` methods of the scenarios profile, over the plugins' HTTP endpoints."""
