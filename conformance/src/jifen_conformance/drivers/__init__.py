"""Drivers: ``inprocess`` (a Python package through an adapter) and ``http`` (the standard's
HTTP API)."""
