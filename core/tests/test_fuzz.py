"""Bad input, generated (hypothesis; issue #9): the point model, the ledger's requests, the
tenant-file loader and the HTTP API. Every input is either accepted exactly or refused with a
`JifenError` and its stable code (JF-API-3), never a crash, a rounding or a 500; and a refused
input leaves nothing behind (JF-LED-1, JF-LED-3, JF-KIND-1/2). Examples are bounded so that the
file runs in seconds; docs/reliability.md lists what the fuzzing found and fixed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml  # type: ignore[import-untyped]
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import func, select

from jifen.api import ApiSettings, create_app
from jifen.api.auth import Role, issue_token
from jifen.config import load_config
from jifen.errors import ConfigError, InexactAmount, JifenError
from jifen.ledger import subject_account, system_account
from jifen.model import Leg, Points, TransactionRequest
from jifen.model.points import MAX_MINOR
from jifen.platform import Platform
from jifen.store import tables as t
from jifen.testing import ClaimsCity, make_claims_city, make_config, running_server

FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

#: Text that has broken parsers and databases before: SQL, NUL, surrogates' neighbours, RTL.
NASTY = st.sampled_from([
    "'; DROP TABLE claims; --", "\" OR 1=1 --", "\x00", "a\x00b", "\U0001f600", "\u202e",
    "%s%s%s", "{0}", "../../etc/passwd", "<script>alert(1)</script>", "1e999999999", "NaN",
    "-0", "9" * 40, " ", ""])
TEXT = st.one_of(NASTY, st.text(max_size=40))


# --- the point model (JF-KIND-1, JF-KIND-2) -----------------------------------------------------

AMOUNTS = st.one_of(
    TEXT, st.integers(), st.floats(), st.booleans(), st.none(),
    st.decimals(allow_nan=True, allow_infinity=True),
    st.from_regex(r"\A-?[0-9]{0,25}(\.[0-9]{0,25})?([eE][-+]?[0-9]{1,12})?\Z"))


@FUZZ
@given(kind=st.sampled_from(["material", "moral"]), value=AMOUNTS)
@example(kind="moral", value="1e-999999999")  # was silently 0
@example(kind="moral", value="1.00000000000000000000000000001")  # was rounded to 10
@example(kind="material", value="1e999999999")  # was decimal.Overflow
def test_jf_kind_1_an_amount_is_exact_or_refused(kind: str, value: Any) -> None:
    try:
        points = Points.of(kind, value)
    except InexactAmount as refused:
        assert refused.code == "amount.inexact"
        return
    scale = 0 if kind == "material" else 1
    assert not isinstance(value, float | bool)
    assert Decimal(str(value).strip()).scaleb(scale) == points.minor  # exactly, no rounding
    assert abs(points.minor) <= MAX_MINOR
    assert Points.of(kind, str(points)) == points  # what it prints parses back the same


# --- ledger requests: refused ones leave nothing (JF-LED-1, JF-LED-3, JF-KIND-3) -----------------

def _leg_strategy(people: list[uuid.UUID]) -> st.SearchStrategy[dict[str, Any]]:
    accounts = st.one_of(
        st.sampled_from([system_account("issuance", "material"),
                         system_account("issuance", "moral"), system_account("expiry", "moral"),
                         "nonsense", "subject:not-a-uuid:material", "issuance:gold"]),
        st.builds(subject_account, st.sampled_from(people), st.sampled_from(["material", "moral"])),
        TEXT)
    amounts = st.one_of(st.integers(-300, 300), st.integers(), st.sampled_from([MAX_MINOR, 2**63]))
    return st.fixed_dictionaries({"account": accounts, "amount": amounts})


def _snapshot(platform: Platform, tenant_id: uuid.UUID) -> tuple[int, int, list[int]]:
    with platform.db.read() as conn:
        txs = conn.execute(select(func.count()).select_from(t.transactions).where(
            t.transactions.c.tenant_id == tenant_id)).scalar_one()
        lots = conn.execute(select(func.count()).select_from(t.lots).where(
            t.lots.c.tenant_id == tenant_id)).scalar_one()
        balances = conn.execute(select(t.accounts.c.balance).where(
            t.accounts.c.tenant_id == tenant_id).order_by(t.accounts.c.code)).scalars().all()
    return int(txs), int(lots), [int(b) for b in balances]


def test_jf_led_1_random_ledger_requests_post_whole_or_leave_nothing(city: Any) -> None:
    p = city.platform
    people = [city.resident(f"居民{i}").id for i in range(2)]
    p.award(city.id, people[0], Points.of("material", 500), idempotency_key="seed")

    issuance, mine = system_account("issuance", "material"), subject_account(people[0], "material")

    @FUZZ
    @given(legs=st.lists(_leg_strategy(people), min_size=0, max_size=4),
           key=st.one_of(st.sampled_from(["seed", "k1", "k2"]), TEXT), memo=TEXT)
    @example(legs=[{"account": issuance, "amount": -2**63}, {"account": mine, "amount": 2**63}],
             key="k1", memo="")  # was a driver's OverflowError / DataError
    @example(legs=[{"account": issuance, "amount": -MAX_MINOR},
                   {"account": mine, "amount": MAX_MINOR}], key="k2", memo="")  # balance overflow
    def post(legs: list[dict[str, Any]], key: str, memo: str) -> None:
        try:
            request = TransactionRequest(idempotency_key=key, memo=memo,
                                         legs=tuple(Leg(**leg) for leg in legs))
        except ValidationError:
            return  # the model refuses it before anything runs
        before = _snapshot(p, city.id)
        try:
            p.ledger.post(city.id, request)
        except JifenError as refused:
            assert refused.code and refused.http_status < 500
            assert _snapshot(p, city.id) == before
            return

    post()
    report = p.audit(city.id)
    assert report.ok, report.problems


# --- the tenant-file loader --------------------------------------------------------------------

VALID = yaml.safe_dump(make_config("fuzz").model_dump(mode="json", exclude_none=True),
                       allow_unicode=True, sort_keys=False)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """The valid test file with a few lines deleted, duplicated or overwritten."""
    lines = VALID.splitlines()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        what = draw(st.sampled_from(["delete", "duplicate", "replace", "indent"]))
        if what == "delete":
            del lines[at]
        elif what == "duplicate":
            lines.insert(at, lines[at])
        elif what == "replace":
            key = lines[at].split(":", 1)[0]
            lines[at] = f"{key}: {draw(st.one_of(TEXT, st.integers().map(str)))}"
        else:
            lines[at] = "  " + lines[at]
    return "\n".join(lines)


@FUZZ
@given(source=st.one_of(mutated(), st.text(max_size=200)))
@example(source="code: x\nname: " + "[" * 1200 + "]" * 1200)  # was RecursionError
@example(source="a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(  # was minutes of CPU
    f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True)))
def test_jf_cfg_a_tenant_file_loads_or_is_refused_naming_its_line(
        tmp_path_factory: pytest.TempPathFactory, source: str) -> None:
    path = tmp_path_factory.mktemp("cfg") / "tenant.yaml"
    path.write_text(source, encoding="utf-8")
    try:
        config = load_config(path)
    except ConfigError as refused:
        assert refused.code == "config.invalid"
        assert refused.details["file"] == "tenant.yaml" and refused.details["line"] >= 0
        assert str(refused.message).startswith(f"tenant.yaml:{refused.details['line']}:")
        return
    assert config.code and config.org.code


def test_jf_cfg_a_refused_tenant_file_applies_nothing(platform: Platform, tmp_path: Path) -> None:
    @FUZZ
    @given(source=mutated())
    def apply(source: str) -> None:
        code = f"t-{uuid.uuid4().hex[:12]}"
        path = tmp_path / f"{code}.yaml"
        path.write_text(source.replace("code: fuzz", f"code: {code}", 1), encoding="utf-8")
        try:
            platform.apply_config(path, approved_by="fuzz")
        except JifenError as refused:
            assert refused.http_status < 500
            assert code not in {tenant.code for tenant in platform.tenants()}

    apply()


# --- the HTTP API (JF-API-3) -------------------------------------------------------------------

@pytest.fixture
def served(platform: Platform) -> Iterator[tuple[ClaimsCity, httpx.Client]]:
    platform.clock.set(datetime(2024, 3, 4, 2, tzinfo=UTC))  # type: ignore[attr-defined]
    town = make_claims_city(platform)
    with running_server(create_app(platform, ApiSettings())) as base, \
            httpx.Client(base_url=f"{base}/v1/tenants/{town.tenant.code}", timeout=30) as http:
        yield town, http


CLAIM_BODIES = st.fixed_dictionaries(
    {"item": st.one_of(st.sampled_from(["volunteer.hour", "good.deed", "survey"]), TEXT),
     "deed_date": st.one_of(st.dates().map(str), TEXT)},
    optional={"units": st.one_of(st.integers(), TEXT), "amount": st.one_of(AMOUNTS, TEXT),
              "evidence": st.dictionaries(TEXT, st.one_of(TEXT, st.integers()), max_size=3),
              "subject": TEXT, "extra": TEXT})


def _claims_and_log(town: ClaimsCity) -> tuple[int, int]:
    with town.platform.db.read() as conn:
        claims = conn.execute(select(func.count()).select_from(t.claims).where(
            t.claims.c.tenant_id == town.id)).scalar_one()
        log = conn.execute(select(func.count()).select_from(t.audit_log).where(
            t.audit_log.c.tenant_id == town.id)).scalar_one()
    return int(claims), int(log)


def test_jf_api_3_random_claims_are_filed_or_refused_with_a_problem_and_no_trace(
        served: tuple[ClaimsCity, httpx.Client]) -> None:
    town, http = served
    resident = town.resident("张三")
    token = issue_token(town.platform, town.tenant.code, resident.code,
                        [Role.parse("resident")])[0]

    @FUZZ
    @given(body=CLAIM_BODIES)
    @example(body={"item": "good.deed", "deed_date": "2024-03-01", "amount": "1e999999999",
                   "evidence": {"photo": "x"}})
    @example(body={"item": "volunteer.hour", "deed_date": "2024-03-01", "units": 2,
                   "evidence": {"photo": "a\x00b"}})
    def submit(body: dict[str, Any]) -> None:
        before = _claims_and_log(town)
        response = http.post("/claims", json=body, headers={
            "Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code < 500, (body, response.text)
        if response.status_code != 201:
            problem = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert problem["code"] and problem["status"] == response.status_code
            assert _claims_and_log(town) == before, body

    submit()
