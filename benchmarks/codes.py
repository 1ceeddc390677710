"""Code signing and verification per second (JF-CODE-1/2), on SQLite and PostgreSQL.

For one resident of a fresh tenant, times N of each:

1. **issue** — ``platform.codes.issue`` of a pay code (one read transaction: tenant, subject,
   signing key; then the Ed25519 signature);
2. **verify** — ``platform.codes.verify`` online (one read transaction: the key, whether the code
   was used; signature, purpose and expiry);
3. **consume** — ``platform.codes.consume`` of each pay code in its own write transaction (the
   ``used_codes`` row);
4. **offline** — ``jifen.codes.verify_offline`` of a benefit code with only the public keys (no
   database);
5. **raw** — bare Ed25519 sign and verify of a payload of the same size (``cryptography``),
   the ceiling.

    uv run --frozen --no-sync python benchmarks/codes.py [--n 5000] [--backend sqlite|postgresql|both]

PostgreSQL comes from ``JIFEN_TEST_POSTGRES_URL`` as for ``ledger.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from datetime import date

from _common import postgres_url, sqlite_url
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from jifen.codes import verify_offline
from jifen.store.migrate import upgrade
from jifen.testing import make_platform, make_tenant


def timed(n: int, step: Callable[[int], object]) -> float:
    """Operations per second of ``step(i)`` for i in 0…n-1."""
    start = time.perf_counter()
    for i in range(n):
        step(i)
    return n / (time.perf_counter() - start)


def bench(backend: str, url: str, n: int) -> dict[str, float]:
    upgrade(url)
    platform = make_platform(url)
    try:
        city = make_tenant(platform)
        resident = city.resident()
        codes, tenant_id = platform.codes, city.id
        codes.issue(tenant_id, resident.id, "pay")  # the signing key is made on first use
        tokens: list[str] = []
        rates = {"issue": timed(n, lambda _: tokens.append(
            codes.issue(tenant_id, resident.id, "pay").token))}
        rates["verify"] = timed(n, lambda i: codes.verify(tenant_id, tokens[i], "pay"))

        def consume(i: int) -> None:
            with platform.db.write() as conn:
                codes.consume(conn, tenant_id, tokens[i], "pay")

        rates["consume"] = timed(n, consume)
        benefit = codes.issue(tenant_id, resident.id, "verify-benefit", benefit="bank VIP",
                              valid_until=date(2099, 12, 31)).token
        keys, now = codes.public_keys(tenant_id), platform.clock.now()
        rates["offline"] = timed(n, lambda _: verify_offline(
            benefit, keys, purpose="verify-benefit", now=now))
        print(f"  {backend}: done, {len(tokens[0])}-character pay codes", file=sys.stderr)
    finally:
        platform.db.dispose()
    return rates


def raw_rates(n: int, size: int) -> dict[str, float]:
    key, message = Ed25519PrivateKey.generate(), b"x" * size
    signature, public = key.sign(message), key.public_key()
    return {"sign": timed(n, lambda _: key.sign(message)),
            "verify": timed(n, lambda _: public.verify(signature, message))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--n", type=int, default=5000, help="operations of each kind")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)

    results: list[tuple[str, dict[str, float]]] = []
    if args.backend in ("sqlite", "both"):
        with sqlite_url() as url:
            results.append(("sqlite", bench("sqlite", url, args.n)))
    if args.backend in ("postgresql", "both"):
        base = os.environ.get("JIFEN_TEST_POSTGRES_URL")
        if not base:
            print("JIFEN_TEST_POSTGRES_URL is not set: skipping PostgreSQL "
                  '(eval "$(.ci/start-postgres)" to get one)', file=sys.stderr)
        else:
            with postgres_url(base) as url:
                results.append(("postgresql", bench("postgresql", url, args.n)))

    print(f"{'backend':<12}{'N':>7}{'issue/s':>10}{'verify/s':>10}{'consume/s':>11}"
          f"{'offline/s':>11}")
    for backend, r in results:
        print(f"{backend:<12}{args.n:>7}{r['issue']:>10,.0f}{r['verify']:>10,.0f}"
              f"{r['consume']:>11,.0f}{r['offline']:>11,.0f}")
    raw = raw_rates(args.n, 240)
    print(f"raw Ed25519 (240-byte message): sign/s {raw['sign']:,.0f}, verify/s "
          f"{raw['verify']:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
