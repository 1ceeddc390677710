"""The published JSON Schema of a tenant file (``docs/reference/tenant-config.schema.json``) is
the pydantic models' current one. ``JIFEN_UPDATE_SCHEMA=1`` (or ``python -m
jifen.config_schema``) rewrites it after changing `jifen.config`."""

from __future__ import annotations

import json
import os
from pathlib import Path

from jifen.config_schema import render


def test_committed_tenant_file_schema_is_current(repo_root: Path) -> None:
    committed = repo_root / "docs" / "reference" / "tenant-config.schema.json"
    current = render()
    if os.environ.get("JIFEN_UPDATE_SCHEMA") == "1":
        committed.write_text(current, encoding="utf-8")
    assert committed.read_text(encoding="utf-8") == current, (
        "docs/reference/tenant-config.schema.json is stale: run `uv run --frozen --no-sync "
        "python -m jifen.config_schema`")


def test_the_schema_refuses_unknown_fields_like_the_models() -> None:
    schema = json.loads(render())
    assert schema["additionalProperties"] is False
    assert all(d.get("additionalProperties") is False for d in schema["$defs"].values())
    assert set(schema["required"]) == {"code", "name", "org"}
