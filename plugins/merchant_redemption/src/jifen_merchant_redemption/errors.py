"""The plugin's errors, each with a stable code (JF-API-3), subclassing `jifen.errors` so the CLI
and the HTTP layer map them like the core's own."""

from __future__ import annotations

from jifen.errors import Conflict, IdempotencyConflict, InvalidInput, NotFound


class UnknownMerchant(NotFound):
    """No merchant enrolled under that id in this tenant."""

    code = "redemption.unknown_merchant"


class UnknownRedemption(NotFound):
    """No redemption with that id in this tenant."""

    code = "redemption.not_found"


class InvalidMerchant(InvalidInput):
    """A merchant's category, cap or refund window is out of range, or the subject is no merchant."""

    code = "redemption.invalid_merchant"


class InvalidBill(InvalidInput):
    """A bill or a refund amount is not a positive whole number of fen within its limits."""

    code = "redemption.invalid_amount"


class NothingToRedeem(Conflict):
    """No points can be used: the balance is empty, or the capped share of the bill is below
    one point (JF-RED-2)."""

    code = "redemption.nothing_to_redeem"


class TooManyPoints(InvalidInput):
    """More points were asked for than the cap and the balance allow (JF-RED-2)."""

    code = "redemption.too_many_points"


class RedemptionKeyConflict(IdempotencyConflict):
    """The idempotency key was used before for another redemption or refund (JF-LED-3)."""

    code = "redemption.idempotency_conflict"


class RefundWindowClosed(Conflict):
    """The merchant's refund window for this redemption has passed (JF-RED-4)."""

    code = "redemption.refund_window_closed"


class AlreadySettled(Conflict):
    """The redemption has been settled with its pools; it can no longer be refunded (JF-FUND-2)."""

    code = "redemption.settled"


class FullyRefunded(Conflict):
    """The whole bill of the redemption has been refunded already (JF-RED-4)."""

    code = "redemption.fully_refunded"
