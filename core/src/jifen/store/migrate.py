"""Alembic migrations, run programmatically (``jifen db upgrade``); no alembic.ini needed.

The core's revisions live in ``migrations/versions``; a plugin adds its own branch through the
``register_migrations`` hook, and upgrading goes to every head.
"""

from __future__ import annotations

import os
from pathlib import Path

import pluggy
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from jifen.store import planner
from jifen.store.db import normalise_url

MIGRATIONS = Path(__file__).parent / "migrations"


def version_locations(pm: pluggy.PluginManager | None = None) -> list[Path]:
    """The core's versions directory followed by every registered plugin's."""
    if pm is None:
        from jifen.plugins import make_plugin_manager

        pm = make_plugin_manager()
    found: list[Path] = [MIGRATIONS / "versions"]
    pm.hook.register_migrations(register=lambda path: found.append(Path(path)))
    return list(dict.fromkeys(found))


def alembic_config(url: str, pm: pluggy.PluginManager | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations",
                           os.pathsep.join(str(p) for p in version_locations(pm)))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "heads", pm: pluggy.PluginManager | None = None) -> None:
    """Bring the database at ``url`` to ``revision`` (default: every branch's newest); on
    SQLite, then install the planner's statistics (:mod:`jifen.store.planner`)."""
    command.upgrade(alembic_config(url, pm), revision)
    engine = create_engine(normalise_url(url))
    try:
        if engine.dialect.name == "sqlite":
            with engine.begin() as conn:
                planner.install(conn)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The database's revisions (core and plugin branches), comma-separated; None if empty."""
    from alembic.runtime.migration import MigrationContext

    engine = create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
    finally:
        engine.dispose()
    return ", ".join(sorted(heads)) or None
