"""The arithmetic of JF-RED-1/2/4 as properties: integers only, every rounding in the
resident's favour."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from jifen_merchant_redemption.rules import parse_yuan, quote, refund_points, value_of, yuan


@given(bill=st.integers(1, 10**10), cap=st.integers(1, 100), rate=st.integers(1, 10_000),
       balance=st.integers(0, 10**9))
def test_jf_red_2_rounding_is_never_in_the_residents_disfavour(bill: int, cap: int, rate: int,
                                                               balance: int) -> None:
    q = quote(bill, cap, rate, balance)
    assert q.cap_fen == bill * cap // 100
    assert 0 <= q.max_points <= balance
    # the value deducted covers at least what the points are worth (×rate to stay in integers)
    assert q.value_fen * rate >= q.max_points * 100
    assert q.value_fen <= q.cap_fen  # and never goes past the cap
    # the most points: one more would be worth more than the cap (unless the balance limits)
    if q.max_points < balance:
        assert (q.max_points + 1) * 100 > q.cap_fen * rate
    # fewer points never deduct more than their ceiling value either
    for points in {0, 1, q.max_points // 2}:
        if points <= q.max_points:
            assert points * 100 <= value_of(points, rate) * rate < points * 100 + rate


@given(points=st.integers(1, 10**6), bill=st.integers(1, 10**8),
       parts=st.lists(st.integers(1, 10**8), max_size=6))
def test_jf_red_4_refunds_return_at_least_their_share_and_never_more_than_used(
        points: int, bill: int, parts: list[int]) -> None:
    refunded_fen = refunded_points = 0
    for wanted in [*parts, bill]:  # the last refund takes whatever is left of the bill
        part = min(wanted, bill - refunded_fen)
        if part == 0:
            break
        back = refund_points(points, part, bill, refunded_points)
        assert back >= 0
        assert back * bill >= min(points * part, (points - refunded_points) * bill)
        refunded_fen += part
        refunded_points += back
    assert refunded_points == points  # refunding the whole bill returns every point


@given(fen=st.integers(0, 10**12))
def test_yuan_round_trips_through_integer_fen(fen: int) -> None:
    assert parse_yuan(yuan(fen)) == fen


def test_jf_red_2_the_seed_58_yuan_at_30_percent() -> None:
    q = quote(parse_yuan("58.00"), 30, 100, 10_000)
    assert (q.cap_fen, q.max_points, q.value_fen) == (1740, 1740, 1740)
