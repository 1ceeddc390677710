"""The demo city: four months of Kangbashi (康巴什区) run through the whole earning workflow.

It applies ``jifen/data/kangbashi.yaml`` (also at ``examples/kangbashi.yaml``), registers
residents and reviewers, and from March to June 2024 files claims for volunteering, good
deeds, blood donations and more; reviewers approve them (caps apply), notices are published
and closed over working days, one objection is upheld and one dismissed, a deduction is
appealed and reversed. 武先生 ends at exactly 211.2 moral points. The demo runs on its own
moved clock; running it again finds the city made and only prints it.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from jifen import subjects
from jifen.clock import MovableClock
from jifen.model import LinkRole, Subject, SubjectCreate
from jifen.model.claims import ClaimState, ClaimSubmit
from jifen.platform import Platform
from jifen.reports import approver_names, print_score

COMMUNITY = "ordos.kbs.hbgx.tuanjie"
STREET = "ordos.kbs.hbgx"
DISTRICT = "ordos.kbs"
G1, G2 = f"{COMMUNITY}.g01", f"{COMMUNITY}.g02"
MONTHS = (3, 4, 5, 6)

PEOPLE = (("武先生", G1), ("武女士", G1), ("武小朵", G1), ("李娜", G2), ("王强", G2),
          ("赵敏", G2))
REVIEWERS = (("社区审核员 高洁", G2, COMMUNITY), ("街道审核员 孟凡", G2, STREET),
             ("区审核员 白云", G2, DISTRICT))


def config_path() -> Path:
    """The demo city's tenant file, shipped inside the package."""
    return Path(str(resources.files("jifen") / "data" / "kangbashi.yaml"))


@dataclass
class _City:
    platform: Platform
    tenant_id: uuid.UUID
    people: dict[str, Subject]
    community: Subject
    street: Subject
    district: Subject


def run_demo(platform: Platform, console: Console) -> None:
    clock = MovableClock(datetime(2024, 3, 1, 1, 0, tzinfo=UTC))
    demo = Platform(platform.db, clock=clock, pm=platform.pm)
    result = demo.apply_config(config_path(), approved_by="鄂尔多斯市市民积分监督委员会 (demo)")
    city = _city(demo, result.tenant.id)
    if not demo.claims.of_subject(city.tenant_id, city.people["武先生"].id):
        _four_months(city, clock, console)
        demo.pm.hook.seed_demo(platform=demo, tenant_id=city.tenant_id, clock=clock,
                               console=console)
    _report(city, console)


# --- the people ---------------------------------------------------------------------------------

def _subject(platform: Platform, tenant_id: uuid.UUID, request: SubjectCreate) -> Subject:
    assert request.external_ref is not None
    with platform.db.read() as conn:
        existing = subjects.find_by_external_ref(conn, tenant_id, request.external_ref)
    return existing or platform.create_subject(tenant_id, request)


def _city(platform: Platform, tenant_id: uuid.UUID) -> _City:
    people = {name: _subject(platform, tenant_id, SubjectCreate(
        type="resident", name=name, org_unit_code=grid, external_ref=f"demo:{name}"))
        for name, grid in PEOPLE}
    staff = []
    for name, grid, unit in REVIEWERS:
        fresh = not _exists(platform, tenant_id, f"demo:{name}")
        reviewer = _subject(platform, tenant_id, SubjectCreate(
            type="resident", name=name, org_unit_code=grid, external_ref=f"demo:{name}"))
        if fresh:
            platform.grant_role(tenant_id, reviewer.id, "reviewer", unit)
        staff.append(reviewer)
    household = _subject(platform, tenant_id, SubjectCreate(
        type="household", name="武家", org_unit_code=G1, external_ref="demo:household-wu"))
    with platform.db.read() as conn:
        linked = {link.member_id for link in subjects.household_members(conn, tenant_id,
                                                                         household.id)}
    for name, role in (("武先生", LinkRole.guardian), ("武女士", LinkRole.guardian),
                       ("武小朵", LinkRole.child)):
        if people[name].id not in linked:
            platform.link_household(tenant_id, household.id, people[name].id, role)
    return _City(platform, tenant_id, people, *staff)


def _exists(platform: Platform, tenant_id: uuid.UUID, ref: str) -> bool:
    with platform.db.read() as conn:
        return subjects.find_by_external_ref(conn, tenant_id, ref) is not None


# --- four months --------------------------------------------------------------------------------

