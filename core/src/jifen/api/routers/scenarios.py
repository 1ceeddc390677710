"""Scenarios over HTTP: what is declared (JF-SCN-1), consent (JF-PRIV-2, JF-PRIV-4), what a
provider may learn — consented eligibility only (JF-SCN-2) — and recorded decisions with their
replay (JF-SCN-5). The scenario plugins add their own endpoints (``register_routers``) and use
:func:`acting_for` for "a resident acts for themselves or their household's child"."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from jifen import subjects
from jifen.api.deps import Context, TenantAuth
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.errors import Forbidden, NoConsent, NotFound
from jifen.model import Subject
from jifen.scenarios import (
    ConsentRecord,
    Decision,
    EligibilityAssertion,
    ReplayReport,
    ResolvedRule,
)
from jifen.scenarios.consent import guardians

router = APIRouter(prefix="/v1/tenants/{tenant}/scenarios", tags=["scenarios"],
                   responses=PROBLEM_RESPONSES)


class ConsentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    subject: str = Field(default="me", description="Whose consent: ``me`` or (a guardian) "
                         "the code of a child of the caller's household.")


class ConsentView(BaseModel):
    """A subject's consent to one scenario as it stands (the latest grant or withdrawal)."""

    scenario: str
    provider: str
    benefit: str
    subject: str
    """The subject's code."""
    granted: bool
    given_by: str | None
    """Code of who gave or withdrew it last (for a child, a guardian); ``null``: never asked."""
    via: Literal["online", "counter"] | None
    at: datetime | None


def acting_for(ctx: Context, code: str) -> Subject:
    """The subject ``code`` (``me``: the caller) if the caller may act for it: itself, or a
    child of a household the caller is a guardian of. Anything else — someone else, an unknown
    code — is the same 403 `access.forbidden`, so a refusal leaks nothing."""
    me = ctx.actor
    if code in ("me", ctx.principal.sub):
        return ctx.subject_by_id(me)
    with ctx.platform.db.read() as conn:
        try:
            found = subjects.find_by_code(conn, ctx.tenant_id, code)
        except NotFound:
            found = None
        if found is None or me not in guardians(conn, ctx.tenant_id, [found.id]).get(found.id, []):
            raise Forbidden("a resident acts for themselves or their household's child only "
                            "(JF-PRIV-2, JF-PRIV-4)")
    return found


@router.get("", response_model=list[ResolvedRule])
def list_scenarios(ctx: TenantAuth) -> list[ResolvedRule]:
    """Every scenario as the tenant applies it (JF-SCN-1): provider, benefit, eligibility
    (minimum score, residence, required categories, consent), allocation mode and use effect."""
    return [ctx.platform.scenarios.rule(ctx.tenant_id, code)
            for code in sorted(ctx.platform.scenarios.specs())]


@router.get("/consents", response_model=list[ConsentView])
def list_consents(ctx: TenantAuth, subject: str = "me") -> list[ConsentView]:
    """The consent of ``me`` (or of a child one is guardian of) to every scenario."""
    found = acting_for(ctx, subject)
    views = []
    for code, spec in sorted(ctx.platform.scenarios.specs().items()):
        history = ctx.platform.scenarios.consent_history(ctx.tenant_id, code, found.id)
        granted = ctx.platform.scenarios.has_consent(ctx.tenant_id, code, found.id)
        views.append(_view(ctx, found, code, spec.provider, spec.benefit, granted,
                           history[-1] if history else None))
    return views


@router.post("/{scenario}/consent", response_model=ConsentView, status_code=201)
def grant_consent(scenario: str, body: ConsentIn, ctx: TenantAuth) -> ConsentView:
    """Consent to ``scenario``: a resident for themselves, a guardian for their household's
    child (the guardian's separate consent, JF-PRIV-4); anyone else is refused."""
    return _consent(ctx, scenario, body.subject, granted=True)


@router.post("/{scenario}/consent/withdraw", response_model=ConsentView)
def withdraw_consent(scenario: str, body: ConsentIn, ctx: TenantAuth) -> ConsentView:
    """Withdraw consent: from now on the provider learns nothing (JF-PRIV-2)."""
    return _consent(ctx, scenario, body.subject, granted=False)


def _consent(ctx: Context, scenario: str, code: str, *, granted: bool) -> ConsentView:
    found = ctx.subject(code)  # the core then refuses anyone but the adult or a guardian
    scenarios = ctx.platform.scenarios
    record = (scenarios.grant_consent if granted else scenarios.withdraw_consent)(
        ctx.tenant_id, scenario, found.id, given_by=ctx.actor)
    spec = scenarios.specs()[scenario]
    return _view(ctx, found, scenario, spec.provider, spec.benefit, granted, record)


def _view(ctx: Context, found: Subject, scenario: str, provider: str, benefit: str,
          granted: bool, last: ConsentRecord | None) -> ConsentView:
    given_by = None
    if last is not None:
        with ctx.platform.db.read() as conn:
            given_by = subjects.get_subject(conn, ctx.tenant_id, last.given_by).code
    return ConsentView(scenario=scenario, provider=provider, benefit=benefit,
                       subject=found.code, granted=granted, given_by=given_by,
                       via=last.via if last else None, at=last.created_at if last else None)


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


@router.get("/decisions/{decision_id}", response_model=Decision)
def get_decision(decision_id: uuid.UUID, ctx: TenantAuth) -> Decision:
    """A recorded decision (JF-SCN-5): the score, method and version, rule version, inputs and
    result. For auditors and operators, and for the subject it concerns (or its guardian)."""
    return _decision(ctx, decision_id)


@router.get("/decisions/{decision_id}/replay", response_model=ReplayReport)
def replay_decision(decision_id: uuid.UUID, ctx: TenantAuth) -> ReplayReport:
    """Recompute a recorded decision from its recorded inputs and the ledger and say whether
    it is identical (JF-SCN-5)."""
    return ctx.platform.scenarios.replay_decision(_decision(ctx, decision_id))


def _decision(ctx: Context, decision_id: uuid.UUID) -> Decision:
    staff = ctx.principal.has("auditor", "operator")
    refusal = Forbidden("a decision is seen by its subject, auditors and operators (JF-PRIV-2)")
    try:
        decision = ctx.platform.scenarios.decision(ctx.tenant_id, decision_id)
    except NotFound:
        if staff:
            raise
        raise refusal from None
    if staff:
        return decision
    if decision.subject_id is None:
        raise refusal
    with ctx.platform.db.read() as conn:
        code = subjects.get_subject(conn, ctx.tenant_id, decision.subject_id).code
    acting_for(ctx, code)
    return decision
