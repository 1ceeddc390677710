"""The bank-vip plugin's part of `jifen demo` (JF-SCN-2, JF-CODE-2, JF-PRIV-2).

武先生 (211.2 moral points after the core's demo: a contribution score of 236.20) consents
and gets a VIP-lane code; the bank checks it offline with the public key alone and prints what
it learns. 李娜, far below the threshold, gets no code; 武女士, who has not consented, gets
nothing the bank could see. It runs at the demo clock's current time and moves it forward by
minutes only, so it fits wherever the other plugins' parts left the clock.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from rich.console import Console

from jifen import subjects
from jifen.clock import MovableClock
from jifen.errors import JifenError
from jifen.model import Subject
from jifen.platform import Platform
from jifen_bank_vip.scenario import BANK, SCENARIO
from jifen_bank_vip.service import BankVip, verify_vip_code


def seed(platform: Platform, tenant_id: uuid.UUID, clock: MovableClock, console: Console) -> None:
    """Consent, issue a code, verify it offline; show a refusal and a missing consent."""
    vip = BankVip(platform)
    wu, li = _resident(platform, tenant_id, "武先生"), _resident(platform, tenant_id, "李娜")
    for who in (wu, li):
        vip.grant_consent(tenant_id, who.id)
    clock.advance(timedelta(minutes=1))
    console.print(f"{SCENARIO} (JF-SCN-2): {BANK}, threshold {vip.threshold(tenant_id)}",
                  highlight=False)
    issued = vip.code(tenant_id, wu.id)
    decision = platform.scenarios.decision(tenant_id, issued.decision_id)
    console.print(f"{wu.name} (score {decision.score_value}) shows a VIP-lane code",
                  highlight=False)
    shown = verify_vip_code(issued.token, vip.public_keys(tenant_id), now=clock.now())
    console.print(f"the bank's offline check learns only: {shown.text} (JF-CODE-2)",
                  highlight=False)
    clock.advance(timedelta(minutes=1))
    try:
        vip.code(tenant_id, li.id)
    except JifenError as refused:
        console.print(f"{li.name}: no code ({refused.code}): {refused.message}",
                      highlight=False, markup=False)
    woman = _resident(platform, tenant_id, "武女士")
    if vip.assertion(tenant_id, woman.id) is None:
        console.print(f"{woman.name} has not consented: the bank learns nothing (JF-PRIV-2)",
                      highlight=False)


def _resident(platform: Platform, tenant_id: uuid.UUID, name: str) -> Subject:
    with platform.db.read() as conn:
        who = subjects.find_by_external_ref(conn, tenant_id, f"demo:{name}")
    assert who is not None, name
    return who
