"""The database fixtures (``database_url``, ``platform``, ``city``) come from jifen's pytest
plugin, `jifen.pytest_plugin`, which plugin authors get too."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]
