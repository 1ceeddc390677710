"""The errors of the order-grabbing plugin, each with a stable code (JF-API-3).

They subclass jifen's own error classes, so the CLI prints them as ``error[<code>]: <message>``
and the HTTP layer maps them like any other jifen error.
"""

from __future__ import annotations

from jifen.errors import Conflict, Forbidden, InvalidInput


class InvalidOrder(InvalidInput):
    """An order, a remit or a staff split is malformed: the message says which field."""

    code = "order.invalid"


class NotADepartment(InvalidInput):
    """The subject named as a department is not of the subject type ``department``."""

    code = "order.not_a_department"


class NotInRemit(Forbidden):
    """The department's remit does not cover the order's problem category (JF-ORD-2)."""

    code = "order.not_in_remit"


class AlreadyGrabbed(Conflict):
    """Another department grabbed the order first: exactly one grab wins (JF-ORD-2)."""

    code = "order.already_grabbed"


class InvalidTransition(Conflict):
    """The order is not in a state this step starts from (see the plugin's state diagram)."""

    code = "order.invalid_transition"


class NotTheGrabber(Forbidden):
    """Only the department holding the order may complete it."""

    code = "order.not_grabber"


class EvidenceRequired(InvalidInput):
    """A completion without evidence is refused (JF-ORD-2)."""

    code = "order.evidence_required"


class ReasonRequired(InvalidInput):
    """Sending an order back, or a reporter's objection, needs a reason."""

    code = "order.reason_required"


class NotTheReporter(Forbidden):
    """Only the resident whose photo report led to the order confirms or objects to it."""

    code = "order.not_reporter"


class ReporterWindowClosed(Conflict):
    """The reporting resident's days to confirm or object are over."""

    code = "order.reporter_window_closed"


class AwaitingReporter(Conflict):
    """The reporting resident has neither confirmed nor let their days pass (JF-ORD-2)."""

    code = "order.awaiting_reporter"


class ReporterObjected(Conflict):
    """The reporting resident refused the completion: send the order back (JF-ORD-2)."""

    code = "order.reporter_objected"
