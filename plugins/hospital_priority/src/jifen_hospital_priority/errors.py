"""The plugin's errors, with stable codes. Both are refusals of an offline verification, so
they are `jifen.errors.InvalidCode` (HTTP 422) like jifen's own ``code.*`` errors."""

from __future__ import annotations

from jifen.errors import InvalidCode


class NotASlotConfirmation(InvalidCode):
    """A genuine benefit code, but not the confirmation of a priority slot (e.g. a bank's VIP
    lane code)."""

    code = "hospital.not_a_slot"


class OtherHospital(InvalidCode):
    """The confirmation is for a department of another hospital."""

    code = "hospital.other_hospital"
