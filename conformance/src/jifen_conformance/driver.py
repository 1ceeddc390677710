"""The one interface every driver implements, and the vocabulary of actions the cases use.

A driver provisions a tenant from a tenant file and its named subjects, performs *actions*
(``submit_claim``, ``approve``, ``balance``, …; see ``docs/conformance/case-format.md``) as a
named actor, and moves the implementation's clock (test mode, JF-API-2). Results are plain JSON
values (dicts, lists, strings, integers, booleans), with subject handles replaced by the case's
names so that drivers agree on what a case sees. A refusal raises :class:`ActionError` with the
standard's stable error code; an action the implementation does not offer raises
:class:`Unsupported` (the case is skipped by name, never passed).
"""

from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Actions whose absence may be declared without failing a MUST clause: they are harness
#: conveniences (direct issuance, raw transfers), not requirements of the standard.
CAPABILITY_ACTIONS = {
    "issue": "direct_issuance",
    "spend": "spend",
    "transfer": "transfer",
    "reverse": "reverse",
    "post_transaction": "raw_ledger",
}


class ActionError(Exception):
    """The implementation refused the action with a stable error code (JF-API-3)."""

    def __init__(self, code: str, message: str = "", status: int | None = None) -> None:
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message
        self.status = status


class Unsupported(Exception):
    """The implementation (or the driver) does not offer this action or capability."""


@dataclass
class SubjectSpec:
    """A subject a case needs: its name in the case, type, grid (org unit) and roles."""

    name: str
    type: str = "resident"
    org_unit: str = "grid-1"
    roles: list[tuple[str, str]] = field(default_factory=list)
    """(role, org unit code) pairs."""


@dataclass
class Implementation:
    """What the implementation under test says about itself."""

    name: str
    version: str
    profiles: list[str]
    capabilities: list[str] = field(default_factory=list)
    """Optional features (see :data:`CAPABILITY_ACTIONS` and the checks' ``requires``)."""
    plugins: list[str] = field(default_factory=list)


class Tenant(abc.ABC):
    """A provisioned tenant: what the driver needs to act in it."""

    name: str


class Driver(abc.ABC):
    """Create tenants, act, query, move the clock."""

    name: str = "abstract"

    @abc.abstractmethod
    def implementation(self) -> Implementation:
        """Name, version, claimed profiles and capabilities."""

    @abc.abstractmethod
    def create_tenant(self, config: dict[str, Any], subjects: list[SubjectSpec]) -> Tenant:
        """Provision a fresh tenant from ``config`` (the tenant file, with a unique code the
        driver may change) and its subjects."""

    @abc.abstractmethod
    def act(self, tenant: Tenant, action: str, args: dict[str, Any], actor: str | None) -> Any:
        """Perform ``action`` as the subject named ``actor`` (``None``: the system/operator)."""

    @abc.abstractmethod
    def set_clock(self, when: datetime) -> None:
        """Move the implementation's clock to ``when`` (an aware datetime)."""

    def close(self) -> None:  # noqa: B027 - optional to override
        """Release what the driver holds."""
