"""Every hook of jifen. Each docstring here is the hook's reference documentation.

Plugins implement hooks with `jifen.hookimpl` and are found through the ``jifen``
entry-point group. Registration hooks receive a ``register`` callback: call it once per
contribution; the core validates each contribution and records which plugin gave it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer

    from jifen.model import AccountType, PointKind, SubjectType, TransactionView

hookspec = pluggy.HookspecMarker("jifen")


@hookspec
def register_point_kinds(register: Callable[[PointKind], None]) -> None:
    """Register point kinds (JF-KIND-4).

    Called once when the plugin manager is built. Call ``register(PointKind(...))`` for each kind
    the plugin adds. The core's own plugin registers ``material`` and ``moral`` this way. A name
    registered twice is an error naming both plugins.

    Args:
        register: callback taking a [`PointKind`][jifen.model.PointKind].
    """


@hookspec
def register_account_types(register: Callable[[AccountType], None]) -> None:
    """Register ledger account types.

    Called once when the plugin manager is built. The core registers ``subject`` (a subject's
    own account), ``issuance``, ``expiry`` and ``settlement``; a plugin adds the system accounts
    its scenario needs (for example a funding pool).

    Args:
        register: callback taking a [`AccountType`][jifen.model.AccountType].
    """


@hookspec
def register_subject_types(register: Callable[[SubjectType], None]) -> None:
    """Register subject types (JF-SUB-1).

    Called once when the plugin manager is built. The core registers resident, household,
    grid_worker, department, merchant and organisation; plugins MAY add more.

    Args:
        register: callback taking a [`SubjectType`][jifen.model.SubjectType].
    """


@hookspec
def register_commands(app: typer.Typer) -> None:
    """Add sub-commands to the ``jifen`` command line.

    Called once when the CLI starts. Add commands or groups with ``app.command()`` or
    ``app.add_typer(...)``.

    Args:
        app: the root Typer application of the ``jifen`` command.
    """


@hookspec
def ledger_transaction_committed(tenant_id: uuid.UUID, transaction: TransactionView) -> None:
    """React to a ledger transaction after it has committed.

    Called once per transaction, after the database transaction that wrote it has committed,
    and never for a retry answered from the idempotency record. An exception raised here is
    logged and does not undo the posting; do durable work idempotently, keyed by
    ``transaction.id``.

    Args:
        tenant_id: the tenant the transaction belongs to.
        transaction: the committed transaction with its postings.
    """
