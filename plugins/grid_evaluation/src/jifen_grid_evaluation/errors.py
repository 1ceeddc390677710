"""The errors of the grid-evaluation plugin, each with a stable code (JF-API-3).

They subclass jifen's own error classes, so the CLI prints them as ``error[<code>]: <message>``
and the HTTP layer maps them like any other jifen error.
"""

from __future__ import annotations

from jifen.errors import Conflict, InvalidInput, NotFound


class InvalidMonth(InvalidInput):
    """A month is not written ``YYYY-MM``."""

    code = "grid.invalid_month"


class MonthNotEnded(Conflict):
    """The month has not ended yet in the tenant's time zone; it cannot be evaluated."""

    code = "grid.month_not_ended"


class InvalidFormula(InvalidInput):
    """A formula (a file or a model) is invalid; the message names every field at fault."""

    code = "grid.invalid_formula"


class InvalidMetrics(InvalidInput):
    """Metrics are invalid (negative counts, ratings outside 1–5, a bad CSV row)."""

    code = "grid.invalid_metrics"


class NotAGridWorker(InvalidInput):
    """The subject named is not a grid worker."""

    code = "grid.not_a_worker"


class NotAGrid(InvalidInput):
    """A grid worker is attached to a grid org unit, not to another level."""

    code = "grid.not_a_grid"


class AlreadyEvaluated(Conflict):
    """The worker's month is evaluated; its metrics change only through a correction."""

    code = "grid.already_evaluated"


class NotEvaluated(NotFound):
    """The worker's month has no evaluation to correct."""

    code = "grid.not_evaluated"


class CorrectionUnchanged(Conflict):
    """A correction must change the metrics; these are the metrics already evaluated."""

    code = "grid.correction_unchanged"


class NoPool(InvalidInput):
    """Rewards are due but neither the formula nor the tenant names a funding pool."""

    code = "grid.no_pool"


class InvalidLevel(InvalidInput):
    """A ranking is per community, street, district or city."""

    code = "grid.invalid_level"


class AlreadyRated(Conflict):
    """The resident has rated this grid worker this month already: one rating a month."""

    code = "grid.already_rated"


class NotAResident(InvalidInput):
    """Only a resident rates a grid worker."""

    code = "grid.not_a_resident"
