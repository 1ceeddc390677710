"""Applying a tenant file, and the policy it sets: settings per org unit, the working-day
calendar, caps, and the catalogue version in force on a date (JF-ORG-3, JF-CAT-1..6, JF-EARN-3).

``jifen tenant apply city.yaml`` creates the tenant on its first apply and updates it later,
in one database transaction: the org tree, a new numbered configuration version, and the
catalogue versions the file (and the plugins) publish. Published catalogue versions never
change; a change is a new version that takes effect after it is published (JF-CAT-3, JF-CAT-6),
except on the tenant's first apply, which may import the city's existing catalogue history.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, insert, select, update

from jifen import audit_log, funding, tenants
from jifen.clock import Clock
from jifen.config import (
    Calendar,
    Caps,
    CatalogueItem,
    Settings,
    TenantConfig,
    add_working_days,
    effective_settings,
    iter_units,
)
from jifen.errors import (
    CatalogueNotAhead,
    CatalogueVersionChanged,
    Conflict,
    InvalidInput,
    NotInCatalogue,
    OrgTreeError,
)
from jifen.model import OrgUnitCreate, Tenant, TenantCreate
from jifen.registry import Registry
from jifen.store import tables as t


@dataclass(frozen=True)
class ApplyResult:
    tenant: Tenant
    version: int
    created: bool
    units_added: int
    items_published: int
    unchanged: bool


def apply_config(conn: Connection, clock: Clock, registry: Registry, config: TenantConfig, *,
                 approved_by: str, source: str) -> ApplyResult:
    """Create or update the tenant ``config`` describes; all of it or (on any error) none."""
    if not approved_by.strip():
        raise InvalidInput("a configuration is applied on the approval of the supervision "
                           "committee (JF-CAT-6): name the approval in approved_by")
    body = config.model_dump(mode="json")
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False)
                            .encode()).hexdigest()
    tenant, created = _tenant(conn, clock, config)
    latest = conn.execute(select(t.tenant_configs.c.version, t.tenant_configs.c.sha256).where(
        t.tenant_configs.c.tenant_id == tenant.id).order_by(
        t.tenant_configs.c.version.desc()).limit(1)).first()
    if latest is not None and latest.sha256 == digest:
        return ApplyResult(tenant, latest.version, False, 0, 0, True)
    version = (latest.version if latest else 0) + 1
    units_added = _sync_org_tree(conn, tenant, config)
    now = clock.now()
    conn.execute(insert(t.tenant_configs).values(
        tenant_id=tenant.id, version=version, applied_at=now, approved_by=approved_by,
        source=source, sha256=digest, config=body))
    published = _publish_catalogue(conn, tenant, config, registry, version, now,
                                   first=latest is None)
    pools_changed = funding.sync_pools(conn, tenant.id, config.pools, clock)
    audit_log.record(conn, tenant.id, now, None, "config.applied", "tenant", tenant.id,
                     f"approved by {approved_by}",
                     {"version": str(version), "source": source, "sha256": digest,
                      "units_added": str(units_added), "items_published": str(published),
                      "pools_changed": str(pools_changed)},
                     actor="operator")
    return ApplyResult(tenant, version, created, units_added, published, False)


def _tenant(conn: Connection, clock: Clock, config: TenantConfig) -> tuple[Tenant, bool]:
    row = conn.execute(select(t.tenants).where(t.tenants.c.code == config.code)).mappings().first()
    if row is None:
        return tenants.create_tenant(conn, clock, TenantCreate(
            code=config.code, name=config.name, timezone=config.timezone)), True
    tenant = Tenant.model_validate(dict(row))
    if tenant.timezone != config.timezone:
        raise Conflict(f"tenant {tenant.code!r} keeps time in {tenant.timezone}; the file says "
                       f"{config.timezone} (a tenant's time zone never changes)")
    if tenant.name != config.name:
        conn.execute(update(t.tenants).where(t.tenants.c.id == tenant.id)
                     .values(name=config.name))
    return tenant, False


def _sync_org_tree(conn: Connection, tenant: Tenant, config: TenantConfig) -> int:
    """Add the units the file adds; a unit is never moved, re-levelled or removed."""
    existing = {row.code: row for row in conn.execute(
        select(t.org_units.c.code, t.org_units.c.level, t.org_units.c.parent_id,
               t.org_units.c.id, t.org_units.c.name)
        .where(t.org_units.c.tenant_id == tenant.id))}
    codes_by_id = {row.id: code for code, row in existing.items()}
    in_file: set[str] = set()
    added = 0
    for unit, path, _loc in iter_units(config):
        in_file.add(unit.code)
        parent = path[-2].code if len(path) > 1 else None
        row = existing.get(unit.code)
        if row is None:
            tenants.add_org_unit(conn, tenant.id, OrgUnitCreate(
                code=unit.code, name=unit.name, level=unit.level, parent_code=parent))
            added += 1
            continue
        if row.level != unit.level or codes_by_id.get(row.parent_id) != parent:
            raise OrgTreeError(f"org unit {unit.code!r} exists as a {row.level} under "
                               f"{codes_by_id.get(row.parent_id)!r}; units are never moved",
                               org_unit=unit.code)
        if row.name != unit.name:
            conn.execute(update(t.org_units).where(t.org_units.c.tenant_id == tenant.id,
                                                   t.org_units.c.id == row.id)
                         .values(name=unit.name))
    missing = sorted(set(existing) - in_file)
    if missing:
        raise OrgTreeError(f"org units {', '.join(missing)} exist but are not in the file; "
                           "units are never removed", org_units=missing)
    return added


def _publish_catalogue(conn: Connection, tenant: Tenant, config: TenantConfig,
                       registry: Registry, version: int, now: datetime, *, first: bool) -> int:
    items = [(item, "tenant file") for item in config.catalogue]
    own_codes = {item.code for item in config.catalogue}
    items += [(item, f"plugin {plugin}") for item, plugin in registry.catalogue_items
              if item.code not in own_codes]
    stored = {(row.code, row.valid_from): row.definition for row in conn.execute(
        select(t.catalogue_items.c.code, t.catalogue_items.c.valid_from,
               t.catalogue_items.c.definition)
        .where(t.catalogue_items.c.tenant_id == tenant.id))}
    today = now.astimezone(ZoneInfo(tenant.timezone)).date()
    rows = []
    for item, origin in items:
        definition = item.model_dump(mode="json")
        known = stored.get((item.code, item.valid_from))
        if known is not None:
            if known != definition:
                raise CatalogueVersionChanged(
                    f"catalogue item {item.code!r} valid from {item.valid_from} is published "
                    "and cannot change; publish a new version with a later valid_from (JF-CAT-3)",
                    item=item.code)
            continue
        if not first and item.valid_from <= today:
            raise CatalogueNotAhead(
                f"catalogue item {item.code!r} ({origin}) would take effect on {item.valid_from}, "
                f"not after its publication today ({today}); give it a later valid_from (JF-CAT-6)",
                item=item.code)
        rows.append({"tenant_id": tenant.id, "code": item.code, "valid_from": item.valid_from,
                     "category": item.category, "kind": item.kind, "definition": definition,
                     "published_at": now, "config_version": version, "contributed_by": origin})
    if rows:
        conn.execute(insert(t.catalogue_items), rows)
    return len(rows)


# --- what a tenant's configuration says ---------------------------------------------------------

@dataclass(frozen=True)
class Policy:
    """A tenant's configuration as it applies to claims: settings at a unit, calendar, caps.

    A tenant that never applied a file (built through the API) has the defaults: the default
    settings everywhere, weekends off, no category caps.
    """

    config: TenantConfig | None
    version: int

    def settings(self, org_path_codes: list[str]) -> Settings:
        """The settings in force at the unit whose path from the root is ``org_path_codes``:
        the nearest unit named in the file decides (JF-ORG-3)."""
        if self.config is None:
            return Settings()
        known = {unit.code for unit, _path, _loc in iter_units(self.config)}
        for code in reversed(org_path_codes):
            if code in known:
                return effective_settings(self.config, code)
        return self.config.settings

    def calendar(self) -> Calendar:
        return self.config.calendar if self.config else Calendar()

    def add_working_days(self, start: date, n: int) -> date:
        """``n`` working days after ``start`` in the tenant's calendar (JF-EARN-3)."""
        return add_working_days(self.calendar(), start, n)

    def category_caps(self, category: str) -> Caps | None:
        return self.config.category_caps.get(category) if self.config else None


