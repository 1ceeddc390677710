"""The hospital-priority plugin's part of `jifen demo` (JF-SCN-4, JF-CODE-2).

武先生 books two priority slots for himself and one for his daughter 武小朵 (a child: her
guardian consents and books, and her score is her father's, JF-SUB-2); his third booking of
the month is refused by the monthly limit. Then the hospital checks each confirmation code
offline with the public key alone and prints what it learns.

It runs from the demo clock's current time and only moves the clock forward (to the first
of next month when fewer than three days of this one are left, so that the three days
booked fall in one month), so it fits wherever the other plugins' parts left the clock.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from rich.console import Console

from jifen import subjects, tenants
from jifen.clock import MovableClock
from jifen.errors import MonthlyLimit
from jifen.model import Subject
from jifen.platform import Platform
from jifen_hospital_priority.scenario import DEPARTMENTS, HOSPITAL, SCENARIO
from jifen_hospital_priority.service import HospitalPriority, verify_confirmation

CARDIOLOGY, EYES, CHILDREN, ORTHOPAEDICS = DEPARTMENTS


def seed(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock, console: Console) -> None:
    """Book, refuse one booking by the monthly limit, and verify the codes offline."""
    hospital = HospitalPriority(platform)
    with platform.db.read() as conn:
        zone = ZoneInfo(tenants.get_tenant_by_id(conn, tenant_id).timezone)
    today = clock.now().astimezone(zone).date()
    if (today + timedelta(days=3)).month != today.month:
        today = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
        clock.set(datetime.combine(today, time(9, 0), zone))  # forward only
    father, daughter = _resident(platform, tenant_id, "武先生"), _resident(platform, tenant_id,
                                                                           "武小朵")
    hospital.grant_consent(tenant_id, father.id)
    hospital.grant_consent(tenant_id, daughter.id, given_by=father.id)  # JF-PRIV-4
    limit = hospital.monthly_limit(tenant_id)
    console.print(f"{SCENARIO} (JF-SCN-4): {HOSPITAL}, "
                  f"{hospital.departments(tenant_id)[CARDIOLOGY]} priority slots a day per "
                  f"department, at most {limit} a month per resident", highlight=False)
    plan = ((father, CARDIOLOGY, 1), (daughter, CHILDREN, 1), (father, EYES, 2))
    booked = []
    for who, department, days in plan:
        clock.advance(timedelta(minutes=1))
        booking = hospital.book(tenant_id, who.id, department, today + timedelta(days=days),
                                f"demo:hospital:{who.name}:{department}", booked_by=father.id)
        booked.append(booking)
        console.print(f"{who.name} booked a priority slot: {department} on {booking.day}",
                      highlight=False)
    clock.advance(timedelta(minutes=1))
    third = today + timedelta(days=3)
    try:
        hospital.book(tenant_id, father.id, ORTHOPAEDICS, third,
                      f"demo:hospital:{father.name}:{ORTHOPAEDICS}")
    except MonthlyLimit as refused:
        console.print(f"{father.name} refused {ORTHOPAEDICS} on {third} by the monthly limit "
                      f"({refused.code}): {refused.message}", highlight=False, markup=False)
    keys = hospital.public_keys(tenant_id)  # all the hospital holds
    for booking in booked:
        shown = verify_confirmation(booking.token or "", keys, now=clock.now(), hospital=HOSPITAL)
        console.print(f"the hospital's offline check learns only: {shown.text} (JF-CODE-2)",
                      highlight=False)


def _resident(platform: Platform, tenant_id: uuid.UUID, name: str) -> Subject:
    with platform.db.read() as conn:
        who = subjects.find_by_external_ref(conn, tenant_id, f"demo:{name}")
    assert who is not None, name
    return who
