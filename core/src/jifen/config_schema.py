"""The JSON Schema of a tenant file, generated from the pydantic models of `jifen.config`.

``python -m jifen.config_schema`` rewrites the docs' copy, ``docs/reference/tenant-config.schema.json``
(a test checks it is current). Editors that read JSON Schema (e.g. VS Code's YAML extension with
``# yaml-language-server: $schema=…``) can check a tenant file while it is written; ``jifen tenant
apply`` still validates with the models, which also refuse floats as amounts.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jifen.config import TenantConfig

DOCS_FILE = Path("docs/reference/tenant-config.schema.json")


def render() -> str:
    """The schema as the committed file holds it: sorted keys, two-space indent."""
    schema = TenantConfig.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Write the schema to the file named (default: the docs' copy)."""
    args = sys.argv[1:] if argv is None else argv
    target = Path(args[0]) if args else DOCS_FILE
    target.write_text(render(), encoding="utf-8")
    print(f"wrote {target}")


if __name__ == "__main__":
    main()
