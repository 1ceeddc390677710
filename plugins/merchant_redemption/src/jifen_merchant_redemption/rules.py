"""The redemption arithmetic (JF-RED-1, JF-RED-2, JF-RED-4), integers only, no database.

Amounts are integer fen (1 yuan = 100 fen) and integer points; the tenant's rate is points per
yuan (default 100: 1 point = 1 fen). Every rounding goes in the resident's favour.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_CAPS: dict[str, int] = {
    "catering": 30,
    "retail": 20,
    "services": 25,
    "other": 20,
}
"""Default cap percent per merchant category, within the standard's 20–30 % (JF-RED-1). A merchant
MAY override it (``cap_percent``, 1–100)."""

DEFAULT_REFUND_WINDOW_DAYS = 7
"""Days after a redemption in which the merchant may refund it, unless set per merchant."""


@dataclass(frozen=True)
class Quote:
    """What a bill allows: the cap in fen, the points usable and the value they deduct.

    ``max_points`` is ``min(balance, floor(cap_fen × rate / 100))``; ``value_fen`` is
    ``ceil(max_points × 100 / rate)`` — never less than the points are worth, never above
    ``cap_fen`` (JF-RED-2). ``balance`` is ``None`` when no resident was named (cap only).
    """

    bill_fen: int
    cap_percent: int
    rate: int
    cap_fen: int
    balance: int | None
    max_points: int
    value_fen: int


def ceil_div(numerator: int, denominator: int) -> int:
    """``ceil(numerator / denominator)`` for non-negative integers and a positive denominator."""
    return -(-numerator // denominator)


def cap_fen(bill_fen: int, cap_percent: int) -> int:
    """The deductible share of a bill: ``floor(bill_fen × cap_percent / 100)`` (JF-RED-1)."""
    return bill_fen * cap_percent // 100


def points_for_cap(cap: int, rate: int) -> int:
    """The most points a cap of ``cap`` fen allows: ``floor(cap × rate / 100)``."""
    return cap * rate // 100


def value_of(points: int, rate: int) -> int:
    """The fen that ``points`` deduct from a bill: ``ceil(points × 100 / rate)`` (resident's favour)."""
    return ceil_div(points * 100, rate)


def quote(bill_fen: int, cap_percent: int, rate: int, balance: int | None) -> Quote:
    """The quote for a bill at a cap and a rate, for a resident with ``balance`` usable points."""
    cap = cap_fen(bill_fen, cap_percent)
    allowed = points_for_cap(cap, rate)
    points = allowed if balance is None else max(0, min(balance, allowed))
    return Quote(bill_fen=bill_fen, cap_percent=cap_percent, rate=rate, cap_fen=cap,
                 balance=balance, max_points=points, value_fen=value_of(points, rate))


def refund_points(points: int, refund_fen: int, bill_fen: int, already_refunded: int) -> int:
    """Points returned for a refund of ``refund_fen`` of a ``bill_fen`` bill paid with ``points``:
    ``ceil(points × refund_fen / bill_fen)`` (resident's favour), capped by what is not yet
    refunded (JF-RED-4)."""
    return min(ceil_div(points * refund_fen, bill_fen), points - already_refunded)


def yuan(fen: int) -> str:
    """Integer fen as yuan with two decimals (``5800`` → ``"58.00"``), no floats."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def parse_yuan(text: str) -> int:
    """Yuan written with at most two decimals (``"58"``, ``"58.5"``, ``"58.00"``) as integer fen.

    Raises:
        ValueError: anything else (no floats are involved).
    """
    whole, _, decimals = text.strip().partition(".")
    if not whole.isdigit() or len(decimals) > 2 or (decimals and not decimals.isdigit()):
        raise ValueError(f"{text!r}: expected yuan with at most two decimals, e.g. 58.00")
    return int(whole) * 100 + int((decimals + "00")[:2])
