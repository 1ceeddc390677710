"""Exact point amounts (JF-KIND-1, JF-KIND-2).

A :class:`Points` value is a kind plus an integer number of minor units. The kind's ``scale`` says
how many decimal places a point has: material points have scale 0 (1 point = 1 fen at the default
rate), moral points scale 1 (stored in tenths, so 211.2 is 2112). Floats are refused everywhere:
a float cannot say 0.1 exactly.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

from jifen.errors import InexactAmount

_KIND_SCALES: dict[str, int] = {"material": 0, "moral": 1}


def register_scale(kind: str, scale: int) -> None:
    """Record a kind's scale so that :class:`Points` can parse and print it (called by the registry)."""
    _KIND_SCALES[kind] = scale


def scale_of(kind: str) -> int:
    try:
        return _KIND_SCALES[kind]
    except KeyError:
        from jifen.errors import UnknownKind

        raise UnknownKind(f"unknown point kind {kind!r}", kind=kind) from None


def to_minor(value: Any, scale: int) -> int:
    """Convert ``value`` (int, Decimal or decimal string) to integer minor units, exactly, or refuse."""
    if isinstance(value, bool | float):
        raise InexactAmount(
            f"amount {value!r} is a {type(value).__name__}; give an integer or a decimal string",
        )
    if isinstance(value, int):
        return _bounded(int(value * 10**scale), value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise InexactAmount(f"amount {value!r} is not a number") from None
    if not number.is_finite():
        raise InexactAmount(f"amount {value!r} is not finite")
    if number.is_zero():
        return 0
    places = number.adjusted() + scale  # exact integer arithmetic below, never rounding
    if places > MAX_DIGITS:
        raise InexactAmount(f"amount {value!r} is too large")
    sign, digits, exponent = number.as_tuple()
    shift = int(exponent) + scale
    whole = int("".join(map(str, digits)))
    if places < 0 or (shift < 0 and whole % 10**-shift):
        raise InexactAmount(f"amount {value!r} has more than {scale} decimal place(s)")
    whole = whole // 10**-shift if shift < 0 else whole * 10**shift
    return _bounded(-whole if sign else whole, value)


MAX_MINOR = 2**63 - 1
"""The largest amount in minor units: what a 64-bit integer column holds."""
MAX_DIGITS = len(str(MAX_MINOR))


def _bounded(minor: int, value: Any) -> int:
    if abs(minor) > MAX_MINOR:
        raise InexactAmount(f"amount {value!r} is too large")
    return minor


def format_minor(minor: int, scale: int) -> str:
    """Print integer minor units as a decimal string with exactly ``scale`` places."""
    if scale == 0:
        return str(minor)
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**scale)
    return f"{sign}{whole}.{frac:0{scale}d}"


class Points(BaseModel):
    """An exact amount of one point kind, held as integer minor units."""

    model_config = ConfigDict(frozen=True)

    kind: str
    minor: int

    @field_validator("minor", mode="before")
    @classmethod
    def _no_floats(cls, value: Any) -> Any:
        if isinstance(value, float | bool):
            raise ValueError("minor units must be an integer")
        return value

    @classmethod
    def of(cls, kind: str, value: Any) -> Points:
        """Parse ``value`` in points (``"211.2"``, ``Decimal``, ``int``) for ``kind``."""
        return cls(kind=kind, minor=to_minor(value, scale_of(kind)))

    @property
    def scale(self) -> int:
        return scale_of(self.kind)

    def __str__(self) -> str:
        return format_minor(self.minor, self.scale)

    def __add__(self, other: Points) -> Points:
        self._same_kind(other)
        return Points(kind=self.kind, minor=self.minor + other.minor)

    def __sub__(self, other: Points) -> Points:
        self._same_kind(other)
        return Points(kind=self.kind, minor=self.minor - other.minor)

    def __neg__(self) -> Points:
        return Points(kind=self.kind, minor=-self.minor)

    def _same_kind(self, other: Points) -> None:
        if other.kind != self.kind:
            raise InexactAmount(f"cannot combine {self.kind} and {other.kind} points")
