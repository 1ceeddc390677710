"""Helpers for testing jifen and jifen plugins: a platform on a moved clock, a tenant with an org
tree, residents, and a context manager that registers a plugin for the duration of a test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pluggy
from sqlalchemy import MetaData

from jifen.clock import MovableClock
from jifen.config import TenantConfig
from jifen.model import OrgUnitCreate, Subject, SubjectCreate, Tenant, TenantCreate
from jifen.platform import Platform
from jifen.store import Database

DEMO_TREE = (
    ("city", "city", None),
    ("district", "district", "city"),
    ("street", "street", "district"),
    ("community", "community", "street"),
    ("grid-1", "grid", "community"),
    ("grid-2", "grid", "community"),
)


def make_platform(url: str, *, start: datetime | None = None,
                  pm: pluggy.PluginManager | None = None) -> Platform:
    """A platform on ``url`` whose clock stands at ``start`` (default 2024-03-01 08:00 UTC)."""
    clock = MovableClock(start or datetime(2024, 3, 1, 8, 0, tzinfo=UTC))
    return Platform(Database(url), clock=clock, pm=pm, master_key=os.urandom(32))


@dataclass
class TenantFixture:
    """A tenant with the org tree city → district → street → community → grid-1, grid-2."""

    platform: Platform
    tenant: Tenant
    residents: list[Subject] = field(default_factory=list)

    @property
    def id(self) -> uuid.UUID:
        return self.tenant.id

    def resident(self, name: str = "张三", grid: str = "grid-1", **extra: Any) -> Subject:
        subject = self.platform.create_subject(self.tenant.id, SubjectCreate(
            type="resident", name=name, org_unit_code=grid, **extra))
        self.residents.append(subject)
        return subject


def make_tenant(platform: Platform, code: str | None = None) -> TenantFixture:
    tenant = platform.create_tenant(TenantCreate(code=code or f"t-{uuid.uuid4().hex[:12]}",
                                                 name="测试市 test city"))
    for unit_code, level, parent in DEMO_TREE:
        platform.add_org_unit(tenant.id, OrgUnitCreate(
            code=unit_code, name=unit_code, level=level, parent_code=parent))
    return TenantFixture(platform, tenant)


@contextmanager
def registered_plugin(pm: pluggy.PluginManager, plugin: object,
                      name: str | None = None) -> Iterator[object]:
    """Register ``plugin`` for the duration of the block, then unregister it."""
    pm.register(plugin, name=name)
    try:
        yield plugin
    finally:
        pm.unregister(plugin)


#: A small catalogue for tests: per-unit, range, fixed, auto-awarded, a deduction, material.
TEST_CATALOGUE: tuple[dict[str, Any], ...] = (
    {"code": "volunteer.hour", "name": "志愿服务", "category": "volunteering", "kind": "moral",
     "per_unit": "1", "unit": "hour", "max_units": 2, "evidence_required": True,
     "review_level": "community", "caps": {"per_month": "10"}, "valid_from": "2024-01-01"},
    {"code": "good.deed", "name": "好人好事", "category": "good_deed", "kind": "moral",
     "min": "2", "max": "100", "evidence_required": True, "review_level": "community",
     "valid_from": "2024-01-01"},
    {"code": "blood.donation", "name": "无偿献血", "category": "blood", "kind": "moral",
     "amount": "5", "evidence_required": True, "review_level": "street", "auto_award": True,
     "notice_required": False, "valid_from": "2024-01-01"},
    {"code": "litter", "name": "乱扔垃圾", "category": "civility", "kind": "moral",
     "amount": "-2", "basis": "《城市市容和环境卫生管理条例》第三十二条", "max_deduction": "2",
     "evidence_required": True, "review_level": "community", "valid_from": "2024-01-01"},
    {"code": "survey", "name": "问卷调查", "category": "engagement", "kind": "material",
     "amount": "50", "evidence_required": False, "review_level": "community",
     "auto_award": True, "notice_required": False, "caps": {"per_day": "100"},
     "valid_from": "2024-01-01"},
)


TEST_POOL: dict[str, Any] = {"code": "test-pool", "name": "测试预算 test budget",
                             "owner": "测试区民政局 test civil affairs", "limit_points": 10_000_000}
"""The default funding pool of `make_config` (100,000 yuan)."""


def make_config(code: str, catalogue: Sequence[dict[str, Any]] = TEST_CATALOGUE,
                **extra: Any) -> TenantConfig:
    """A tenant file (as a model) with the test tree city → … → grid-1, grid-2, and one
    funding pool `TEST_POOL` as the default pool (pass ``pools``/``default_pool`` to change)."""
    extra.setdefault("pools", [TEST_POOL])
    extra.setdefault("default_pool", TEST_POOL["code"] if extra["pools"] else None)
    grids = [{"code": "grid-1", "name": "第一网格", "level": "grid"},
             {"code": "grid-2", "name": "第二网格", "level": "grid"}]
    org = {"code": "city", "name": "测试市", "level": "city", "children": [
        {"code": "district", "name": "测试区", "level": "district", "children": [
            {"code": "street", "name": "测试街道", "level": "street", "children": [
                {"code": "community", "name": "测试社区", "level": "community",
                 "children": grids}]}]}]}
    return TenantConfig.model_validate({"code": code, "name": "测试市 test city", "org": org,
                                        "catalogue": list(catalogue), **extra})


@dataclass
class ClaimsCity(TenantFixture):
    """A configured tenant with two reviewers (community level and street level)."""

    reviewer: Subject | None = None
    street_reviewer: Subject | None = None

    @property
    def reviewer_id(self) -> uuid.UUID:
        assert self.reviewer is not None
        return self.reviewer.id


def make_claims_city(platform: Platform, config: TenantConfig | None = None) -> ClaimsCity:
    """Apply a test tenant file and grant the reviewer roles."""
    config = config or make_config(f"t-{uuid.uuid4().hex[:12]}")
    result = platform.apply_config(config, approved_by="监督委员会 test approval")
    city = ClaimsCity(platform, result.tenant)
    city.reviewer = city.resident("审核员甲", grid="grid-2")
    city.street_reviewer = city.resident("审核员乙", grid="grid-2")
    platform.grant_role(city.id, city.reviewer.id, "reviewer", "community")
    platform.grant_role(city.id, city.street_reviewer.id, "reviewer", "street")
    city.residents.clear()
    return city


# --- schema checks, for the core's tables and a plugin's own (JF-ORG-1) ---------------------------

def schema_differences(database_url: str, metadata: MetaData) -> list[Any]:
    """What differs between the migrated database and ``metadata``'s tables (Alembic's
    autogenerate diff, restricted to those tables); ``[]`` when the migrations create exactly
    the declared schema. Foreign keys a plugin declares only in its migration (into the core's
    tables) are not reported."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    def ours(name: str | None, type_: str, parent: Any) -> bool:
        table = name if type_ == "table" else parent.get("table_name")
        return type_ == "schema" or table in metadata.tables or table == "alembic_version"

    def undeclared_fk_into_core(diff: Any) -> bool:
        return (isinstance(diff, tuple) and diff[0] == "remove_fk"
                and diff[1].referred_table.name not in metadata.tables)

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "include_name": ours})
            return [d for d in compare_metadata(context, metadata)
                    if not undeclared_fk_into_core(d)]
    finally:
        engine.dispose()


