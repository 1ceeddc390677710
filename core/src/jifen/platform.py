"""The platform: one object holding the database, the clock, the plugins and the services.

Everything a caller does goes through a :class:`Platform`; it is built once (by the CLI, the
server or a test) with the clock that time comes from.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import datetime
from functools import cache, cached_property
from pathlib import Path
from typing import Any

import pluggy

from jifen import audit, audit_log, configure, roles, subjects, tenants
from jifen.claims import Claims
from jifen.clock import Clock, SystemClock
from jifen.codes import Codes
from jifen.config import Settings, TenantConfig, load_config
from jifen.funding import Funding
from jifen.keys import TenantKeys, load_master_key
from jifen.ledger import Ledger, default_expiry, subject_account, system_account
from jifen.model import (
    HouseholdLink,
    Leg,
    LinkRole,
    OrgUnit,
    OrgUnitCreate,
    Points,
    Subject,
    SubjectCreate,
    Tenant,
    TenantCreate,
    TransactionRequest,
    TransactionView,
)
from jifen.model.claims import AuditEntry
from jifen.plugins import make_plugin_manager
from jifen.registry import Registry
from jifen.scenarios import Scenarios
from jifen.scoring import Score, Scorer
from jifen.store import Database


class Platform:
    def __init__(self, db: Database, *, clock: Clock | None = None,
                 pm: pluggy.PluginManager | None = None, master_key: bytes | None = None) -> None:
        self.db = db
        self.clock = clock or SystemClock()
        self.pm = pm or make_plugin_manager()
        self.registry = Registry(self.pm)
        self._master_key = master_key
        self._timezones: dict[uuid.UUID, str] = {}
        self._unit_codes: dict[tuple[uuid.UUID, uuid.UUID], tuple[str, ...]] = {}
        self._expiry_rules: dict[uuid.UUID, tuple[float, str]] = {}
        self.ledger = Ledger(db, self.clock, self.registry, self.pm, self._expiry)
        self.claims = Claims(db, self.clock, self.ledger, self.registry, self.pm)
        self.scorer = Scorer(db, self.pm, self.settings_at)
        self.funding = Funding(db, self.ledger, self.clock)

    @cached_property
    def codes(self) -> Codes:
        """Signed short-lived codes: issue, verify, consume, signing keys (JF-CODE-*)."""
        return Codes(self.db, self.clock, self.keys)

    @cached_property
    def scenarios(self) -> Scenarios:
        """Scenarios: consent, eligibility decisions, benefit codes, bookings, quota rounds and
        replay (JF-SCN-*)."""
        return Scenarios(self)

    # tenants and org tree ------------------------------------------------------------------

    def create_tenant(self, request: TenantCreate) -> Tenant:
        with self.db.write() as conn:
            return tenants.create_tenant(conn, self.clock, request)

    def tenant(self, code: str) -> Tenant:
        with self.db.read() as conn:
            return tenants.get_tenant(conn, code)

    def tenants(self) -> list[Tenant]:
        """Every tenant of this installation, by code."""
        with self.db.read() as conn:
            return tenants.list_tenants(conn)

    def org_units(self, tenant_id: uuid.UUID) -> list[OrgUnit]:
        """The tenant's org tree, parents before children (JF-ORG-2)."""
        with self.db.read() as conn:
            return tenants.org_units(conn, tenant_id)

    def add_org_unit(self, tenant_id: uuid.UUID, request: OrgUnitCreate) -> OrgUnit:
        with self.db.write() as conn:
            return tenants.add_org_unit(conn, tenant_id, request)

    def apply_config(self, config: TenantConfig | str | Path, *, approved_by: str
                     ) -> configure.ApplyResult:
        """Create or update a tenant from its file (``jifen tenant apply``): all or nothing."""
        source = "inline"
        if not isinstance(config, TenantConfig):
            source, config = Path(config).name, load_config(config)
        with self.db.write() as conn:
            result = configure.apply_config(conn, self.clock, self.registry, config,
                                            approved_by=approved_by, source=source)
        self._expiry_rules.pop(result.tenant.id, None)
        return result

    def policy(self, tenant_id: uuid.UUID) -> configure.Policy:
        with self.db.read() as conn:
            return configure.policy(conn, tenant_id)

    def settings_at(self, tenant_id: uuid.UUID, org_unit_id: uuid.UUID) -> Settings:
        """The settings in force at an org unit: the nearest ancestor's (JF-ORG-3)."""
        with self.db.read() as conn:
            policy = configure.policy(conn, tenant_id)
            codes = self._unit_codes.get((tenant_id, org_unit_id))
            if codes is None:  # a unit never moves, so its path of codes never changes
                path = tenants.unit_path(conn, tenant_id, org_unit_id)
                codes = self._unit_codes[(tenant_id, org_unit_id)] = tuple(
                    tenants.path_codes(conn, tenant_id, path))
            return policy.settings(list(codes))

    def score(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *,
              as_of: datetime | None = None, for_scenario: bool = False) -> Score:
        """A subject's contribution score with its explanation (JF-SCORE-1/2), as of now unless
        told otherwise; ``for_scenario`` lets a child use a guardian's, as the tenant configures
        (JF-SUB-2)."""
        when = as_of or self.clock.now()
        if for_scenario:
            return self.scorer.score_for_scenario(tenant_id, subject_id, when)
        return self.scorer.score(tenant_id, subject_id, when)

    def grant_role(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, role: str,
                   org_code: str) -> None:
        """Give a subject a role at an org unit (it covers the units below) (JF-PRIV-1)."""
        with self.db.write() as conn:
            roles.grant(conn, tenant_id, subject_id, role, org_code)
            audit_log.record(conn, tenant_id, self.clock.now(), None, "role.granted", "subject",
                             subject_id, "", {"role": role, "org_unit": org_code},
                             actor="operator")

    def audit_log(self, tenant_id: uuid.UUID, *, entity_id: uuid.UUID | None = None,
                  action: str | None = None) -> list[AuditEntry]:
        """The administrative audit log (JF-DUE-5), oldest first."""
        with self.db.read() as conn:
            return audit_log.entries(conn, tenant_id, entity_id=entity_id, action=action)

    # subjects ------------------------------------------------------------------------------

    @property
    def master_key(self) -> bytes:
        """The key every tenant's keys derive from: as given, else loaded on first use."""
        if self._master_key is None:
            self._master_key = load_master_key()
        return self._master_key

    def keys(self, tenant_id: uuid.UUID) -> TenantKeys:
        return TenantKeys(self.master_key, tenant_id)

    def create_subject(self, tenant_id: uuid.UUID, request: SubjectCreate) -> Subject:
        with self.db.write() as conn:
            return subjects.create_subject(conn, self.clock, self.registry,
                                           self.keys(tenant_id), tenant_id, request)

    def export_subject(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> dict[str, Any]:
        """All of a subject's data as one JSON-ready document (JF-PRIV-3, `jifen.export`)."""
        from jifen.export import subject_data

        return subject_data(self, tenant_id, subject_id)

    def link_household(self, tenant_id: uuid.UUID, household_id: uuid.UUID,
                       member_id: uuid.UUID, role: LinkRole) -> HouseholdLink:
        with self.db.write() as conn:
            return subjects.link_household(conn, tenant_id, household_id, member_id, role)

    # ledger conveniences -------------------------------------------------------------------

    def award(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, points: Points, *,
              idempotency_key: str, memo: str = "", metadata: dict[str, str] | None = None
              ) -> TransactionView:
        """Issue ``points`` to a subject from the tenant's issuance account (JF-LED-1)."""
        return self.ledger.post(tenant_id, TransactionRequest(
            idempotency_key=idempotency_key, memo=memo, metadata=metadata or {},
            legs=(Leg(account=system_account("issuance", points.kind), amount=-points.minor),
                  Leg(account=subject_account(subject_id, points.kind), amount=points.minor))))

    def balance(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, kind: str) -> Points:
        return Points(kind=kind, minor=self.ledger.balance(tenant_id,
                                                           subject_account(subject_id, kind)))

    def audit(self, tenant_id: uuid.UUID) -> audit.AuditReport:
        with self.db.read() as conn:
            return audit.verify(conn, tenant_id)

    # policies ------------------------------------------------------------------------------

    def _expiry(self, tenant_id: uuid.UUID, earned_at: datetime) -> datetime | None:
        """JF-EXP-1: the tenant's ``material_expiry`` setting (re-read at most once a minute)."""
        if self._expiry_rule(tenant_id) == "never":
            return None
        return _expiry_for(self._timezone(tenant_id))(earned_at)

    def _expiry_rule(self, tenant_id: uuid.UUID) -> str:
        fetched_at, rule = self._expiry_rules.get(tenant_id, (0.0, ""))
        if time.monotonic() - fetched_at > 60:
            with self.db.read() as conn:
                rule = configure.policy(conn, tenant_id).settings([]).material_expiry
            self._expiry_rules[tenant_id] = (time.monotonic(), rule)
        return rule

    def _timezone(self, tenant_id: uuid.UUID) -> str:
        if tenant_id not in self._timezones:
            with self.db.read() as conn:
                self._timezones[tenant_id] = tenants.get_tenant_by_id(conn, tenant_id).timezone
        return self._timezones[tenant_id]


@cache
def _expiry_for(timezone: str) -> Callable[[datetime], datetime]:
    return default_expiry(timezone)
