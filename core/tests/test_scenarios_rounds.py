"""Quota rounds (JF-SCN-3, JF-SCN-5, JF-DUE-2, JF-DUE-4, JF-SUB-2): the seed's case — a father's
211.2 moral points lift his daughter from 2-A to 1-A in a round of 15 upgrades — ranking ties by
date then by a published lottery, public notice with masked names, objections, the final list
and replay. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from jifen import hookimpl
from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.model import LinkRole, Points, Subject, SubjectCreate
from jifen.platform import Platform
from jifen.scenarios import ResolvedRule, RoundCreate, ScenarioSpec, rank
from jifen.testing import ClaimsCity, make_claims_city, make_config, registered_plugin

SLOT = "第一小学:2-A→1-A"
OPENS = datetime(2024, 7, 1, 0, 0, tzinfo=UTC)
CLOSES = datetime(2024, 7, 10, 0, 0, tzinfo=UTC)  # a Wednesday

SCHOOL = ScenarioSpec(code="school-upgrade", name="品德积分助力学位升级", provider="康巴什区教育局",
                      benefit="School place upgrade", mode="quota_round", rule_version="2024",
                      eligibility={"min_score": "1", "residence": "community"},
                      use_effect="mark", consume_points="10")


class SchoolPlugin:
    @hookimpl
    def register_scenarios(self, register: Callable[[ScenarioSpec], None]) -> None:
        register(SCHOOL)


@pytest.fixture
def town(platform: Platform) -> Iterator[ClaimsCity]:
    clock(platform).set(datetime(2024, 6, 1, 2, 0, tzinfo=UTC))
    with registered_plugin(platform.pm, SchoolPlugin(), name="test_school"):
        yield make_claims_city(platform, make_config(
            f"t-{uuid.uuid4().hex[:12]}", settings={"child_score": "best_of_guardians"}))


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


def code_of(call: Callable[[], Any]) -> str:
    with pytest.raises(JifenError) as caught:
        call()
    return caught.value.code


def applicant(town: ClaimsCity, name: str, tenths: int) -> Subject:
    who = town.resident(name)
    if tenths:
        town.platform.award(town.id, who.id, Points(kind="moral", minor=tenths),
                            idempotency_key=f"award:{who.id}")
    town.platform.scenarios.grant_consent(town.id, SCHOOL.code, who.id, given_by=who.id)
    return who


def later(platform: Platform, minutes: int = 1) -> None:
    clock(platform).advance(timedelta(minutes=minutes))


def seed_case(town: ClaimsCity) -> dict[str, Any]:
    """The father (211.2) and his daughter; 16 other families; ties by date and by lottery."""
    p = town.platform
    home = p.create_subject(town.id, SubjectCreate(type="household", name="武家",
                                                   org_unit_code="grid-1"))
    father = town.resident("武建国")
    daughter = town.resident("武小朵")
    p.link_household(town.id, home.id, father.id, LinkRole.guardian)
    p.link_household(town.id, home.id, daughter.id, LinkRole.child)
    # JF-KIND-2: 211.2 moral points, exactly, in tenths
    p.award(town.id, father.id, Points(kind="moral", minor=2112), idempotency_key="seed:211.2")
    p.scenarios.grant_consent(town.id, SCHOOL.code, daughter.id, given_by=father.id)
    later(p)
    early = applicant(town, "陈早", 800)  # 80.0, reached first
    later(p, 60)
    late = applicant(town, "林晚", 800)  # 80.0, reached an hour later
    later(p)
    lottery = [applicant(town, f"抽签{i}", 600) for i in range(3)]  # 60.0 at the same instant
    for who in lottery[1:]:
        assert who.created_at == lottery[0].created_at
    later(p)
    others = [applicant(town, f"居民{i}", 1000 + 10 * i) for i in range(11)]  # 100.0..110.0
    low = applicant(town, "低分", 5)  # 0.5: below the minimum of 1
    return {"father": father, "daughter": daughter, "early": early, "late": late,
            "lottery": lottery, "others": others, "low": low}


def test_jf_scn_3_the_seed_case_a_fathers_points_lift_his_daughter(town: ClaimsCity) -> None:
    p = town.platform
    people = seed_case(town)
    clock(p).set(datetime(2024, 7, 1, 2, 0, tzinfo=UTC))
    created = p.scenarios.create_round(town.id, SCHOOL.code, RoundCreate(
        name="康巴什区2024年品德积分助力学位升级", quotas={SLOT: 15, "第二小学:2-A→1-A": 1},
        opens_at=OPENS, closes_at=CLOSES), created_by=town.reviewer_id)
    assert created.seed is None and len(created.seed_sha256) == 64  # published: the digest only
    daughter, father = people["daughter"], people["father"]
    assert code_of(lambda: p.scenarios.apply(town.id, created.id, daughter.id, SLOT,
                                             applied_by=daughter.id)) == \
        "scenario.guardian_consent_required"
    p.scenarios.apply(town.id, created.id, daughter.id, SLOT, applied_by=father.id)
    assert code_of(lambda: p.scenarios.apply(town.id, created.id, daughter.id, SLOT,
                                             applied_by=father.id)) == \
        "scenario.duplicate_application"
    applicants = [people["early"], people["late"], *people["lottery"], *people["others"],
                  people["low"]]
    for who in applicants:
        p.scenarios.apply(town.id, created.id, who.id, SLOT, applied_by=who.id)
    stranger = applicant(town, "没同意", 3000)
    p.scenarios.withdraw_consent(town.id, SCHOOL.code, stranger.id, given_by=stranger.id)
    assert code_of(lambda: p.scenarios.apply(town.id, created.id, stranger.id, SLOT,
                                             applied_by=stranger.id)) == "scenario.no_consent"
    assert code_of(lambda: p.scenarios.draw(town.id, created.id)) == "scenario.window_closed"

    clock(p).set(datetime(2024, 7, 10, 2, 0, tzinfo=UTC))
    p.award(town.id, people["low"].id, Points(kind="moral", minor=5000),
            idempotency_key="too-late")  # after the close: does not count
    assert code_of(lambda: p.scenarios.apply(town.id, created.id, stranger.id, SLOT,
                                             applied_by=stranger.id)) == "scenario.window_closed"
    seed = p.scenarios.round(town.id, created.id).seed
    assert seed is not None and hashlib.sha256(seed.encode()).hexdigest() == created.seed_sha256

    draw = p.scenarios.draw(town.id, created.id, actor=town.reviewer_id)
    entries = {e["subject"]: e for e in draw.result["entries"]}
    mine = entries[str(daughter.id)]
    assert (mine["score"], mine["rank"], mine["selected"]) == ("211.2", 1, True)  # JF-SUB-2
    assert draw.inputs["applicants"][0]["score"]["basis"] == str(father.id)
    assert entries[str(people["low"].id)]["reasons"] == ["below_min_score"]
    ranked = sorted((e for e in draw.result["entries"] if e["rank"]), key=lambda e: e["rank"])
    assert len(ranked) == 17 and sum(e["selected"] for e in ranked) == 15
    order = [e["subject"] for e in ranked]
    # ties: 80.0 by the date the score was reached, then 60.0 by the lottery
    assert order.index(str(people["early"].id)) + 1 == order.index(str(people["late"].id))
    apps = {a["subject"]: a["application"] for a in draw.inputs["applicants"]}
    tickets = {str(w.id): hmac.new(seed.encode(), apps[str(w.id)].encode(),
                                   hashlib.sha256).hexdigest() for w in people["lottery"]}
    assert order[-3:] == sorted(tickets, key=tickets.__getitem__)
    assert [entries[s]["selected"] for s in order[-3:]] == [True, False, False]  # 15 places

    rule = ResolvedRule.model_validate(draw.rule)
    assert rank(rule, draw.inputs) == draw.result["entries"]  # same seed → same order
    other = rank(rule, {**draw.inputs, "seed": "another seed"})
    assert [e["subject"] for e in sorted((e for e in other if e["rank"]),
                                          key=lambda e: e["rank"])][:13] == order[:13]

    p.scenarios.publish_round(town.id, created.id, publisher=town.reviewer_id)
    listing = p.scenarios.public_list(town.id, created.id)
    assert listing.seed == seed and listing.notice_ends_on == date(2024, 7, 17)
    first = listing.entries[0]
    assert (first.rank, first.name, first.slot, first.score, first.selected) == (
        1, "武**", SLOT, "211.2", True)  # JF-DUE-4: masked, no identifiers
    assert all("武小朵" not in e.name and len(e.name) >= 1 for e in listing.entries)
    for decision_id in (draw.id, *[d.id for d in p.scenarios.decisions(
            town.id, scenario=SCHOOL.code, subject_id=daughter.id)]):
        report = p.scenarios.replay(town.id, decision_id)
        assert report.identical, report.differences


def test_jf_due_2_an_upheld_objection_excludes_and_re_ranks_then_the_list_is_final(
        town: ClaimsCity) -> None:
    p = town.platform
    people = seed_case(town)
    clock(p).set(datetime(2024, 7, 1, 2, 0, tzinfo=UTC))
    created = p.scenarios.create_round(town.id, SCHOOL.code, RoundCreate(
        name="round", quotas={SLOT: 15}, opens_at=OPENS, closes_at=CLOSES))
    p.scenarios.apply(town.id, created.id, people["daughter"].id, SLOT,
                      applied_by=people["father"].id)
    for who in [people["early"], people["late"], *people["lottery"], *people["others"]]:
        p.scenarios.apply(town.id, created.id, who.id, SLOT, applied_by=who.id)
    clock(p).set(datetime(2024, 7, 10, 2, 0, tzinfo=UTC))
    first = p.scenarios.draw(town.id, created.id)
    out = next(e for e in first.result["entries"] if not e["selected"])
    target = next(e for e in first.result["entries"] if e["subject"] == str(people["early"].id))
    p.scenarios.publish_round(town.id, created.id, publisher=town.reviewer_id)
    objection = p.scenarios.object_to_entry(town.id, created.id,
                                            uuid.UUID(target["application"]),
                                            "the volunteering was never done")
    assert code_of(lambda: p.scenarios.decide_objection(
        town.id, objection.id, town.reviewer_id, upheld=True, reason="x")) == "claim.self_review"
    assert code_of(lambda: p.scenarios.decide_objection(
        town.id, objection.id, town.street_reviewer.id if town.street_reviewer else uuid.uuid4(),
        upheld=True, reason=" ")) == "claim.reason_required"
    assert code_of(lambda: p.scenarios.close_round(town.id, created.id)) == "scenario.round_state"
    decided = p.scenarios.decide_objection(town.id, objection.id, town.street_reviewer.id
                                           if town.street_reviewer else uuid.uuid4(),
                                           upheld=True, reason="no record in the register")
    assert decided.state == "upheld"
    redraw = p.scenarios.decision(town.id, p.scenarios.round(town.id, created.id).draw_decision_id
                                  or uuid.uuid4())
    assert redraw.inputs["exclusions"] == [target["application"]]
    now_in = {e["subject"]: e for e in redraw.result["entries"]}
    assert now_in[target["subject"]]["excluded"] and not now_in[target["subject"]]["selected"]
    assert now_in[out["subject"]]["selected"]  # the next one moves up
    assert p.scenarios.replay(town.id, redraw.id).identical
    assert len(p.scenarios.public_list(town.id, created.id).entries) == 16  # 17 - 1 excluded

    clock(p).set(datetime(2024, 7, 18, 2, 0, tzinfo=UTC))
    assert code_of(lambda: p.scenarios.public_list(town.id, created.id)) == "notice.ended"
    final = p.scenarios.close_round(town.id, created.id)
    assert final.state == "final"
    listing = p.scenarios.public_list(town.id, created.id)
    assert listing.final and len(listing.entries) == 15 and all(e.selected for e in listing.entries)
    # use effect "mark": 10 points of the father's are marked for this scenario
    check = p.scenarios.check(town.id, SCHOOL.code, people["daughter"].id)
    assert (check.inputs["marked"], check.inputs["effective_score"]) == ("10.0", "201.2")
    assert p.balance(town.id, people["father"].id, "moral") == Points(kind="moral", minor=2112)
    for decision in p.scenarios.decisions(town.id, scenario=SCHOOL.code):
        report = p.scenarios.replay(town.id, decision.id)
        assert report.identical, (decision.kind, report.differences)