_POLICIES: dict[tuple[uuid.UUID, int], Policy] = {}


def policy(conn: Connection, tenant_id: uuid.UUID) -> Policy:
    """The tenant's current policy (cached per configuration version)."""
    version = conn.execute(select(func.max(t.tenant_configs.c.version)).where(
        t.tenant_configs.c.tenant_id == tenant_id)).scalar()
    if version is None:
        return Policy(None, 0)
    key = (tenant_id, int(version))
    if key not in _POLICIES:
        body = conn.execute(select(t.tenant_configs.c.config).where(
            t.tenant_configs.c.tenant_id == tenant_id,
            t.tenant_configs.c.version == version)).scalar_one()
        _POLICIES[key] = Policy(TenantConfig.model_validate(body), int(version))
    return _POLICIES[key]


def item_in_force(conn: Connection, tenant_id: uuid.UUID, code: str, on: date) -> CatalogueItem:
    """The version of catalogue item ``code`` in force on ``on`` (JF-CAT-3)."""
    definition = conn.execute(
        select(t.catalogue_items.c.definition)
        .where(t.catalogue_items.c.tenant_id == tenant_id, t.catalogue_items.c.code == code,
               t.catalogue_items.c.valid_from <= on)
        .order_by(t.catalogue_items.c.valid_from.desc()).limit(1)).scalar()
    if definition is None:
        raise NotInCatalogue(f"no catalogue item {code!r} was in force on {on}", item=code)
    return CatalogueItem.model_validate(definition)


def item_version(conn: Connection, tenant_id: uuid.UUID, code: str,
                 valid_from: date) -> CatalogueItem:
    definition = conn.execute(select(t.catalogue_items.c.definition).where(
        t.catalogue_items.c.tenant_id == tenant_id, t.catalogue_items.c.code == code,
        t.catalogue_items.c.valid_from == valid_from)).scalar_one()
    return CatalogueItem.model_validate(definition)


def catalogue(conn: Connection, tenant_id: uuid.UUID) -> list[CatalogueItem]:
    """Every published version of every item, by code and date."""
    rows = conn.execute(select(t.catalogue_items.c.definition).where(
        t.catalogue_items.c.tenant_id == tenant_id).order_by(
        t.catalogue_items.c.code, t.catalogue_items.c.valid_from)).scalars()
    return [CatalogueItem.model_validate(d) for d in rows]
