"""The errors of the school-place plugin, each with a stable code (JF-API-3).

They subclass jifen's own error classes, so the ``jifen`` command prints them as
``error[<code>]: <message>`` and the HTTP layer maps them like any other jifen error. The core's
scenario errors (``scenario.no_consent``, ``scenario.guardian_consent_required``,
``scenario.window_closed``, ``scenario.duplicate_application``, …) pass through unchanged.
"""

from __future__ import annotations

from jifen.errors import Forbidden, InvalidInput, NotFound


class InvalidRoundFile(InvalidInput):
    """A round file (``jifen school-place open-round FILE.yaml``) is invalid; the message names
    every field."""

    code = "school_place.invalid_round"


class GuardianApplies(Forbidden):
    """A school place is applied for by a guardian for a child, never by the applicant itself
    (JF-SUB-2, JF-PRIV-4)."""

    code = "school_place.guardian_applies"


class UnknownEntry(NotFound):
    """No entry of the round's list has this slot and rank."""

    code = "school_place.unknown_entry"