def _claim(city: _City, who: str, item: str, deed: date, *, units: int | None = None,
           evidence: str = "", by: Subject | None = None) -> uuid.UUID:
    decision = city.platform.claims.submit(city.tenant_id, ClaimSubmit(
        idempotency_key=f"demo:{who}:{item}:{deed}:{evidence}", subject_id=city.people[who].id,
        item=item, deed_date=deed, units=units, submitted_by=by.id if by else None,
        evidence={"ref": evidence or f"{item}/{deed}"}))
    return decision.claim.id


def _month(city: _City, month: int) -> list[tuple[uuid.UUID, Subject, str | None]]:
    """The claims of one month, with who reviews each and (for ranges) the amount."""
    def day(d: int) -> date:
        return date(2024, month, d)

    c, s, d = city.community, city.street, city.district
    work: list[tuple[uuid.UUID, Subject, str | None]] = []
    for activity in (2, 6, 9, 13, 16, 20):  # 6 volunteer activities of 2 hours: 12 a month
        work.append((_claim(city, "武先生", "VOL-HOUR", day(activity), units=2), c, None))
    work.append((_claim(city, "武先生", "ENV-GREEN", day(3)), c, None))
    work.append((_claim(city, "李娜", "VOL-HOUR", day(7), units=3), c, None))  # capped to 2 hours
    work.append((_claim(city, "赵敏", "GOOD-NEIGHBOUR", day(8)), c, None))
    if month == 3:
        work.append((_claim(city, "武先生", "GOOD-DEED", day(11), evidence="送迷路老人回家"),
                     s, "61.2"))
    if month == 4:
        work.append((_claim(city, "武先生", "HEROIC", day(12), evidence="冰面救起落水儿童"),
                     d, "50"))
    if month == 5:
        work.append((_claim(city, "武先生", "CIV-FAMILY", day(15), evidence="2024年文明家庭"),
                     d, None))
        work.append((_claim(city, "王强", "DED-DOG", day(10), evidence="巡查记录 0510",
                            by=city.community), s, None))
    return work


def _four_months(city: _City, clock: MovableClock, console: Console) -> None:
    p, tenant = city.platform, city.tenant_id
    for month in MONTHS:
        clock.set(datetime(2024, month, 24, 2, 0, tzinfo=UTC))
        if month in (3, 6):  # the blood centre reports donations: auto-awarded (JF-EARN-1)
            _claim(city, "武先生", "BLOOD-WHOLE", date(2024, month, 18), evidence="献血证")
        for _ in range(2):
            _claim(city, "赵敏", "SURVEY", date(2024, month, 5 + _), evidence=f"问卷{month}-{_}")
        for claim_id, reviewer, amount in _month(city, month):
            p.claims.approve(tenant, claim_id, reviewer.id, amount=amount)
        batch = p.claims.publish(tenant, STREET, city.street.id)
        assert batch is not None
        if month == 6:
            _print_notice(p, tenant, batch.id, console)
        if month == 4:
            _objections(city, batch.id)
        clock.set(datetime.combine(batch.ends_on + timedelta(days=1), datetime.min.time(),
                                   UTC) + timedelta(hours=2))
        p.claims.close_notices(tenant)
        if month == 5:
            _appeal_the_deduction(city)
    console.print(f"ran March–June 2024: {len(MONTHS)} notice batches closed")


def _objections(city: _City, batch_id: uuid.UUID) -> None:
    """A neighbour objects to two entries: one is upheld, one dismissed (JF-DUE-2)."""
    p, tenant = city.platform, city.tenant_id
    entries = [c for c in p.claims.of_subject(tenant, city.people["赵敏"].id)
               if c.notice_batch_id == batch_id]
    li = [c for c in p.claims.of_subject(tenant, city.people["李娜"].id)
          if c.notice_batch_id == batch_id]
    upheld = p.claims.object(tenant, entries[0].id, "那天赵敏不在小区", raised_by=city.people["王强"].id)
    p.claims.decide_objection(tenant, upheld.id, city.street.id, upheld=True,
                              reason="经核实当日其外出，互助记录有误")
    dismissed = p.claims.object(tenant, li[0].id, "志愿时长可疑")
    p.claims.decide_objection(tenant, dismissed.id, city.street.id, upheld=False,
                              reason="签到表与照片一致")


def _appeal_the_deduction(city: _City) -> None:
    """王强 appeals his deduction; a district reviewer reverses it (JF-DUE-3, JF-CAT-4)."""
    p, tenant = city.platform, city.tenant_id
    deduction = next(c for c in p.claims.of_subject(tenant, city.people["王强"].id)
                     if c.item_code == "DED-DOG")
    if deduction.state == ClaimState.FINAL:
        appeal = p.claims.appeal(tenant, deduction.id, city.people["王强"].id,
                                 "当日所牵为邻居家的犬，已系绳，有视频为证")
        p.claims.decide_appeal(tenant, appeal.id, city.district.id, upheld=True,
                               reason="视频显示已系犬绳，扣分撤销")


