"""The demo city: a small tenant with an org tree and residents, points awarded and spent.

Every write carries a fixed idempotency key, so running the demo again posts nothing twice
(JF-LED-3) and prints the same balances.
"""

from __future__ import annotations

import uuid

from rich.console import Console
from rich.table import Table

from jifen import subjects
from jifen.errors import NotFound
from jifen.ledger import subject_account, system_account
from jifen.model import (
    Leg,
    LinkRole,
    OrgUnitCreate,
    Points,
    Subject,
    SubjectCreate,
    Tenant,
    TenantCreate,
    TransactionRequest,
)
from jifen.platform import Platform

TREE = [
    ("ordos", "鄂尔多斯市", "city", None),
    ("kangbashi", "康巴什区", "district", "ordos"),
    ("qingchunshan", "青春山街道", "street", "kangbashi"),
    ("binhe", "滨河社区", "community", "qingchunshan"),
    ("binhe-01", "滨河社区第一网格", "grid", "binhe"),
    ("binhe-02", "滨河社区第二网格", "grid", "binhe"),
]
RESIDENTS = [("武先生", "binhe-01"), ("武女士", "binhe-01"), ("李娜", "binhe-02"),
             ("王强", "binhe-02")]


def run_demo(platform: Platform, console: Console) -> None:
    tenant = _tenant(platform)
    people = _residents(platform, tenant.id)
    wu, wu_wife, li, wang = people
    household = _household(platform, tenant.id, people)
    moral = [(wu, "211.2", "volunteering, photo reports, blood donation"),
             (li, "36.5", "volunteering"), (wang, "12.0", "good deed")]
    for subject, amount, memo in moral:
        platform.award(tenant.id, subject.id, Points.of("moral", amount),
                       idempotency_key=f"demo:moral:{subject.name}", memo=memo)
    for subject, material in [(wu, 1800), (wu_wife, 2500), (li, 900), (wang, 300)]:
        platform.award(tenant.id, subject.id, Points.of("material", material),
                       idempotency_key=f"demo:survey:{subject.name}", memo="surveys and quizzes")
    # 武女士 pays 17.40 yuan of a 58.00 yuan bill with 1,740 points (30% cap, 100 points = 1 yuan).
    platform.ledger.post(tenant.id, TransactionRequest(
        idempotency_key="demo:spend:wu-wife", memo="bill 58.00 yuan at a partner merchant",
        legs=(Leg(account=subject_account(wu_wife.id, "material"), amount=-1740),
              Leg(account=system_account("settlement", "material", "demo-merchant"),
                  amount=1740))))
    table = Table("resident", "grid", "moral", "material", title=f"{tenant.name} — balances")
    grids = {p.id: g for p, (_, g) in zip(people, RESIDENTS, strict=True)}
    for person in people:
        table.add_row(person.name, grids[person.id],
                      str(platform.balance(tenant.id, person.id, "moral")),
                      str(platform.balance(tenant.id, person.id, "material")))
    console.print(table)
    console.print(f"household code (一户一码): {household.code}")
    report = platform.audit(tenant.id)
    console.print(f"audit: {report.transactions} transactions, "
                  f"{'verified' if report.ok else 'PROBLEMS: ' + str(report.problems)}")


def _tenant(platform: Platform) -> Tenant:
    try:
        return platform.tenant("demo")
    except NotFound:
        tenant = platform.create_tenant(TenantCreate(code="demo", name="康巴什区 (demo)"))
        for code, name, level, parent in TREE:
            platform.add_org_unit(tenant.id, OrgUnitCreate(
                code=code, name=name, level=level, parent_code=parent))
        return tenant


def _subject(platform: Platform, tenant_id: uuid.UUID, request: SubjectCreate) -> Subject:
    """The subject the demo made earlier under the same external reference, or a new one."""
    assert request.external_ref is not None
    with platform.db.read() as conn:
        existing = subjects.find_by_external_ref(conn, tenant_id, request.external_ref)
    return existing or platform.create_subject(tenant_id, request)


def _residents(platform: Platform, tenant_id: uuid.UUID) -> list[Subject]:
    return [_subject(platform, tenant_id, SubjectCreate(
        type="resident", name=name, org_unit_code=grid, external_ref=f"demo:{name}"))
        for name, grid in RESIDENTS]


def _household(platform: Platform, tenant_id: uuid.UUID, people: list[Subject]) -> Subject:
    household = _subject(platform, tenant_id, SubjectCreate(
        type="household", name="武家", org_unit_code="binhe-01", external_ref="demo:household-wu"))
    with platform.db.read() as conn:
        linked = {link.member_id for link in subjects.household_members(conn, tenant_id,
                                                                         household.id)}
    for guardian in people[:2]:
        if guardian.id not in linked:
            platform.link_household(tenant_id, household.id, guardian.id, LinkRole.guardian)
    return household
