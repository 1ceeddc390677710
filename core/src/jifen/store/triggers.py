"""Database triggers that make tables append-only (JF-LED-2, JF-DUE-5), for migrations to call.

Storage-level tampering (someone with database credentials editing rows) is not stopped by
these, but it is detected by the hash chain (JF-LED-6, ``jifen audit verify``).
"""

from __future__ import annotations

from alembic import op

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION jifen_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'jifen: % on % is refused: the table is append-only', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""


def make_append_only(table: str) -> None:
    """Refuse UPDATE and DELETE on ``table`` (PostgreSQL and SQLite)."""
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION jifen_append_only()"
        )
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'jifen: {action} on {table} is refused: "
                "the table is append-only'); END"
            )


def drop_append_only(table: str) -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    else:
        for action in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
