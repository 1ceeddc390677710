"""What a scenario provider may learn: consented eligibility only (JF-PRIV-2, JF-SCN-2)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from jifen import subjects
from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.errors import Forbidden, NoConsent, NotFound
from jifen.scenarios import EligibilityAssertion

router = APIRouter(prefix="/v1/tenants/{tenant}/scenarios", tags=["scenarios"],
                   responses=PROBLEM_RESPONSES)


@router.get("/{scenario}/eligibility/{code}", response_model=EligibilityAssertion)
def eligibility(scenario: str, code: str, ctx: TenantAuth) -> EligibilityAssertion:
    """``{scenario, eligible, valid_until}`` for a provider (or the subject themself), only
    with the subject's consent; without it 403 `scenario.no_consent` and nothing else."""
    if code != "me" and not ctx.principal.has("provider"):
        raise Forbidden("eligibility is asked by a scenario provider (JF-PRIV-2)")
    subject_id = ctx.actor if code == "me" else _subject_id(ctx, code)
    assertion = ctx.platform.scenarios.assert_eligibility(ctx.tenant_id, scenario, subject_id)
    if assertion is None:
        raise NoConsent("no consent to this scenario: the provider learns nothing (JF-PRIV-2)")
    return assertion


def _subject_id(ctx: Context, code: str) -> uuid.UUID:
    with ctx.platform.db.read() as conn:
        try:
            return subjects.find_by_code(conn, ctx.tenant_id, code).id
        except NotFound:  # no consent and no such subject look alike: nothing leaks
            raise NoConsent("no consent to this scenario: the provider learns nothing "
                            "(JF-PRIV-2)") from None
