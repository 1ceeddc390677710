"""Helpers for testing with the order-grabbing plugin: a configured town with departments and
a one-call way to post orders (used by the plugin's own tests and benchmark)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from jifen.clock import MovableClock
from jifen.model import Subject, SubjectCreate
from jifen.platform import Platform
from jifen.testing import ClaimsCity
from jifen_order_grabbing.models import Order, OrderPost
from jifen_order_grabbing.service import Orders


@dataclass
class Town:
    """A configured tenant (test catalogue, pool ``test-pool`` as default pool, a community
    and a street reviewer) with departments and a helper to post orders."""

    city: ClaimsCity
    orders: Orders
    departments: dict[str, Subject] = field(default_factory=dict)

    @property
    def id(self) -> uuid.UUID:
        return self.city.id

    @property
    def platform(self) -> Platform:
        return self.city.platform

    @property
    def clock(self) -> MovableClock:
        assert isinstance(self.platform.clock, MovableClock)
        return self.platform.clock

    def department(self, name: str, *categories: str) -> Subject:
        subject = self.platform.create_subject(self.id, SubjectCreate(
            type="department", name=name, org_unit_code="district"))
        self.orders.set_remit(self.id, subject.id, categories)
        self.departments[name] = subject
        return subject

    def post(self, **changes: Any) -> Order:
        """An order in grid-1 of ``community``: category ``sanitation``, 100 points, due in
        3 days, from an inspection, posted by the community reviewer."""
        values: dict[str, Any] = {
            "idempotency_key": f"k-{uuid.uuid4()}", "community": "community", "grid": "grid-1",
            "category": "sanitation", "description": "垃圾站满溢 overflowing bins",
            "deadline": self.clock.now() + timedelta(days=3), "reward": 100}
        values.update(changes)
        return self.orders.post(self.id, OrderPost(**values), self.city.reviewer_id)

    def balance(self, subject_id: uuid.UUID) -> int:
        return self.platform.balance(self.id, subject_id, "material").minor

    def issued(self, pool: str = "test-pool") -> int:
        return self.platform.funding.pool(self.id, pool).issued
