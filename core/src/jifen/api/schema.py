"""The published OpenAPI documents (JF-API-1): ``python -m jifen.api.schema`` writes
``docs/reference/openapi.json``, built with the core's plugins only (what every installation
serves), and ``docs/reference/openapi-with-plugins.json``, built with every installed plugin (in
this repository: the scenario and earning-source plugins of the reference implementation)."""

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
DOCS_FILE_WITH_PLUGINS = Path("docs/reference/openapi-with-plugins.json")


def openapi_document(*, with_plugins: bool = False) -> dict[str, Any]:
    """The OpenAPI document of the core, or of the core and every installed plugin (no
    database is touched)."""
    platform = Platform(Database("sqlite://"),
                        pm=make_plugin_manager(load_entry_points=with_plugins),
                        master_key=os.urandom(32))
    return create_app(platform).openapi()


def render(*, with_plugins: bool = False) -> str:
    """The document as the committed file holds it: sorted keys, two-space indent."""
    document = openapi_document(with_plugins=with_plugins)
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Write both documents (or the core's to the one file named)."""
    args = sys.argv[1:] if argv is None else argv
    targets = {Path(args[0]): False} if args else {DOCS_FILE: False, DOCS_FILE_WITH_PLUGINS: True}
    for target, with_plugins in targets.items():
        target.write_text(render(with_plugins=with_plugins), encoding="utf-8")
        print(f"wrote {target}")


if __name__ == "__main__":
    main()
