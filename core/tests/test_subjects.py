"""Tenants, the org tree and subjects (JF-ORG-1, JF-ORG-2, JF-SUB-1..4)."""

from __future__ import annotations

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from jifen import subjects
from jifen.errors import Conflict, InvalidInput, NotFound, OrgTreeError
from jifen.model import LinkRole, OrgUnitCreate, SubjectCreate
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.testing import TenantFixture, make_tenant

NATIONAL_ID = "150602198001011234"
PHONE = "13800000000"


def test_jf_org_2_a_child_sits_exactly_one_level_below_its_parent(city: TenantFixture) -> None:
    with pytest.raises(OrgTreeError) as err:
        city.platform.add_org_unit(city.id, OrgUnitCreate(
            code="x", name="x", level="grid", parent_code="street"))
    assert err.value.code == "org.invalid_tree"
    with pytest.raises(OrgTreeError):
        city.platform.add_org_unit(city.id, OrgUnitCreate(
            code="y", name="y", level="community", parent_code="grid-1"))
    unit = city.platform.add_org_unit(city.id, OrgUnitCreate(
        code="grid-3", name="第三网格", level="grid", parent_code="community"))
    assert unit.path.count("/") == 4


def test_jf_org_2_every_resident_belongs_to_a_grid(city: TenantFixture) -> None:
    with pytest.raises(InvalidInput):
        city.platform.create_subject(city.id, SubjectCreate(
            type="resident", name="张三", org_unit_code="community"))
    department = city.platform.create_subject(city.id, SubjectCreate(
        type="department", name="住建局", org_unit_code="district"))
    assert department.type == "department"


def test_jf_sub_1_unknown_subject_types_are_refused(city: TenantFixture) -> None:
    with pytest.raises(InvalidInput):
        city.platform.create_subject(city.id, SubjectCreate(
            type="robot", name="x", org_unit_code="grid-1"))
    assert set(city.platform.registry.subject_types) >= {
        "resident", "household", "grid_worker", "department", "merchant"}


def test_jf_sub_3_national_id_and_phone_are_never_stored_in_clear(city: TenantFixture) -> None:
    p = city.platform
    resident = city.resident(national_id=SecretStr(NATIONAL_ID), phone=SecretStr(PHONE))
    with p.db.read() as conn:
        row = conn.execute(select(t.subjects).where(t.subjects.c.id == resident.id)).one()
        stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in row)
        assert NATIONAL_ID.encode() not in stored and PHONE.encode() not in stored
        assert NATIONAL_ID not in repr(resident) and PHONE not in repr(resident)
        keys = p.keys(city.id)
        found = subjects.find_by_national_id(conn, keys, city.id, NATIONAL_ID)
        assert found is not None and found.id == resident.id
        assert subjects.reveal(conn, keys, city.id, resident.id, "phone") == PHONE
    with pytest.raises(Conflict):
        city.resident(national_id=SecretStr(NATIONAL_ID))


def test_jf_sub_3_lookup_hashes_differ_between_tenants(platform: Platform,
                                                      city: TenantFixture) -> None:
    other = make_tenant(platform)
    a = city.resident(national_id=SecretStr(NATIONAL_ID))
    b = other.resident(national_id=SecretStr(NATIONAL_ID))
    with platform.db.read() as conn:
        hashes = conn.execute(select(t.subjects.c.national_id_hash).where(
            t.subjects.c.id.in_([a.id, b.id]))).scalars().all()
    assert len(set(hashes)) == 2


def test_jf_sub_2_and_jf_sub_4_a_household_links_guardians_and_children(
        city: TenantFixture) -> None:
    p = city.platform
    father, daughter = city.resident("武先生"), city.resident("武小妹")
    household = p.create_subject(city.id, SubjectCreate(
        type="household", name="武家", org_unit_code="grid-1"))
    p.link_household(city.id, household.id, father.id, LinkRole.guardian)
    p.link_household(city.id, household.id, daughter.id, LinkRole.child)
    with p.db.read() as conn:
        members = subjects.household_members(conn, city.id, household.id)
    assert {(m.member_id, m.role) for m in members} == {
        (father.id, LinkRole.guardian), (daughter.id, LinkRole.child)}
    assert len(household.code) == 10 and household.code != father.code  # 一户一码
    with pytest.raises(InvalidInput):
        p.link_household(city.id, father.id, daughter.id, LinkRole.child)


def test_jf_org_1_another_tenants_org_units_and_subjects_are_invisible(
        platform: Platform, city: TenantFixture) -> None:
    other = make_tenant(platform)
    mine = city.resident()
    with platform.db.read() as conn, pytest.raises(NotFound):
        subjects.get_subject(conn, other.id, mine.id)
    household = other.platform.create_subject(other.id, SubjectCreate(
        type="household", name="x", org_unit_code="grid-1"))
    with pytest.raises(NotFound):
        platform.link_household(other.id, household.id, mine.id, LinkRole.member)
