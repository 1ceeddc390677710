"""The interface itself: a published OpenAPI document (JF-API-1)."""

from __future__ import annotations

from typing import cast

import pytest

from jifen_conformance.driver import Driver, Tenant

#: Operations the conformance cases exercise, by path fragment (JF-API-1).
REQUIRED_PATHS = ("/claims", "/notices", "/objections", "/appeals", "/balances", "/history",
                  "/score", "/test/clock")


@pytest.mark.clause("JF-API-1", level="MUST")
@pytest.mark.requires("openapi")
def test_openapi_document_covers_the_tested_clauses(jf_driver: Driver) -> None:
    document = jf_driver.act(_tenant_less(), "openapi", {}, None)
    assert str(document.get("openapi", "")).startswith("3."), "not an OpenAPI 3 document"
    paths = " ".join(document.get("paths", {}))
    lacking = [p for p in REQUIRED_PATHS if p not in paths]
    assert not lacking, f"the OpenAPI document lacks {lacking}"


def _tenant_less() -> Tenant:
    """The document is per implementation, not per tenant."""
    return cast(Tenant, None)
