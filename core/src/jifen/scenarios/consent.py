"""Consent to a scenario (JF-SCN-1, JF-PRIV-2, JF-PRIV-4).

A resident grants and withdraws consent per scenario; each grant or withdrawal is a new row of
the append-only table ``scenario_consents``, and the current state is the latest row. For a
child (a member linked to a household with role ``child``) only a guardian's consent counts:
it is recorded with the guardian who gave it, and anyone else's is refused with
``scenario.guardian_consent_required``. An adult consents for themselves. An operator at a
service counter records the same thing with ``via="counter"`` (JF-PRIV-5).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import Connection, insert, select

from jifen import audit_log, subjects
from jifen.errors import Forbidden, GuardianConsentRequired
from jifen.model import new_id
from jifen.scenarios.model import ConsentRecord
from jifen.store import tables as t

_CHUNK = 500


def chunks(items: Sequence[uuid.UUID]) -> Iterable[Sequence[uuid.UUID]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]


def guardians(conn: Connection, tenant_id: uuid.UUID,
              ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For every subject of ``ids`` that is a child of a household: its guardians (sorted by
    id, possibly none). Subjects that are nobody's child are not in the result.

    Two indexed lookups per chunk (the children's households, then those households'
    guardians) rather than a self-join, whose plan SQLite without statistics drove from every
    guardian of the tenant."""
    links = t.household_links.c
    found: dict[uuid.UUID, set[uuid.UUID]] = {}
    for chunk in chunks(list(ids)):
        homes: dict[uuid.UUID, list[uuid.UUID]] = {}
        for member, household in conn.execute(select(links.member_id, links.household_id).where(
                links.tenant_id == tenant_id, links.member_id.in_(chunk),
                links.role == "child")):
            found.setdefault(member, set())
            homes.setdefault(household, []).append(member)
        for start in range(0, len(homes), 500):
            batch = list(homes)[start:start + 500]
            for household, guard in conn.execute(select(links.household_id, links.member_id).where(
                    links.tenant_id == tenant_id, links.household_id.in_(batch),
                    links.role == "guardian")):
                for member in homes[household]:
                    if guard != member:
                        found[member].add(guard)
    return {member: sorted(gs) for member, gs in found.items()}


def record(conn: Connection, now: datetime, tenant_id: uuid.UUID, scenario: str,
           subject_id: uuid.UUID, *, granted: bool, given_by: uuid.UUID,
           via: Literal["online", "counter"]) -> ConsentRecord:
    """Write one grant or withdrawal, refusing anyone who may not give it."""
    subjects.get_subject(conn, tenant_id, subject_id)
    subjects.get_subject(conn, tenant_id, given_by)
    kin = guardians(conn, tenant_id, [subject_id])
    if subject_id in kin:
        if given_by not in kin[subject_id]:
            raise GuardianConsentRequired(
                "consent for a child is given or withdrawn only by a guardian (JF-PRIV-4)",
                scenario=scenario)
    elif given_by != subject_id:
        raise Forbidden("an adult gives or withdraws consent for themselves (JF-PRIV-2)",
                        scenario=scenario)
    row = ConsentRecord(tenant_id=tenant_id, id=new_id(), scenario=scenario,
                        subject_id=subject_id, granted=granted, given_by=given_by, via=via,
                        created_at=now)
    conn.execute(insert(t.scenario_consents).values(row.model_dump()))
    audit_log.record(conn, tenant_id, now, given_by,
                     "scenario.consent_granted" if granted else "scenario.consent_withdrawn",
                     "subject", subject_id, "", {"scenario": scenario, "via": via})
    return row


def history(conn: Connection, tenant_id: uuid.UUID, scenario: str,
            subject_id: uuid.UUID) -> list[ConsentRecord]:
    """Every grant and withdrawal, oldest first."""
    c = t.scenario_consents.c
    rows = conn.execute(select(t.scenario_consents).where(
        c.tenant_id == tenant_id, c.scenario == scenario, c.subject_id == subject_id)
        .order_by(c.created_at, c.id)).mappings()
    return [ConsentRecord.model_validate(dict(r)) for r in rows]


def states(conn: Connection, tenant_id: uuid.UUID, scenario: str, ids: Sequence[uuid.UUID],
           as_of: datetime, before: uuid.UUID | None,
           kin: dict[uuid.UUID, list[uuid.UUID]]) -> dict[uuid.UUID, bool]:
    """Whether each subject had consented as of ``as_of``: its latest record made at or before
    ``as_of`` (and, when ``before`` is given, with an id below it — a record written after a
    decision is not seen when the decision is replayed). For a child only a guardian's record
    (``kin``) counts."""
    c = t.scenario_consents.c
    latest: dict[uuid.UUID, bool] = defaultdict(bool)
    for chunk in chunks(list(ids)):
        query = select(c.subject_id, c.granted, c.given_by).where(
            c.tenant_id == tenant_id, c.scenario == scenario, c.subject_id.in_(chunk),
            c.created_at <= as_of)
        if before is not None:
            query = query.where(c.id < before)
        for subject_id, granted, given_by in conn.execute(query.order_by(c.created_at, c.id)):
            allowed = kin.get(subject_id, [subject_id])
            if given_by in allowed:
                latest[subject_id] = bool(granted)
    return {subject_id: latest[subject_id] for subject_id in ids}
