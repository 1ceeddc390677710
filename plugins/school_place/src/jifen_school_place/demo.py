"""The school-place plugin's part of `jifen demo`: the seed's case (JF-SCN-3, JF-SUB-2).

《康巴什区2024年品德积分助力学位升级名单》: 15 children get an upgrade from a 2-A to a 1-A place
at 第一中学. 武小朵 applies through her father 武先生, whose moral points (211.2 after the core's
four months; 236.2 as a contribution score, the heroic act weighing 1.5) count for her. Thirty
other children apply through their guardians, whose scores are spread around hers, with a tie
by date and a tie broken by the lottery near the cut-off; two are below the minimum.

It runs from the demo clock's current time and only moves the clock forward (`seed_demo`).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from rich.console import Console
from rich.table import Table

from jifen import subjects
from jifen.clock import MovableClock
from jifen.model import LinkRole, Points, Subject, SubjectCreate
from jifen.platform import Platform
from jifen_school_place.model import SchoolRound, slot
from jifen_school_place.service import SchoolPlaces

UPGRADE = slot("第一中学", "2-A", "1-A")
# The families live in 哈巴格希街道. (Not in 青春山街道: its `overrides` reset, once stored, the
# city's `child_score: best_of_guardians` to `own` — a core issue, see docs/plugins/school-place.md.)
GRIDS = tuple(f"ordos.kbs.hbgx.{community}.g0{g}"
              for community in ("tuanjie", "youyi", "shuxiang") for g in (1, 2))
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
# Tenths of the guardians' moral points, in the order they are awarded. Groups awarded at the
# same instant share a date; (1800, 1800) are awarded an hour apart (a tie by date), the three
# 1500s at one instant (a tie broken by the lottery, around the 15th place).
SCORES: tuple[tuple[int, ...], ...] = (
    (3205, 3010, 2888, 2750, 2603, 2510, 2486, 2400), (2200, 2055, 1980), (1800,), (1800,),
    (1500, 1500, 1500), (1400, 1300, 1205, 1100, 999, 880, 755, 666, 600, 550, 512),
    (450, 300))


def _person(platform: Platform, tenant_id: uuid.UUID, ref: str, request: SubjectCreate
            ) -> Subject:
    with platform.db.read() as conn:
        found = subjects.find_by_external_ref(conn, tenant_id, f"demo:{ref}")
    return found or platform.create_subject(tenant_id, request.model_copy(
        update={"external_ref": f"demo:{ref}"}))


def _family(platform: Platform, tenant_id: uuid.UUID, i: int) -> tuple[Subject, Subject]:
    """Household ``i``: a guardian and a child in one grid of the district."""
    surname, grid = SURNAMES[i % len(SURNAMES)], GRIDS[i % len(GRIDS)]
    home = _person(platform, tenant_id, f"school-household-{i}", SubjectCreate(
        type="household", name=f"{surname}家{i}", org_unit_code=grid))
    guardian = _person(platform, tenant_id, f"school-guardian-{i}", SubjectCreate(
        type="resident", name=f"{surname}{'先生' if i % 2 else '女士'}{i}", org_unit_code=grid))
    child = _person(platform, tenant_id, f"school-child-{i}", SubjectCreate(
        type="resident", name=f"{surname}同学{i}", org_unit_code=grid))
    platform.link_household(tenant_id, home.id, guardian.id, LinkRole.guardian)
    platform.link_household(tenant_id, home.id, child.id, LinkRole.child)
    return guardian, child


def _find(platform: Platform, tenant_id: uuid.UUID, name: str) -> Subject:
    with platform.db.read() as conn:
        found = subjects.find_by_external_ref(conn, tenant_id, f"demo:{name}")
    assert found is not None, name
    return found


def seed(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock, console: Console) -> None:
    """Families and their points, a round open for 9 days, the applications, the draw, the list
    under notice and, after the notice, the final list."""
    places = SchoolPlaces(platform)
    father, daughter = _find(platform, tenant_id, "武先生"), _find(platform, tenant_id, "武小朵")
    officer = _find(platform, tenant_id, "区审核员 白云")
    street = _find(platform, tenant_id, "街道审核员 孟凡")

    families: list[tuple[Subject, Subject]] = []
    for group in SCORES:
        for tenths in group:
            guardian, child = _family(platform, tenant_id, len(families))
            # moral points come from the issuance account: no funding pool (JF-LED-1, JF-KIND-3)
            platform.award(tenant_id, guardian.id, Points(kind="moral", minor=tenths),
                           idempotency_key=f"demo:school:{guardian.id}",
                           memo="demo: 志愿服务等品德积分", metadata={"category": "good_deed"})
            families.append((guardian, child))
        clock.advance(timedelta(hours=1))
    families.append((father, daughter))
    for guardian, child in families:  # a guardian's separate consent (JF-PRIV-4)
        places.grant_consent(tenant_id, child.id, guardian_id=guardian.id)

    opens = clock.now()
    year = opens.year
    created = places.open_round(tenant_id, SchoolRound.model_validate({
        "school_year": str(year), "name": f"康巴什区{year}年品德积分助力学位升级名单 (demo)",
        "opens_at": opens, "closes_at": opens + timedelta(days=9),
        "upgrades": [{"school": "第一中学", "from": "2-A", "to": "1-A", "places": 15}]}),
        opened_by=officer.id)
    clock.advance(timedelta(hours=2))
    for guardian, child in families:
        places.apply(tenant_id, created.id, child.id, UPGRADE, guardian_id=guardian.id)
        clock.advance(timedelta(minutes=3))

    clock.set(created.closes_at + timedelta(hours=1))
    draw = places.draw(tenant_id, created.id, actor=officer.id)
    listing = places.publish(tenant_id, created.id, publisher=officer.id)
    table = Table("rank", "name", "slot", "score", "selected",
                  title=f"公示 {listing.round}: {listing.notice_starts_on} – "
                        f"{listing.notice_ends_on} (names masked, JF-DUE-4)")
    for entry in listing.entries:
        table.add_row(str(entry.rank), entry.name, entry.slot, entry.score,
                      "✓" if entry.selected else "")
    console.print(table)
    console.print(f"lottery seed {listing.seed} (sha256 {listing.seed_sha256}, published when "
                  "the round opened)", highlight=False)

    mine = next(e for e in draw.result["entries"] if e["subject"] == str(daughter.id))
    assert listing.notice_ends_on is not None
    clock.set(clock.now() + timedelta(days=(listing.notice_ends_on - clock.now().date()).days + 1))
    final = places.close(tenant_id, created.id, actor=street.id)
    won = mine["selected"] and any(e.rank == mine["rank"] for e in final.entries)
    console.print(f"武小朵 ({listing.entries[mine['rank'] - 1].name}) ranks {mine['rank']} "
                  f"with her father's {mine['score']}: "
                  f"{'one of the 15 upgrades 2-A → 1-A' if won else 'not selected'} on the "
                  f"final list of {len(final.entries)} (JF-SCN-3, JF-SUB-2)", highlight=False)
