"""The published OpenAPI document is the app's current one (JF-API-1).

Set ``JIFEN_UPDATE_OPENAPI=1`` (or run ``python -m jifen.api.schema``) to rewrite the committed
``docs/reference/openapi.json`` after changing the API.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from jifen.api.schema import openapi_document, render


def test_jf_api_1_committed_openapi_document_is_current(repo_root: Path) -> None:
    committed = repo_root / "docs" / "reference" / "openapi.json"
    current = render()
    if os.environ.get("JIFEN_UPDATE_OPENAPI") == "1":
        committed.write_text(current, encoding="utf-8")
    assert committed.read_text(encoding="utf-8") == current, (
        "docs/reference/openapi.json is stale: run `uv run --frozen --no-sync python -m "
        "jifen.api.schema`")


def test_jf_api_1_every_operation_is_in_the_api_reference(repo_root: Path) -> None:
    page = (repo_root / "docs" / "reference" / "api.md").read_text(encoding="utf-8")
    listed = set(re.findall(r"`(?:GET|POST) (/[^`]*)`", page))
    assert set(openapi_document()["paths"]) <= listed


def test_jf_api_3_every_operation_documents_problem_responses() -> None:
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            assert "4XX" in operation["responses"], (method, path)


def test_jf_api_1_committed_document_with_the_plugins_is_current(repo_root: Path) -> None:
    committed = repo_root / "docs" / "reference" / "openapi-with-plugins.json"
    current = render(with_plugins=True)
    if os.environ.get("JIFEN_UPDATE_OPENAPI") == "1":
        committed.write_text(current, encoding="utf-8")
    assert committed.read_text(encoding="utf-8") == current, (
        "docs/reference/openapi-with-plugins.json is stale: run `uv run --frozen --no-sync "
        "python -m jifen.api.schema`")


def test_jf_api_1_every_plugin_operation_is_documented(repo_root: Path) -> None:
    """A plugin's endpoints are documented on its page (or in the API reference), by their full
    path or by their path under the router's prefix (`GET /hospital/departments`)."""
    pages = [repo_root / "docs" / "reference" / "api.md",
             *sorted((repo_root / "docs" / "plugins").glob("*.md"))]
    text = "\n".join(p.read_text(encoding="utf-8") for p in pages)

    def shape(path: str) -> str:
        return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0]).rstrip("/")

    documented = {shape(p) for p in re.findall(r"`(?:GET|POST|PUT|PATCH|DELETE) …?(/[^`\s]*)", text)}
    core = set(openapi_document()["paths"])
    missing = [p for p in openapi_document(with_plugins=True)["paths"] if p not in core
               and not any(shape(p).endswith(d) for d in documented if d.count("/") >= 1)]
    assert missing == []
