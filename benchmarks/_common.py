"""Shared by the benchmarks: throw-away databases on SQLite and PostgreSQL, and raw inserts."""

from __future__ import annotations

import secrets
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, make_url, text

from jifen.store.db import normalise_url

# --- databases ---------------------------------------------------------------------------

@contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory(prefix="jifen-bench-") as tmp:
        yield f"sqlite:///{Path(tmp) / 'bench.db'}"


@contextmanager
def postgres_url(base: str) -> Iterator[str]:
    """A fresh database on the server of ``base``, dropped afterwards."""
    base_url = make_url(normalise_url(base))
    name = f"jifen_bench_{secrets.token_hex(4)}"
    admin = create_engine(base_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield base_url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


class RawSQL:
    """How to write rows with the DB-API cursor directly, bypassing SQLAlchemy's types."""

    def __init__(self, sqlite: bool) -> None:
        self.sqlite = sqlite
        self.mark = "?" if sqlite else "%s"

    def uid(self, value: uuid.UUID | None) -> Any:
        """A Uuid column's stored form (SQLite keeps hex strings)."""
        if value is None:
            return None
        return value.hex if self.sqlite else value

    def ts(self, value: datetime) -> Any:
        """A UTCDateTime column's stored form."""
        if self.sqlite:
            return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        return value

    def insert(self, table: str, columns: str) -> str:
        count = len(columns.split(","))
        return f"INSERT INTO {table} ({columns}) VALUES ({', '.join([self.mark] * count)})"

