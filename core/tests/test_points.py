"""Exact amounts (JF-KIND-1, JF-KIND-2): integers of minor units, never floats."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jifen.errors import InexactAmount
from jifen.model import Points


def test_jf_kind_2_moral_211_2_round_trips_exactly() -> None:
    points = Points.of("moral", "211.2")
    assert points.minor == 2112
    assert str(points) == "211.2"
    assert Points.of("moral", str(points)) == points


def test_jf_kind_1_material_points_are_whole() -> None:
    assert Points.of("material", 1740).minor == 1740
    with pytest.raises(InexactAmount):
        Points.of("material", "17.5")


@pytest.mark.parametrize("value", [211.2, 0.1, True])
def test_jf_kind_2_floats_are_refused(value: object) -> None:
    with pytest.raises(InexactAmount):
        Points.of("moral", value)


@pytest.mark.parametrize("value", ["1.25", "abc", "NaN", "Infinity"])
def test_jf_kind_2_more_than_one_decimal_or_not_a_number_is_refused(value: str) -> None:
    with pytest.raises(InexactAmount):
        Points.of("moral", value)


def test_jf_kind_2_arithmetic_stays_exact() -> None:
    total = Points.of("moral", 0)
    for _ in range(10):
        total = total + Points.of("moral", "0.1")
    assert total == Points.of("moral", 1)
    assert str(Points.of("moral", "-3.5")) == "-3.5"


def test_kinds_do_not_mix() -> None:
    with pytest.raises(InexactAmount):
        Points.of("moral", 1) + Points.of("material", 1)


@given(st.integers(min_value=-10**15, max_value=10**15))
def test_jf_kind_2_every_tenth_round_trips(minor: int) -> None:
    points = Points(kind="moral", minor=minor)
    assert Points.of("moral", str(points)) == points
    assert Points.of("moral", Decimal(str(points))) == points


def test_jf_led_ids_differ_across_a_fork() -> None:
    """Ids made client-side stay unique when a process forks (random bits are not shared)."""
    import os

    from jifen.model.ids import new_id

    new_id()  # fill the parent's buffer of random bits
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child writes one id and exits
        os.write(write, new_id().bytes)
        os._exit(0)
    os.close(write)
    child = os.read(read, 16)
    os.waitpid(pid, 0)
    parent = new_id().bytes
    assert child[8:] != parent[8:]  # the random tails differ
