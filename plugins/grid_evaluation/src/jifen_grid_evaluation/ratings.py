"""Residents' monthly ratings of their grid's worker (JF-GRID-1, JF-PRIV-1).

A resident rates a grid worker of their own grid, 1 to 5, once in a calendar month of the
tenant's time zone. The rating is stored (one row per resident, worker and month) and added to
the worker's metrics of that month (``ratings_count``, ``ratings_sum``) in the same
transaction, so the month's evaluation counts it. A worker who is not in the resident's grid
looks exactly like one that does not exist (`not_found`), so a refusal tells nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from jifen import audit_log, subjects, tenants
from jifen.errors import NotFound
from jifen.platform import Platform
from jifen_grid_evaluation import rows
from jifen_grid_evaluation import tables as t
from jifen_grid_evaluation.errors import (
    AlreadyEvaluated,
    AlreadyRated,
    InvalidMetrics,
    NotAResident,
)
from jifen_grid_evaluation.model import Metrics

RESIDENT = "resident"
RATED_BY = "residents' ratings"


class Rating(BaseModel):
    """A resident's rating of a grid worker for a month (the resident is not named in it)."""

    model_config = ConfigDict(frozen=True)

    worker: str = Field(description="the grid worker's code")
    month: str
    rating: int = Field(ge=1, le=5)
    rated_at: datetime


def rate(platform: Platform, tenant_id: uuid.UUID, resident_id: uuid.UUID, worker_code: str,
         rating: int) -> Rating:
    """Store the resident's rating of ``worker_code`` for the current month and add it to
    the worker's metrics. Refused with nothing written: a caller who is no resident
    (`grid.not_a_resident`), a worker not in the resident's grid or unknown (`not_found`), a
    second rating this month (`grid.already_rated`), a month evaluated already
    (`grid.already_evaluated`), a rating outside 1–5 (`grid.invalid_metrics`)."""
    if not 1 <= rating <= 5:
        raise InvalidMetrics(f"a rating is 1 to 5, not {rating}", rating=str(rating))
    try:
        return _rate(platform, tenant_id, resident_id, worker_code, rating)
    except IntegrityError as exc:  # two first ratings of the month raced for the metrics row
        if "grid_metrics" not in str(exc.orig):
            raise
        return _rate(platform, tenant_id, resident_id, worker_code, rating)


def _rate(platform: Platform, tenant_id: uuid.UUID, resident_id: uuid.UUID, worker_code: str,
          rating: int) -> Rating:
    now = platform.clock.now()
    try:
        with platform.db.write() as conn:
            month = _month(conn, tenant_id, now)
            worker_id = _their_worker(conn, tenant_id, resident_id, worker_code)
            if rows.evaluated_ids(conn, tenant_id, month, [worker_id]):
                raise AlreadyEvaluated(f"{month} is evaluated for this worker", month=month)
            conn.execute(insert(t.grid_ratings).values(
                tenant_id=tenant_id, worker_id=worker_id, month=month, resident_id=resident_id,
                rating=rating, rated_at=now))
            _add(conn, tenant_id, worker_id, month, rating, now)
            audit_log.record(conn, tenant_id, now, resident_id, "grid.rated", "grid_worker",
                             worker_id, "", {"month": month, "rating": str(rating)})
    except IntegrityError as exc:
        if "grid_ratings" not in str(exc.orig):
            raise
        raise AlreadyRated(f"you rated {worker_code} this month already", worker=worker_code
                           ) from exc
    return Rating(worker=worker_code, month=month, rating=rating, rated_at=now)


def platform_ratings(conn: Connection, tenant_id: uuid.UUID, worker_id: uuid.UUID,
                     month: str) -> tuple[int, int]:
    """How many ratings residents gave the worker for ``month`` on the platform, and their sum."""
    r = t.grid_ratings
    count, total = conn.execute(select(func.count(), func.coalesce(func.sum(r.c.rating), 0))
                                .where(r.c.tenant_id == tenant_id, r.c.worker_id == worker_id,
                                       r.c.month == month)).one()
    return int(count), int(total)


def _month(conn: Connection, tenant_id: uuid.UUID, now: datetime) -> str:
    zone = ZoneInfo(tenants.get_tenant_by_id(conn, tenant_id).timezone)
    return now.astimezone(zone).strftime("%Y-%m")


def _their_worker(conn: Connection, tenant_id: uuid.UUID, resident_id: uuid.UUID,
                  worker_code: str) -> uuid.UUID:
    resident = subjects.get_subject(conn, tenant_id, resident_id)
    if resident.type != RESIDENT:
        raise NotAResident(f"a {resident.type} does not rate grid workers; residents do")
    worker = rows.worker_by(conn, tenant_id, "code", worker_code)
    if worker is None or subjects.get_subject(conn, tenant_id, worker).org_unit_id != \
            resident.org_unit_id:
        raise NotFound(f"no grid worker {worker_code!r} in your grid", worker=worker_code)
    return worker


def _add(conn: Connection, tenant_id: uuid.UUID, worker_id: uuid.UUID, month: str, rating: int,
         now: datetime) -> None:
    """Add one rating to the worker's metrics of the month, atomically (one ``UPDATE … SET
    ratings_count = ratings_count + 1``; a first rating inserts the row)."""
    m = t.grid_metrics
    added = conn.execute(update(m).where(
        m.c.tenant_id == tenant_id, m.c.worker_id == worker_id, m.c.month == month).values(
        ratings_count=m.c.ratings_count + 1, ratings_sum=m.c.ratings_sum + rating)).rowcount
    if not added:
        conn.execute(insert(m).values(
            tenant_id=tenant_id, worker_id=worker_id, month=month,
            **Metrics(ratings_count=1, ratings_sum=rating).model_dump(), recorded_at=now,
            recorded_by=RATED_BY))
