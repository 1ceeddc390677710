"""Helpers for testing code that uses this plugin: a shop — a configured city with two funding
pools, a catering merchant (cap 30 %) and a resident — with helpers to fund the resident, issue
pay codes and redeem."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from jifen.funding import Issue
from jifen.model import Subject
from jifen.platform import Platform
from jifen.testing import TEST_POOL, ClaimsCity, make_claims_city, make_config

from .models import Merchant, Redemption
from .service import MerchantRedemption

OTHER_POOL: dict[str, Any] = {"code": "sponsor-pool", "name": "赞助 sponsor",
                              "owner": "某银行 a bank", "limit_points": 1_000_000}


@dataclass
class Shop:
    """A configured city with a merchant and a resident (see the module docstring)."""

    platform: Platform
    city: ClaimsCity
    service: MerchantRedemption
    merchant: Merchant
    resident: Subject

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.city.id

    def fund(self, amount: int, pool: str = "test-pool", subject: Subject | None = None) -> None:
        who = subject or self.resident
        self.platform.funding.issue(self.tenant_id, Issue(
            pool, who.id, amount, f"fund:{uuid.uuid4()}", "test funding", {}))

    def pay_code(self, subject: Subject | None = None) -> str:
        who = subject or self.resident
        return self.platform.codes.issue(self.tenant_id, who.id, "pay").token

    def balance(self, subject: Subject | None = None) -> int:
        who = subject or self.resident
        return self.platform.balance(self.tenant_id, who.id, "material").minor

    def redeem(self, bill_fen: int, key: str | None = None, points: int | None = None
               ) -> Redemption:
        return self.service.redeem(self.tenant_id, self.merchant.id, bill_fen, self.pay_code(),
                                   key or str(uuid.uuid4()), points)


def make_shop(platform: Platform, **settings: Any) -> Shop:
    """A new shop; ``settings`` go to the tenant file's ``settings`` (e.g. the rate)."""
    extra: dict[str, Any] = {"settings": settings} if settings else {}
    config = make_config(f"t-{uuid.uuid4().hex[:12]}", pools=[TEST_POOL, OTHER_POOL], **extra)
    city = make_claims_city(platform, config)
    service = MerchantRedemption(platform)
    merchant = service.add_merchant(city.id, "老王面馆 Wang's noodles", "community",
                                    category="catering")
    return Shop(platform, city, service, merchant, city.resident("李四"))