def keys_not_led_by_tenant(metadata: MetaData, *, except_tables: Sequence[str] = ("tenants",)
                           ) -> list[str]:
    """The primary and foreign keys of ``metadata`` whose first column is not ``tenant_id``."""
    found = []
    for table in metadata.sorted_tables:
        if table.name in except_tables:
            continue
        if table.primary_key.columns.keys()[0] != "tenant_id":
            found.append(f"{table.name}: primary key")
        found += [f"{table.name}: foreign key {fk.column_keys}"
                  for fk in table.foreign_key_constraints if fk.column_keys[0] != "tenant_id"]
    return found


@contextmanager
def running_server(app: Any, *, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` (an ASGI app, e.g. `jifen.api.create_app`) with uvicorn in a thread on a
    free loopback port for the duration of the block; yield its base URL."""
    import socket
    import threading
    import time

    import uvicorn

    with socket.socket() as probe:
        probe.bind((host, 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning",
                                           lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class TenantClient:
    """Requests to one tenant's HTTP API (``/v1/tenants/<code>…``) on a running server: as a
    subject (a token for the subject's login roles), with a token given as a string, or, for
    ``get``, anonymously (``None``). Writes carry a fresh ``Idempotency-Key`` unless one is
    given. Made by :func:`tenant_api`."""

    def __init__(self, http: Any, city: TenantFixture) -> None:
        self.http, self.city = http, city
        self.prefix = f"/v1/tenants/{city.tenant.code}"

    def token(self, who: Subject | str, *roles: str) -> str:
        """A bearer token: the subject's, with their login roles; or, for an account name,
        one with ``roles`` (as :meth:`jifen.api.auth.Role.parse` reads them)."""
        from jifen.api.auth import Role, issue_token, login_roles

        platform, tenant = self.city.platform, self.city.tenant.code
        if isinstance(who, str):
            return issue_token(platform, tenant, who, [Role.parse(r) for r in roles])[0]
        return issue_token(platform, tenant, who.code,
                           login_roles(platform, self.city.id, who.id))[0]

    def headers(self, who: Subject | str | None) -> dict[str, str]:
        if who is None:
            return {}
        return {"Authorization": f"Bearer {who if isinstance(who, str) else self.token(who)}"}

    def post(self, path: str, who: Subject | str, body: dict[str, Any] | None = None, *,
             key: str | None = None) -> Any:
        return self.http.post(f"{self.prefix}{path}", json=body or {},
                              headers={**self.headers(who),
                                       "Idempotency-Key": key or uuid.uuid4().hex})

    def get(self, path: str, who: Subject | str | None = None) -> Any:
        return self.http.get(f"{self.prefix}{path}", headers=self.headers(who))


@contextmanager
def tenant_api(platform: Platform, city: TenantFixture) -> Iterator[TenantClient]:
    """Serve the platform's API (plugins' routers included) on loopback for the block and
    yield a :class:`TenantClient` for ``city``."""
    import httpx

    from jifen.api import ApiSettings, create_app

    with running_server(create_app(platform, ApiSettings())) as base, \
            httpx.Client(base_url=base, timeout=30) as http:
        yield TenantClient(http, city)


def demo_output(tmp_path: Path, *plugins: str) -> str:
    """Run `jifen demo` on a fresh SQLite database under ``tmp_path`` with only ``plugins``
    loaded (entry-point names), and return what it printed: for testing a plugin's
    ``seed_demo``. Uses a throw-away master key."""
    import base64

    from rich.console import Console

    from jifen.demo import run_demo
    from jifen.plugins import make_plugin_manager
    from jifen.store.migrate import upgrade

    saved = {name: os.environ.get(name) for name in ("JIFEN_LOAD_PLUGINS", "JIFEN_MASTER_KEY")}
    os.environ["JIFEN_LOAD_PLUGINS"] = ",".join(plugins)
    os.environ["JIFEN_MASTER_KEY"] = base64.b64encode(os.urandom(32)).decode()
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    try:
        upgrade(url)
        platform = Platform(Database(url), pm=make_plugin_manager())
        console = Console(record=True, width=200)
        try:
            run_demo(platform, console)
        finally:
            platform.db.dispose()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return console.export_text()


# --- faults: a batch killed in the middle (docs/reliability.md) -----------------------------------

_KILLED_CHILD = """
import os, sys, time, uuid
from datetime import datetime
from sqlalchemy import Engine, event
from jifen.clock import MovableClock
from jifen.platform import Platform
from jifen.store import Database
commits = 0
@event.listens_for(Engine, "commit")
def pause(conn):
    global commits
    commits += 1
    if commits == int(os.environ["PAUSE_AT"]):
        print("paused", flush=True)
        time.sleep(120)
platform = Platform(Database(sys.argv[1]), clock=MovableClock(datetime.fromisoformat(sys.argv[2])),
                    master_key=bytes.fromhex(sys.argv[3]))
tenant_id = uuid.UUID(sys.argv[4])
"""


def kill_midway(platform: Platform, tenant_id: uuid.UUID, statement: str,
                pause_at: int) -> None:
    """Run ``statement`` in a child process on ``platform``'s database, clock time and master
    key (with ``platform`` and ``tenant_id`` in scope), and SIGKILL it while its
    ``pause_at``-th write transaction is open: the commits before are durable, that one's work
    is in flight. Bounded: a child that never pauses fails the test within two minutes."""
    import signal
    import subprocess
    import sys
    from select import select as wait_readable

    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_CHILD + statement, platform.db.url,
         platform.clock.now().isoformat(), platform.master_key.hex(), str(tenant_id)],
        env={**os.environ, "PAUSE_AT": str(pause_at)}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        ready, _, _ = wait_readable([child.stdout], [], [], 120)
        line = child.stdout.readline() if ready else "(no pause within 120 s)"
    finally:
        child.send_signal(signal.SIGKILL)
        _, errors = child.communicate(timeout=30)
    assert line == "paused\n", f"the child did not pause: {line}\n{errors}"
    assert child.returncode == -signal.SIGKILL


def assert_books_sound(platform: Platform, tenant_id: uuid.UUID) -> None:
    """Every balance equals the sum of its postings, every lot adds up, the chain verifies, and
    no idempotency key was posted twice (JF-LED-3, JF-LED-5, JF-LED-6)."""
    from sqlalchemy import func, select

    from jifen.store import tables

    report = platform.audit(tenant_id)
    assert report.ok, report.problems
    transactions = tables.transactions
    with platform.db.read() as conn:
        doubled = conn.execute(select(transactions.c.idempotency_key).where(
            transactions.c.tenant_id == tenant_id).group_by(transactions.c.idempotency_key)
            .having(func.count() > 1)).scalars().all()
    assert doubled == []