# --- what it prints -----------------------------------------------------------------------------

def _print_notice(p: Platform, tenant: uuid.UUID, batch_id: uuid.UUID, console: Console) -> None:
    notice = p.claims.public_notice(tenant, batch_id)
    table = Table("#", "name", "grid", "item", "points", "deed",
                  title=f"公示 public notice {notice.starts_on} – {notice.ends_on} "
                        f"({notice.org_unit}; names masked, JF-DUE-4)")
    for entry in notice.entries[:8]:
        table.add_row(str(entry.entry), entry.name, entry.org_unit, entry.item, entry.amount,
                      str(entry.deed_date))
    console.print(table)
    console.print(f"… {len(notice.entries)} entries in all")


def _report(city: _City, console: Console) -> None:
    p, tenant = city.platform, city.tenant_id
    table = Table("resident", "moral", "material", "final claims",
                  title="康巴什区 (demo) — balances after the demo's months")
    for name, person in city.people.items():
        finals = sum(c.state == ClaimState.FINAL for c in p.claims.of_subject(tenant, person.id))
        table.add_row(name, str(p.balance(tenant, person.id, "moral")),
                      str(p.balance(tenant, person.id, "material")), str(finals))
    console.print(table)
    as_of = datetime(2024, 7, 31, 2, 0, tzinfo=UTC)
    wu = p.score(tenant, city.people["武先生"].id, as_of=as_of)
    with p.db.read() as conn:
        names = approver_names(conn, tenant, wu)
    print_score(console, wu, "武先生", lines=8, names=names)
    daughter = p.score(tenant, city.people["武小朵"].id, as_of=as_of, for_scenario=True)
    console.print(f"武小朵 for a school-place scenario: {daughter.value} "
                  f"(her own: {p.score(tenant, city.people['武小朵'].id, as_of=as_of).value}; "
                  "a guardian's score counts, as the tenant configures, JF-SUB-2)")
    report = p.audit(tenant)
    console.print(f"audit: {report.transactions} transactions, "
                  f"{'verified' if report.ok else 'PROBLEMS: ' + str(report.problems)}")



# --- logins for the web pages (``jifen demo --serve``) -------------------------------------------

DEMO_PASSWORD = "jifen-demo"
"""The demo logins' password (a demo city only; never a real tenant's)."""
DEMO_LOGINS = (("resident", "武先生"), ("reviewer", "社区审核员 高洁"),
               ("admin", "区审核员 白云"))


def demo_logins(platform: Platform) -> tuple[str, list[tuple[str, str, str]]]:
    """Set the demo password for a resident, the community reviewer and an administrator (the
    district reviewer, also given ``admin`` at the district); return the tenant's code and
    ``(role, name, subject code)`` of each. Idempotent."""
    from jifen.api.auth import set_password
    from jifen.errors import Conflict

    tenant = platform.tenant("ordos")
    logins = []
    for role, name in DEMO_LOGINS:
        with platform.db.read() as conn:
            who = subjects.find_by_external_ref(conn, tenant.id, f"demo:{name}")
        assert who is not None, "run the demo first"
        if role == "admin":
            with contextlib.suppress(Conflict):
                platform.grant_role(tenant.id, who.id, "admin", DISTRICT)
        set_password(platform, tenant.id, who.id, DEMO_PASSWORD)
        logins.append((role, name, who.code))
    merchant = _demo_merchant(platform, tenant.id)
    if merchant is not None:  # a plugin (e.g. merchant redemption) seeded a partner merchant
        set_password(platform, tenant.id, merchant.id, DEMO_PASSWORD)
        logins.append(("merchant", merchant.name, merchant.code))
    return tenant.code, logins


def _demo_merchant(platform: Platform, tenant_id: uuid.UUID) -> Subject | None:
    """The first merchant subject the demo's plugins created (external ref ``demo:…``)."""
    from sqlalchemy import select

    from jifen.store import tables

    with platform.db.read() as conn:
        ref = conn.execute(select(tables.subjects.c.external_ref).where(
            tables.subjects.c.tenant_id == tenant_id, tables.subjects.c.type == "merchant",
            tables.subjects.c.external_ref.like("demo:%")).order_by(
            tables.subjects.c.external_ref).limit(1)).scalar_one_or_none()
        return None if ref is None else subjects.find_by_external_ref(conn, tenant_id, ref)
