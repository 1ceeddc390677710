"""Concurrency: no overdraft under concurrent spends (JF-LED-4); one deed, one claim under
concurrent submissions (JF-EARN-5)."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from jifen_conformance.cases import DEFAULT_START, load_config
from jifen_conformance.driver import ActionError, Driver, SubjectSpec

THREADS = 8


def _tenant(driver: Driver) -> Any:
    driver.set_clock(DEFAULT_START)
    config = load_config("standard")
    config["code"] = f"cf-{uuid.uuid4().hex[:10]}-conc"
    return driver.create_tenant(config, [SubjectSpec("alice")])


def _race(work: Any) -> list[Any]:
    barrier = threading.Barrier(THREADS)
    outcomes: list[Any] = [None] * THREADS

    def run(i: int) -> None:
        barrier.wait()
        try:
            outcomes[i] = work(i)
        except ActionError as exc:
            outcomes[i] = exc
        except Exception as exc:  # an unexpected error is an outcome too
            outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@pytest.mark.clause("JF-LED-4", level="MUST")
@pytest.mark.requires("direct_issuance", "spend", "concurrency")
def test_concurrent_spends_never_overdraw(jf_driver: Driver) -> None:
    tenant = _tenant(jf_driver)
    jf_driver.act(tenant, "issue", {"subject": "alice", "kind": "material", "amount": 100}, None)
    outcomes = _race(lambda i: jf_driver.act(
        tenant, "spend", {"subject": "alice", "amount": 30, "key": f"spend-{i}"}, None))
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, ActionError)]
    others = [o for o in outcomes if isinstance(o, Exception) and not isinstance(o, ActionError)]
    assert not others, f"unexpected errors: {others!r}"
    assert all(r.code == "ledger.insufficient_balance" for r in refused), refused
    balance = jf_driver.act(tenant, "balance", {"subject": "alice", "kind": "material"}, None)
    assert len(accepted) * 30 <= 100, f"{len(accepted)} spends of 30 accepted on a balance of 100"
    assert balance["minor"] == 100 - 30 * len(accepted), (balance, len(accepted))
    assert balance["minor"] >= 0


@pytest.mark.clause("JF-EARN-5", level="MUST")
@pytest.mark.requires("concurrency")
def test_concurrent_claims_of_one_deed_make_one_claim(jf_driver: Driver) -> None:
    tenant = _tenant(jf_driver)
    args = {"item": "volunteer.hour", "units": 1, "deed_date": "2024-02-28",
            "evidence": {"photo": "same"}}
    outcomes = _race(lambda i: jf_driver.act(tenant, "submit_claim", {**args, "key": f"k{i}"},
                                             "alice"))
    accepted = [o for o in outcomes if not isinstance(o, Exception)]
    refused = [o for o in outcomes if isinstance(o, ActionError)]
    assert len(accepted) == 1, outcomes
    assert all(r.code == "claim.duplicate_deed" for r in refused), refused
