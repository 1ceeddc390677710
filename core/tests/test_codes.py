"""Signed short-lived codes (JF-CODE-1..3): issue, verify online and offline, single use, key
rotation, QR images and the ``jifen codes`` commands. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import struct
import subprocess
import sys
import threading
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console
from sqlalchemy import func, select, text
from typer.testing import CliRunner

from jifen.cli import app
from jifen.clock import MovableClock
from jifen.codes import BenefitCode, Purpose, SubjectCode, render_qr, verify_offline
from jifen.errors import JifenError
from jifen.model import Subject
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.testing import TenantFixture, make_tenant

BENEFIT = {"benefit": "三甲医院优先就诊 hospital priority", "valid_until": date(2024, 12, 31)}


def b64d(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def payload_of(token: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(b64d(token.split(".")[0]))
    return result


def clock(platform: Platform) -> MovableClock:
    assert isinstance(platform.clock, MovableClock)
    return platform.clock


def refused(code: str, call: Any, *args: Any, **kwargs: Any) -> None:
    with pytest.raises(JifenError) as caught:
        call(*args, **kwargs)
    assert caught.value.code == code, caught.value


def issue(city: TenantFixture, who: Subject, purpose: Purpose = "pay", **extra: Any) -> str:
    if purpose == "verify-benefit":
        extra = {**BENEFIT, **extra}
    return city.platform.codes.issue(city.id, who.id, purpose, **extra).token


def consume(city: TenantFixture, token: str, purpose: Purpose = "pay") -> Any:
    with city.platform.db.write() as conn:
        return city.platform.codes.consume(conn, city.id, token, purpose)


def count(city: TenantFixture, table: Any) -> int:
    with city.platform.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table).where(
            table.c.tenant_id == city.id)).scalar_one())


# --- JF-CODE-1: signed, short-lived, bound to a purpose; pay codes single-use -----------------

@pytest.mark.parametrize("purpose", ["pay", "identify", "verify-benefit"])
def test_JF_CODE_1_issue_and_verify_roundtrip_for_each_purpose(city: TenantFixture,
                                                               purpose: Purpose) -> None:
    p, resident = city.platform, city.resident()
    extra = BENEFIT if purpose == "verify-benefit" else {}
    issued = p.codes.issue(city.id, resident.id, purpose, **extra)
    assert issued.expires_at - issued.issued_at == timedelta(seconds=60)
    assert issued.issued_at == p.clock.now() and issued.purpose == purpose
    result = p.codes.verify(city.id, issued.token, purpose)
    if purpose == "verify-benefit":
        assert result == BenefitCode(benefit=BENEFIT["benefit"], valid_until=date(2024, 12, 31),
                                     expires_at=issued.expires_at)
    else:
        assert result == SubjectCode(purpose=purpose, code_id=issued.code_id,
                                     subject_id=resident.id, expires_at=issued.expires_at)
    assert len(issued.token) < 500 and issued.token.count(".") == 1
    assert payload_of(issued.token)["v"] == 1 and payload_of(issued.token)["tenant"] == city.tenant.code


def test_JF_CODE_1_a_code_lives_60_seconds_by_default_then_is_refused(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    token, benefit = issue(city, resident), issue(city, resident, "verify-benefit")
    published = p.codes.public_keys(city.id)
    clock(p).advance(timedelta(seconds=59))
    assert p.codes.verify(city.id, token, "pay").subject_id == resident.id
    clock(p).advance(timedelta(seconds=1))
    refused("code.expired", p.codes.verify, city.id, token, "pay")
    refused("code.expired", consume, city, token)
    refused("code.expired", verify_offline, benefit, published, purpose="verify-benefit",
            now=p.clock.now())
    assert not _used(p, city, token)


def test_JF_CODE_1_the_lifetime_is_configurable_per_code(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    issued = p.codes.issue(city.id, resident.id, "identify", lifetime=timedelta(minutes=5))
    assert payload_of(issued.token)["exp"] - payload_of(issued.token)["iat"] == 300
    clock(p).advance(timedelta(seconds=299))
    assert p.codes.verify(city.id, issued.token, "identify").subject_id == resident.id
    clock(p).advance(timedelta(seconds=1))
    refused("code.expired", p.codes.verify, city.id, issued.token, "identify")


def test_JF_CODE_1_a_code_is_bound_to_its_purpose(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    pay, identify = issue(city, resident), issue(city, resident, "identify")
    benefit = issue(city, resident, "verify-benefit")
    refused("code.wrong_purpose", p.codes.verify, city.id, pay, "identify")
    refused("code.wrong_purpose", consume, city, identify, "pay")
    refused("code.wrong_purpose", p.codes.verify, city.id, benefit, "pay")
    refused("code.wrong_purpose", verify_offline, pay, p.codes.public_keys(city.id),
            purpose="verify-benefit", now=p.clock.now())
    assert not _used(p, city, identify)


def test_JF_CODE_1_forged_codes_are_refused(city: TenantFixture) -> None:
    p, resident, other = city.platform, city.resident(), city.resident("李四")
    token = issue(city, resident)
    first, signature = token.split(".")
    tampered = b64e(json.dumps({**payload_of(token), "sub": str(other.id)}).encode())
    refused("code.invalid", p.codes.verify, city.id, f"{tampered}.{signature}", "pay")
    longer = b64e(json.dumps({**payload_of(token), "exp": payload_of(token)["exp"] + 3600}).encode())
    refused("code.invalid", p.codes.verify, city.id, f"{longer}.{signature}", "pay")
    stranger = b64e(Ed25519PrivateKey.generate().sign(first.encode()))
    refused("code.invalid", p.codes.verify, city.id, f"{first}.{stranger}", "pay")
    refused("code.invalid", verify_offline, f"{first}.{stranger}", p.codes.public_keys(city.id),
            purpose="pay", now=p.clock.now())
    for garbage in ("", "x", "a.b.c", f"{first}.", f"{first}!.{signature}", "é.é",
                    f"{b64e(b'not json')}.{signature}", f"{b64e(b'{}')}.{signature}", "a" * 5000):
        refused("code.invalid", p.codes.verify, city.id, garbage, "pay")
    unknown_kid = b64e(json.dumps({**payload_of(token), "kid": "0000"}).encode())
    refused("code.unknown_key", p.codes.verify, city.id, f"{unknown_kid}.{signature}", "pay")
    assert count(city, t.used_codes) == 0


def test_JF_CODE_1_another_tenants_code_is_refused(city: TenantFixture) -> None:
    p = city.platform
    town = make_tenant(p)
    theirs = issue(town, town.resident())
    refused("code.wrong_tenant", p.codes.verify, city.id, theirs, "pay")
    refused("code.wrong_tenant", consume, city, theirs)
    refused("code.wrong_tenant", verify_offline, theirs, p.codes.public_keys(town.id),
            purpose="pay", now=p.clock.now(), tenant=city.tenant.code)
    relabelled = b64e(json.dumps({**payload_of(theirs), "tenant": city.tenant.code}).encode())
    refused("code.unknown_key", p.codes.verify, city.id, f"{relabelled}.{theirs.split('.')[1]}",
            "pay")
    refused("code.unknown_key", verify_offline, theirs, p.codes.public_keys(city.id),
            purpose="pay", now=p.clock.now())
    assert p.codes.verify(town.id, theirs, "pay").purpose == "pay"


def test_JF_CODE_1_pay_code_is_single_use(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    token = issue(city, resident)
    assert consume(city, token).subject_id == resident.id
    refused("code.replayed", consume, city, token)
    refused("code.replayed", p.codes.verify, city.id, token, "pay")
    with p.db.read() as conn:
        row = conn.execute(select(t.used_codes).where(
            t.used_codes.c.tenant_id == city.id)).mappings().one()
    assert row["tenant_id"] == city.id and row["subject_id"] == resident.id
    assert row["purpose"] == "pay" and row["expires_at"] == p.clock.now() + timedelta(seconds=60)


def test_JF_CODE_1_a_failed_redemption_does_not_use_the_code(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    token = issue(city, resident)
    with pytest.raises(RuntimeError), p.db.write() as conn:
        p.codes.consume(conn, city.id, token, "pay")
        raise RuntimeError("the redemption failed after the code was checked")
    assert p.codes.verify(city.id, token, "pay").subject_id == resident.id
    consume(city, token)
    with p.db.write() as conn:  # a replay leaves the caller's transaction usable
        refused("code.replayed", p.codes.consume, conn, city.id, token, "pay")
        assert conn.execute(text("SELECT 1")).scalar_one() == 1


@pytest.mark.postgres_only
def test_JF_CODE_1_concurrent_consumption_of_one_pay_code_succeeds_once(
        city: TenantFixture) -> None:
    token = issue(city, city.resident())
    start = threading.Barrier(8)

    def redeem(_: int) -> str:
        start.wait()
        try:
            consume(city, token)
            return "ok"
        except JifenError as exc:
            return exc.code

    with ThreadPoolExecutor(8) as pool:
        outcomes = list(pool.map(redeem, range(8)))
    assert sorted(outcomes) == ["code.replayed"] * 7 + ["ok"]
    assert count(city, t.used_codes) == 1


def test_JF_CODE_1_bad_requests_are_refused_and_write_nothing(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    codes, tid, rid = p.codes, city.id, resident.id
    refused("input.invalid", codes.issue, tid, rid, "verify-benefit")
    refused("input.invalid", codes.issue, tid, rid, "verify-benefit", benefit="x")
    refused("input.invalid", codes.issue, tid, rid, "verify-benefit", benefit=" ",
            valid_until=date(2024, 12, 31))
    refused("input.invalid", codes.issue, tid, rid, "verify-benefit", benefit="x" * 101,
            valid_until=date(2024, 12, 31))
    refused("input.invalid", codes.issue, tid, rid, "verify-benefit", benefit="x",
            valid_until=date(2024, 2, 29))  # already over
    refused("input.invalid", codes.issue, tid, rid, "pay", benefit="x")
    refused("input.invalid", codes.issue, tid, rid, "shop")
    for lifetime in (timedelta(0), timedelta(seconds=-1), timedelta(seconds=1.5), timedelta(hours=2)):
        refused("input.invalid", codes.issue, tid, rid, "pay", lifetime=lifetime)
    refused("not_found", codes.issue, tid, make_tenant(p).resident().id, "pay")
    refused("input.invalid", codes.verify, tid, "a.b", "shop")
    refused("input.invalid", codes.purge_used, tid, p.clock.now() + timedelta(seconds=1))
    assert codes.keys(tid) == [] and count(city, t.used_codes) == 0


def test_JF_CODE_1_used_codes_are_purged_once_expired(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    old = issue(city, resident)
    consume(city, old)
    clock(p).advance(timedelta(seconds=30))
    recent = issue(city, resident)
    consume(city, recent)
    clock(p).advance(timedelta(seconds=31))  # old expired 1 s ago, recent has 29 s left
    assert p.codes.purge_used(city.id, p.clock.now()) == 1
    refused("code.replayed", p.codes.verify, city.id, recent, "pay")
    refused("code.expired", p.codes.verify, city.id, old, "pay")
    assert p.codes.purge_used(city.id, p.clock.now()) == 0


def test_JF_CODE_1_private_keys_are_stored_encrypted(city: TenantFixture) -> None:
    p = city.platform
    issue(city, city.resident())
    with p.db.read() as conn:
        row = conn.execute(select(t.code_keys).where(
            t.code_keys.c.tenant_id == city.id)).mappings().one()
    clear = bytes.fromhex(p.keys(city.id).decrypt(f"code_key/{row['key_id']}",
                                                 row["private_key_enc"]))
    assert clear not in row["private_key_enc"] and clear.hex().encode() not in row["private_key_enc"]
    key = Ed25519PrivateKey.from_private_bytes(clear)
    assert key.public_key().public_bytes_raw() == row["public_key"]
    assert [e.action for e in p.audit_log(city.id, action="code_key.created")] == ["code_key.created"]


def test_JF_CODE_1_rotation_new_codes_use_the_new_key_old_ones_verify_until_expiry(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    old = p.codes.issue(city.id, resident.id, "pay")
    old_benefit = issue(city, resident, "verify-benefit")
    clock(p).advance(timedelta(seconds=10))
    new_key = p.codes.rotate_key(city.id)
    assert new_key.key_id != old.key_id and new_key.active
    new = p.codes.issue(city.id, resident.id, "pay")
    assert new.key_id == new_key.key_id == payload_of(new.token)["kid"]
    published = p.codes.public_keys(city.id)
    assert set(published) == {old.key_id, new_key.key_id}
    assert p.codes.verify(city.id, old.token, "pay").code_id == old.code_id
    assert verify_offline(old_benefit, published, purpose="verify-benefit",
                          now=p.clock.now()).benefit == BENEFIT["benefit"]
    clock(p).advance(timedelta(seconds=50))
    refused("code.expired", p.codes.verify, city.id, old.token, "pay")
    assert p.codes.verify(city.id, new.token, "pay").code_id == new.code_id
    clock(p).advance(timedelta(days=1))
    assert set(p.codes.public_keys(city.id)) == {new_key.key_id}
    refused("code.unknown_key", p.codes.verify, city.id, old.token, "pay")
    states = [(k.key_id, k.active) for k in p.codes.keys(city.id)]
    assert states == [(old.key_id, False), (new_key.key_id, True)]
    assert len(p.audit_log(city.id, action="code_key.rotated")) == 1


# --- JF-CODE-2: offline verification learns only the benefit and its validity -----------------

def test_JF_CODE_2_offline_verification_reveals_only_benefit_and_validity(
        city: TenantFixture) -> None:
    p, resident = city.platform, city.resident("王小明", national_id="110101199003070011")
    token = issue(city, resident, "verify-benefit")
    payload = payload_of(token)
    assert set(payload) == {"v", "tenant", "kid", "purpose", "jti", "iat", "exp", "benefit",
                            "valid_until"}
    assert payload["purpose"] == "verify-benefit" and payload["valid_until"] == "2024-12-31"
    decoded = b64d(token.split(".")[0]).decode()
    for secret in (str(resident.id), resident.id.hex, resident.code, resident.name, "11010119"):
        assert secret not in decoded
    published = {kid: base64.b64decode(key) for kid, key in p.codes.public_keys(city.id).items()}
    result = verify_offline(token, published, purpose="verify-benefit", now=p.clock.now(),
                            tenant=city.tenant.code)
    assert result.model_dump() == {"benefit": BENEFIT["benefit"], "valid_until": date(2024, 12, 31),
                                   "expires_at": datetime(2024, 3, 1, 8, 1, tzinfo=UTC)}
    assert set(payload_of(issue(city, resident))) == {"v", "tenant", "kid", "purpose", "jti",
                                                      "iat", "exp", "sub"}


def test_JF_CODE_2_offline_verification_needs_only_the_public_keys(city: TenantFixture) -> None:
    p, resident = city.platform, city.resident()
    token = issue(city, resident, "verify-benefit")
    published = p.codes.public_keys(city.id)
    p.db.dispose()  # no database from here on
    now = p.clock.now()
    urlsafe = {kid: key.replace("+", "-").replace("/", "_").rstrip("=")
               for kid, key in published.items()}
    for keys in (published, urlsafe):
        assert verify_offline(token, keys, purpose="verify-benefit", now=now).valid_until == date(
            2024, 12, 31)
    refused("code.unknown_key", verify_offline, token, {}, purpose="verify-benefit", now=now)
    (kid,) = published
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    refused("code.invalid", verify_offline, token, {kid: other}, purpose="verify-benefit", now=now)
    refused("input.invalid", verify_offline, token, {kid: "not base64!"},
            purpose="verify-benefit", now=now)
    refused("input.invalid", verify_offline, token, published, purpose="verify-benefit",
            now=now.replace(tzinfo=None))


# --- JF-CODE-3: QR images --------------------------------------------------------------------

def test_JF_CODE_3_codes_render_as_svg_and_png_qr_images(city: TenantFixture) -> None:
    token = issue(city, city.resident())
    svg = render_qr(token)
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and float(root.attrib["width"]) > 100
    assert root.find("{http://www.w3.org/2000/svg}path") is not None
    png = render_qr(token, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR" and png[-8:-4] == b"IEND"
    width, height = struct.unpack(">II", png[16:24])
    assert width == height > 100
    assert len(render_qr(token, "png", scale=8)) > len(png)
    refused("input.invalid", render_qr, token, "gif")
    refused("input.invalid", render_qr, "")


# --- the command line ------------------------------------------------------------------------

@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, database_url: str) -> Iterator[list[str]]:
    monkeypatch.setenv("JIFEN_MASTER_KEY", base64.b64encode(os.urandom(32)).decode())
    monkeypatch.setattr("jifen.cli.console", Console(width=200))
    yield ["--database", database_url]


def run(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_JF_CODE_1_cli_issues_verifies_and_writes_qr_images(city: TenantFixture, cli_env: list[str],
                                                            tmp_path: Path) -> None:
    resident, tenant = city.resident(), city.tenant.code
    image = tmp_path / "pay.png"
    issued = run("codes", "issue", "--tenant", tenant, "--subject", resident.code, "--purpose",
                 "pay", "--qr", str(image), *cli_env)
    assert issued.exit_code == 0, issued.output
    token = issued.stdout.strip()
    assert payload_of(token)["sub"] == str(resident.id) and image.read_bytes()[:4] == b"\x89PNG"
    assert "pay code of" in issued.stderr and "pay.png" in issued.stderr
    checked = run("codes", "verify", token, "--tenant", tenant, "--purpose", "pay", *cli_env)
    assert checked.exit_code == 0, checked.output
    assert f"valid pay code of subject {resident.code}" in checked.stdout
    wrong = run("codes", "verify", token, "--tenant", tenant, "--purpose", "identify", *cli_env)
    assert wrong.exit_code != 0 and getattr(wrong.exception, "code", "") == "code.wrong_purpose"

    svg = tmp_path / "benefit.svg"
    benefit = run("codes", "issue", "--tenant", tenant, "--subject", resident.code, "--purpose",
                  "verify-benefit", "--benefit", "银行VIP", "--valid-until", "2099-12-31",
                  "--lifetime", "120", "--qr", str(svg), *cli_env)
    assert benefit.exit_code == 0, benefit.output
    assert ET.fromstring(svg.read_bytes()).tag.endswith("svg")
    payload = payload_of(benefit.stdout.strip())
    assert payload["benefit"] == "银行VIP" and payload["exp"] - payload["iat"] == 120
    shown = run("codes", "verify", benefit.stdout.strip(), "--tenant", tenant, "--purpose",
                "verify-benefit", *cli_env)
    assert "valid verify-benefit code: 银行VIP, valid until 2099-12-31" in shown.stdout


def test_JF_CODE_2_cli_lists_and_rotates_the_keys(city: TenantFixture, cli_env: list[str]) -> None:
    tenant = city.tenant.code
    first = run("codes", "keys", "--tenant", tenant, "--json", *cli_env)
    assert first.exit_code == 0, first.output
    (kid,) = json.loads(first.stdout)
    rotated = run("codes", "keys", "--tenant", tenant, "--rotate", *cli_env)
    assert rotated.exit_code == 0, rotated.output
    assert "signing" in rotated.stdout and "published" in rotated.stdout and kid in rotated.stdout
    keys = json.loads(run("codes", "keys", "--tenant", tenant, "--json", *cli_env).stdout)
    assert kid in keys and len(keys) == 2
    assert all(len(base64.b64decode(key)) == 32 for key in keys.values())


def test_JF_CODE_1_cli_usage_errors_exit_2(city: TenantFixture, cli_env: list[str]) -> None:
    resident, tenant = city.resident(), city.tenant.code
    base = ("codes", "issue", "--tenant", tenant, "--subject", resident.code)
    for extra in (("--purpose", "shop"), ("--purpose", "pay", "--qr", "code.gif"),
                  ("--purpose", "verify-benefit", "--benefit", "x", "--valid-until", "31.12.")):
        result = run(*base, *extra, *cli_env)
        assert result.exit_code == 2, (extra, result.output)
        assert "Traceback" not in result.output


def test_JF_CODE_1_cli_refusals_print_their_code_and_exit_2(city: TenantFixture,
                                                            cli_env: list[str]) -> None:
    resident, tenant = city.resident(), city.tenant.code
    past = run("codes", "issue", "--tenant", tenant, "--subject", resident.code, "--purpose",
               "verify-benefit", "--benefit", "x", "--valid-until", "2000-01-01", *cli_env)
    assert getattr(past.exception, "code", "") == "input.invalid"
    garbage = subprocess.run(
        [sys.executable, "-m", "jifen", "codes", "verify", "not-a-code", "--tenant", tenant,
         "--purpose", "pay", *cli_env], text=True, capture_output=True, check=False,
        env={**os.environ})
    assert garbage.returncode == 2, garbage.stderr
    assert garbage.stderr.startswith("error[code.invalid]:") and "Traceback" not in garbage.stderr


def _used(platform: Platform, city: TenantFixture, token: str) -> bool:
    with platform.db.read() as conn:
        return conn.execute(select(t.used_codes.c.code_id).where(
            t.used_codes.c.tenant_id == city.id,
            t.used_codes.c.code_id == uuid.UUID(payload_of(token)["jti"]))).first() is not None


def test_jf_code_2_a_provider_keeps_the_public_keys_in_a_file(tmp_path: Any) -> None:
    """The keys file a provider verifies with offline: written, read back, bad files refused."""
    import json

    from jifen.codes import keys_document, load_public_keys
    from jifen.errors import InvalidInput

    path = tmp_path / "keys.json"
    path.write_text(json.dumps(keys_document("ordos", {"k1": "QUJD"})))
    assert load_public_keys(path) == ({"k1": "QUJD"}, "ordos")
    path.write_text(json.dumps({"k1": "QUJD"}))  # a plain object of key id → key
    assert load_public_keys(path) == ({"k1": "QUJD"}, None)
    for bad in ("not json", "[]", '{"keys": {}}', '{"keys": {"k1": 5}}'):
        path.write_text(bad)
        with pytest.raises(InvalidInput):
            load_public_keys(path)
