"""HTTP throughput and latency of balance reads and pay-code redemptions, against a bare
endpoint of the same app, with wrk on loopback, on SQLite and PostgreSQL.

For each backend a fresh database is migrated and seeded here (a shop from the merchant plugin's
testing helpers: ``--residents`` funded residents, one catering merchant, and one pay code per
redemption issued before the clock starts); then the same app that ``jifen serve`` runs
(`jifen.api.create_app` with every installed plugin, no scheduler) is served by uvicorn in a
**separate process** (one worker) on 127.0.0.1, with one extra route added only here,
``GET /bench/bare`` returning ``{"ok": true}`` through the same middleware (the baseline).
wrk then loads, one after the other, for ``--duration`` seconds each:

- ``bare``: ``GET /bench/bare``;
- ``balance``: ``GET /v1/tenants/{tenant}/subjects/me/balances`` with a resident's token
  (authentication, the subject, one balance read per point kind);
- ``redeem``: ``POST /v1/tenants/{tenant}/merchants/{merchant}/redemptions`` with the
  merchant's token, a fresh ``Idempotency-Key`` and a body ``{"token": <pay code>,
  "bill_fen": 1000}``, each pay code used once, round-robin over the residents.

Reported: requests/s, the ratio to ``bare``, p50 and p99 latency, and non-2xx answers (must be
0: an error is not a measurement).

    uv run --frozen --no-sync python benchmarks/http_load.py [--duration 10] [--connections 8]
        [--threads 2] [--residents 200] [--codes 6000] [--backend sqlite|postgresql|both]

PostgreSQL comes from ``JIFEN_TEST_POSTGRES_URL`` (skipped with a message when unset).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from _common import postgres_url, sqlite_url

WRK = shutil.which("wrk") or "/usr/bin/wrk"
BILL_FEN = 1000  # 10 yuan at the catering cap of 30 %: 300 points per redemption
LUA_SUMMARY = """
done = function(summary, latency, requests)
  io.write(string.format('{"requests": %d, "seconds": %f, "non2xx": %d, "socket_errors": %d, '
    .. '"p50_ms": %f, "p99_ms": %f}\\n', summary.requests, summary.duration / 1e6,
    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
"""
LUA_REDEEM = """
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end
function init(args)
  codes = {}
  local n, i = #threads_total, 0
  for line in io.lines(args[1]) do
    if i % tonumber(args[2]) == id then table.insert(codes, line) end
    i = i + 1
  end
end
function request()
  counter = counter + 1
  if counter > #codes then wrk.thread:stop() end
  local code = codes[math.min(counter, #codes)]
  wrk.headers["Idempotency-Key"] = "bench-" .. id .. "-" .. counter
  return wrk.format("POST", nil, nil, '{"token": "' .. code .. '", "bill_fen": %d}')
end
""".replace("local n, i = #threads_total, 0", "local i = 0")


@dataclass
class Run:
    backend: str
    name: str
    requests: int
    seconds: float
    non2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


# --- the server (a separate process) ------------------------------------------------------------

def serve(url: str, port: int) -> None:
    """Run in the child process: the app of ``jifen serve`` plus ``GET /bench/bare``."""
    import uvicorn

    from jifen.api import ApiSettings, create_app
    from jifen.platform import Platform
    from jifen.plugins import make_plugin_manager
    from jifen.store import Database

    app = create_app(Platform(Database(url), pm=make_plugin_manager()),
                     ApiSettings(scheduler=False))

    @app.get("/bench/bare", include_in_schema=False)
    def bare() -> dict[str, bool]:
        return {"ok": True}

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextmanager
def server(url: str, key: str) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "JIFEN_MASTER_KEY": key}
    child = subprocess.Popen([sys.executable, __file__, "--serve", url, str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/bench/bare", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the benchmark server did not start") from None
                time.sleep(0.2)
        yield base
    finally:
        child.terminate()
        child.wait(20)


# --- seeding (not timed) ------------------------------------------------------------------------

@dataclass
class Seed:
    tenant: str
    merchant: str
    resident_token: str
    merchant_token: str
    codes: list[str]


def seed(url: str, master_key: bytes, residents: int, codes: int) -> Seed:
    from redemption import prepare

    from jifen.api.auth import Role, issue_token
    from jifen.platform import Platform
    from jifen.plugins import make_plugin_manager
    from jifen.store import Database
    from jifen.store.migrate import upgrade

    upgrade(url)
    platform = Platform(Database(url), pm=make_plugin_manager(), master_key=master_key)
    try:
        per_resident = -(-codes // residents) * BILL_FEN  # 1 point per fen, ample
        setup = prepare(platform, residents, 1, max(per_resident, 10_000))
        shop, tenant_id = setup.shop, setup.shop.tenant_id
        tenant = shop.city.tenant.code
        pay = [platform.codes.issue(tenant_id, setup.residents[i % residents], "pay",
                                    lifetime=timedelta(hours=1)).token for i in range(codes)]
        day = 24 * 3600
        return Seed(tenant, shop.merchant.code,
                    issue_token(platform, tenant, shop.resident.code, [Role("resident")],
                                ttl=day)[0],
                    issue_token(platform, tenant, shop.merchant.code, [Role("merchant")],
                                ttl=day)[0], pay)
    finally:
        platform.db.dispose()


# --- wrk ----------------------------------------------------------------------------------------

def wrk(base: str, path: str, args: argparse.Namespace, token: str | None = None,
        script: str = "", script_args: list[str] | None = None) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script + LUA_SUMMARY)
    command = [WRK, f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
               "--timeout", "10s", "-s", lua.name]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    if script:
        command += ["-H", "Content-Type: application/json"]
    command += [base + path] + (["--", *script_args] if script_args else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    os.unlink(lua.name)
    return dict(json.loads(out.strip().splitlines()[-1]))


def bench(backend: str, url: str, args: argparse.Namespace) -> list[Run]:
    master = os.urandom(32)
    print(f"[{backend}] seeding {args.residents} residents and {args.codes} pay codes …",
          flush=True)
    data = seed(url, master, args.residents, args.codes)
    runs = []
    with server(url, base64.b64encode(master).decode()) as base, \
            tempfile.NamedTemporaryFile("w", suffix=".txt") as codes:
        codes.write("\n".join(data.codes) + "\n")
        codes.flush()
        tenant = f"/v1/tenants/{data.tenant}"
        loads = [("bare", "/bench/bare", None, "", None),
                 ("balance", f"{tenant}/subjects/me/balances", data.resident_token, "", None),
                 ("redeem", f"{tenant}/merchants/{data.merchant}/redemptions",
                  data.merchant_token, LUA_REDEEM.replace("%d", str(BILL_FEN)),
                  [codes.name, str(args.threads)])]
        for name, path, token, script, script_args in loads:
            found = wrk(base, path, args, token, script, script_args)
            runs.append(Run(backend, name, int(found["requests"]), found["seconds"],
                            int(found["non2xx"]), int(found["socket_errors"]),
                            found["p50_ms"], found["p99_ms"]))
            print(f"[{backend}] {name}: {runs[-1].rate:.0f} req/s", flush=True)
    return runs


def table(runs: list[Run]) -> str:
    lines = ["| backend | load | requests | req/s | ratio to bare | p50 ms | p99 ms | non-2xx |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    bare = {r.backend: r.rate for r in runs if r.name == "bare"}
    for r in runs:
        lines.append(f"| {r.backend} | {r.name} | {r.requests} | {r.rate:.0f} | "
                     f"{r.rate / bare[r.backend]:.2f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                     f"{r.non2xx + r.socket_errors} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--residents", type=int, default=200)
    parser.add_argument("--codes", type=int, default=6000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    runs: list[Run] = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            runs += bench("sqlite", url, args)
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("PostgreSQL skipped: set JIFEN_TEST_POSTGRES_URL")
        else:
            with postgres_url(base) as url:
                runs += bench("postgresql", url, args)
    print(table(runs))
    if any(r.non2xx or r.socket_errors for r in runs):
        sys.exit("some requests failed: the figures are not a measurement")


if __name__ == "__main__":
    main()
