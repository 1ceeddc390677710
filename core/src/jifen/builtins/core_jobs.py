"""The core's periodic jobs, registered through ``register_jobs`` like a plugin's."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

from jifen import hookimpl
from jifen.jobs import JobFunction

if TYPE_CHECKING:
    from jifen.platform import Platform

NOTICES_CLOSE_EVERY = 300.0
LEDGER_EXPIRE_EVERY = 3600.0


def close_notices(platform: Platform, tenant_id: uuid.UUID) -> None:
    """Post the awards whose notice has ended (JF-EARN-3); idempotent."""
    platform.claims.close_notices(tenant_id)


def expire(platform: Platform, tenant_id: uuid.UUID) -> None:
    """Post the expiry of expired lots (JF-EXP-1); idempotent."""
    platform.ledger.expire(tenant_id)


@hookimpl
def register_jobs(register: Callable[[str, float, JobFunction], None]) -> None:
    register("notices.close", NOTICES_CLOSE_EVERY, close_notices)
    register("ledger.expire", LEDGER_EXPIRE_EVERY, expire)

