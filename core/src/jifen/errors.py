"""One exception hierarchy with stable, machine-readable codes (JF-API-3).

Every error the core raises on purpose is a :class:`JifenError`. Its ``code`` is stable across
versions (clients and the conformance suite match on it); its message is for people. The CLI
prints ``error[<code>]: <message>`` and exits non-zero; the HTTP layer maps the same codes to
RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import Any, ClassVar


class JifenError(Exception):
    """Base of every deliberate jifen error."""

    code: ClassVar[str] = "jifen.error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"error[{self.code}]: {self.message}"


class InvalidInput(JifenError):
    """The request is malformed or violates a rule of the model."""

    code = "input.invalid"
    http_status = 422


class NotFound(JifenError):
    """The thing named does not exist in this tenant (or is not visible to the caller)."""

    code = "not_found"
    http_status = 404


class Conflict(JifenError):
    """The request collides with the current state."""

    code = "conflict"
    http_status = 409


class ConfigError(InvalidInput):
    """A tenant configuration file is invalid; details name file, line and field."""

    code = "config.invalid"


class PluginError(JifenError):
    """A plugin contributed something invalid or clashing with another plugin."""

    code = "plugin.invalid"
    http_status = 500


class CrossTenant(NotFound):
    """A request named something that belongs to another tenant (JF-ORG-1)."""

    code = "tenant.cross_tenant"


class OrgTreeError(InvalidInput):
    """An org unit would break the city → district → street → community → grid tree (JF-ORG-2)."""

    code = "org.invalid_tree"


class UnknownKind(InvalidInput):
    """No point kind of that name is registered."""

    code = "kind.unknown"


class InexactAmount(InvalidInput):
    """An amount is not exact in its kind's unit (floats, or too many decimals) (JF-KIND-1/2)."""

    code = "amount.inexact"


class KindNotTransferable(JifenError):
    """The kind cannot be spent, transferred or converted (moral points, JF-KIND-3)."""

    code = "kind.not_transferable"
    http_status = 422


class UnbalancedTransaction(InvalidInput):
    """Debits do not equal credits for some kind (JF-LED-1)."""

    code = "ledger.unbalanced"


class InsufficientBalance(Conflict):
    """The posting would take a balance below zero (JF-LED-4)."""

    code = "ledger.insufficient_balance"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before with another body (JF-LED-3)."""

    code = "ledger.idempotency_conflict"


class AlreadyReversed(Conflict):
    """The transaction has been reversed already; it is reversed at most once (JF-LED-2)."""

    code = "ledger.already_reversed"


class AppendOnly(Conflict):
    """An attempt to update or delete an append-only record (JF-LED-2, JF-DUE-5)."""

    code = "ledger.append_only"
