"""The published OpenAPI document (JF-API-1): ``python -m jifen.api.schema [FILE]`` writes it
(default ``docs/reference/openapi.json``), built with the core's plugins only, so that it does
not depend on what else is installed."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from jifen.api.app import create_app
from jifen.platform import Platform
from jifen.plugins import make_plugin_manager
from jifen.store import Database

DOCS_FILE = Path("docs/reference/openapi.json")


def openapi_document() -> dict[str, Any]:
    """The core's OpenAPI document (no database is touched)."""
    platform = Platform(Database("sqlite://"), pm=make_plugin_manager(load_entry_points=False),
                        master_key=os.urandom(32))
    return create_app(platform).openapi()


def render() -> str:
    """The document as the committed file holds it: sorted keys, two-space indent."""
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Write the document to the file named (default: the docs' copy)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DOCS_FILE
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
