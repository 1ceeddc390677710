"""Storage: SQLAlchemy tables, the database connection and Alembic migrations."""

from jifen.store.db import Database, default_url

__all__ = ["Database", "default_url"]
