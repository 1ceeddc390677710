"""The database: one URL chooses SQLite (embedded default) or PostgreSQL (production)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from jifen.errors import StorageFull, StorageUnavailable

DEFAULT_URL = "sqlite:///jifen.db"


def default_url() -> str:
    """The database URL: ``JIFEN_DATABASE_URL`` or the embedded SQLite file ``jifen.db``."""
    return os.environ.get("JIFEN_DATABASE_URL", DEFAULT_URL)


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class Database:
    """A SQLAlchemy engine with jifen's transaction discipline.

    Writes run in :meth:`write` transactions: on PostgreSQL at READ COMMITTED with explicit row
    locks (``SELECT … FOR UPDATE``); on SQLite as ``BEGIN IMMEDIATE`` so that a writer holds the
    database's write lock from its first read and never loses an update.
    """

    def __init__(self, url: str | None = None, **engine_options: Any) -> None:
        self.url = normalise_url(url or default_url())
        self.is_sqlite = self.url.startswith("sqlite")
        if self.is_sqlite:
            engine_options.setdefault("connect_args", {"timeout": 30, "check_same_thread": False})
        else:
            engine_options.setdefault("pool_size", 10)
            engine_options.setdefault("max_overflow", 20)
        self.engine: Engine = create_engine(self.url, **engine_options)
        if self.is_sqlite:
            _sqlite_discipline(self.engine)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A read-write transaction: commits on success, rolls back on any exception."""
        with _storage_errors(), self.engine.begin() as conn:
            yield conn

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only unit of work (rolled back at the end)."""
        with _storage_errors(), \
                self.engine.connect().execution_options(jifen_readonly=True) as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _storage_errors() -> Iterator[None]:
    """A lost connection is `StorageUnavailable`, a full disk `StorageFull` (SQLite's
    SQLITE_FULL, PostgreSQL's ``disk_full``): clear errors with stable codes instead of the
    driver's. The transaction is rolled back either way, and the pool drops the lost
    connection, so the next call gets a new one."""
    try:
        yield
    except OperationalError as exc:
        if (getattr(exc.orig, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
                or getattr(exc.orig, "sqlstate", None) == "53100"):
            raise StorageFull("the database is full (no disk space left, or its size limit "
                              "reached); nothing was written") from exc
        if exc.connection_invalidated or _no_connection(exc.orig):
            raise StorageUnavailable("the connection to the database was lost or refused; "
                                     "nothing was written: retry with the same idempotency "
                                     "key") from exc
        raise


def _no_connection(error: Any) -> bool:
    """A PostgreSQL driver error of no connection at all (no SQLSTATE), a connection exception
    (class 08) or a server shutting down (57P01..57P03)."""
    if not hasattr(error, "sqlstate"):  # SQLite's errors have none
        return False
    state = error.sqlstate
    return state is None or str(state).startswith(("08", "57P0"))


def _sqlite_discipline(engine: Engine) -> None:
    """Foreign keys on, WAL, and BEGIN IMMEDIATE (the SQLAlchemy-documented pysqlite recipe)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        readonly = conn.get_execution_options().get("jifen_readonly", False)
        conn.exec_driver_sql("BEGIN" if readonly else "BEGIN IMMEDIATE")
