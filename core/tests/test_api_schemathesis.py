"""Property-based tests of the HTTP interface from its own OpenAPI document (JF-API-1, JF-API-3):
schemathesis generates requests for every operation of ``/openapi.json``, served by a real
uvicorn server on loopback over SQLite with every installed plugin, sends them with an
operator's token, and checks that no answer is a server error (5xx) and that every answer
matches the schema the document declares for it (status, content type, body)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from jifen.api import ApiSettings, create_app
from jifen.api.auth import Role, issue_token
from jifen.model.claims import ClaimSubmit
from jifen.store.migrate import upgrade
from jifen.testing import make_claims_city, make_platform, running_server

CHECKS = [checks.not_a_server_error, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_schema_conformance]
POSITIVE, NEGATIVE = 6, 3


class Server:
    def __init__(self, base: str, tenant: str, token: str, known: dict[str, str]) -> None:
        self.base, self.tenant, self.token, self.known = base, tenant, token, known

    def aim(self, case: Any) -> None:
        """Fix ``{tenant}``, and aim about half the other identifiers at objects that exist,
        so that requests reach the handlers' work rather than only their 404s."""
        params = case.path_parameters or {}
        if "tenant" in params:
            params["tenant"] = self.tenant
        for name, value in params.items():
            if name in self.known and len(str(value)) % 2 == 0:
                params[name] = self.known[name]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'jifen.db'}"
    upgrade(url)
    platform = make_platform(url, start=datetime(2024, 3, 4, 2, 0, tzinfo=UTC))
    city = make_claims_city(platform)
    resident = city.resident("张三")
    claims = [platform.claims.submit(city.id, ClaimSubmit(
        idempotency_key=f"fuzz-{n}", subject_id=resident.id, item="volunteer.hour",
        deed_date=date(2024, 3, n), units=1, evidence={"photo": f"p{n}"})).claim.id
        for n in (1, 2)]
    platform.claims.approve(city.id, claims[0], city.reviewer_id)
    batch = platform.claims.publish(city.id, "community", city.reviewer_id)
    assert batch is not None
    objection = platform.claims.object(city.id, claims[0], "不实", raised_by=resident.id)
    platform.claims.reject(city.id, claims[1], city.reviewer_id, "证据不足")
    appeal = platform.claims.appeal(city.id, claims[1], resident.id, "有照片")
    known = {"code": resident.code, "claim_id": str(claims[0]), "batch_id": str(batch.id),
             "objection_id": str(objection.id), "appeal_id": str(appeal.id)}
    token = issue_token(platform, city.tenant.code, "operator", [Role("operator")],
                        ttl=24 * 3600)[0]
    try:
        with running_server(create_app(platform, ApiSettings())) as base:
            yield Server(base, city.tenant.code, token, known)
    finally:
        platform.db.dispose()


def fuzz(operation: Any, server: Server, mode: GenerationMode, examples: int) -> None:
    """Send ``examples`` generated requests to ``operation``; raise on the first failure."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.generate])
    def run(case: Any) -> None:
        server.aim(case)
        case.call_and_validate(base_url=server.base, checks=CHECKS, headers={
            "Authorization": f"Bearer {server.token}", "Idempotency-Key": uuid.uuid4().hex})

    run()


def test_jf_api_1_jf_api_3_no_server_error_and_every_answer_matches_the_schema(
        server: Server) -> None:
    schema = schemathesis.openapi.from_url(f"{server.base}/openapi.json")
    failures = {}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    for operation in operations:
        for mode, examples in ((GenerationMode.POSITIVE, POSITIVE), (GenerationMode.NEGATIVE,
                                                                     NEGATIVE)):
            try:
                fuzz(operation, server, mode, examples)
            except Unsatisfiable:  # nothing to get wrong: only {tenant}, which is fixed
                continue
            except Exception as exc:  # every failing operation is reported, not just the first
                failures[f"{operation.label} ({mode.value})"] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{k}:\n{v}" for k, v in failures.items())
