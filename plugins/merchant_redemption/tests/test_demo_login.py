"""`jifen demo --serve` prints a login for one of the demo's partner merchants, and with it the
cashier reaches the merchant's till (issue #7: the merchant page in the demo)."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from jifen.api import ApiSettings, create_app
from jifen.demo import DEMO_PASSWORD, demo_logins, run_demo
from jifen.platform import Platform
from jifen.plugins import make_plugin_manager
from jifen.store import Database
from jifen.store.migrate import upgrade
from jifen.testing import running_server


def test_the_demo_has_a_merchant_login_that_opens_the_till(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIFEN_LOAD_PLUGINS", "merchant_redemption")
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    upgrade(url)
    platform = Platform(Database(url), pm=make_plugin_manager())
    try:
        run_demo(platform, Console(file=open(os.devnull, "w"), width=200))  # noqa: SIM115
        tenant, logins = demo_logins(platform)
        merchants = [(name, code) for role, name, code in logins if role == "merchant"]
        assert len(merchants) == 1 and "grocer" in merchants[0][0]
        assert demo_logins(platform) == (tenant, logins)  # idempotent
        with running_server(create_app(platform, ApiSettings())) as base, \
                httpx.Client(base_url=base, follow_redirects=True) as client:
            form = client.get(f"/t/{tenant}/login")
            csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            client.post(f"/t/{tenant}/login", data={"subject": merchants[0][1],
                                                    "password": DEMO_PASSWORD, "csrf": csrf})
            till = client.get(f"/t/{tenant}/merchant")
            assert till.status_code == 200 and "grocer" in till.text
    finally:
        platform.db.dispose()
