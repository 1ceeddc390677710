"""The plugin's error, with a stable code: a refusal of an offline verification, so an
`jifen.errors.InvalidCode` (HTTP 422) like jifen's own ``code.*`` errors."""

from __future__ import annotations

from jifen.errors import InvalidCode


class NotAVipCode(InvalidCode):
    """A genuine benefit code of the tenant, but for another benefit (e.g. a hospital slot)."""

    code = "bank_vip.wrong_benefit"
