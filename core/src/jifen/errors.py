"""One exception hierarchy with stable, machine-readable codes (JF-API-3).

Every error the core raises on purpose is a :class:`JifenError`. Its ``code`` is stable across
versions (clients and the conformance suite match on it); its message is for people. The CLI
prints ``error[<code>]: <message>`` and exits non-zero; the HTTP layer maps the same codes to
RFC 9457 problem documents.
"""

from __future__ import annotations

from typing import Any, ClassVar


class JifenError(Exception):
    """Base of every deliberate jifen error."""

    code: ClassVar[str] = "jifen.error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details

    def __str__(self) -> str:
        return f"error[{self.code}]: {self.message}"


class InvalidInput(JifenError):
    """The request is malformed or violates a rule of the model."""

    code = "input.invalid"
    http_status = 422


class NotFound(JifenError):
    """The thing named does not exist in this tenant (or is not visible to the caller)."""

    code = "not_found"
    http_status = 404


class Conflict(JifenError):
    """The request collides with the current state."""

    code = "conflict"
    http_status = 409


class ConfigError(InvalidInput):
    """A tenant configuration file is invalid; details name file, line and field."""

    code = "config.invalid"


class PluginError(JifenError):
    """A plugin contributed something invalid or clashing with another plugin."""

    code = "plugin.invalid"
    http_status = 500


class CrossTenant(NotFound):
    """A request named something that belongs to another tenant (JF-ORG-1)."""

    code = "tenant.cross_tenant"


class OrgTreeError(InvalidInput):
    """An org unit would break the city → district → street → community → grid tree (JF-ORG-2)."""

    code = "org.invalid_tree"


class UnknownKind(InvalidInput):
    """No point kind of that name is registered."""

    code = "kind.unknown"


class InexactAmount(InvalidInput):
    """An amount is not exact in its kind's unit (floats, or too many decimals) (JF-KIND-1/2)."""

    code = "amount.inexact"


class KindNotTransferable(JifenError):
    """The kind cannot be spent, transferred or converted (moral points, JF-KIND-3)."""

    code = "kind.not_transferable"
    http_status = 422


class UnbalancedTransaction(InvalidInput):
    """Debits do not equal credits for some kind (JF-LED-1)."""

    code = "ledger.unbalanced"


class InsufficientBalance(Conflict):
    """The posting would take a balance below zero (JF-LED-4)."""

    code = "ledger.insufficient_balance"


class IdempotencyConflict(Conflict):
    """The idempotency key was used before with another body (JF-LED-3)."""

    code = "ledger.idempotency_conflict"


class AlreadyReversed(Conflict):
    """The transaction has been reversed already; it is reversed at most once (JF-LED-2)."""

    code = "ledger.already_reversed"


class AppendOnly(Conflict):
    """An attempt to update or delete an append-only record (JF-LED-2, JF-DUE-5)."""

    code = "ledger.append_only"


class Forbidden(JifenError):
    """The actor may not do this: a missing role, or a role that does not cover the subject's
    org unit (JF-PRIV-1)."""

    code = "access.forbidden"
    http_status = 403


class CatalogueVersionChanged(Conflict):
    """A published catalogue version would change; publish a new version instead (JF-CAT-3)."""

    code = "catalogue.version_changed"


class CatalogueNotAhead(InvalidInput):
    """A new catalogue version would take effect before it is published (JF-CAT-6)."""

    code = "catalogue.not_published_ahead"


class NotInCatalogue(InvalidInput):
    """No version of the item was in force on the date of the deed (JF-CAT-1, JF-CAT-3)."""

    code = "claim.not_in_catalogue"


class InvalidAmount(InvalidInput):
    """The amount or number of units does not fit the catalogue item (JF-CAT-1)."""

    code = "claim.invalid_amount"


class InvalidEvidence(InvalidInput):
    """Evidence is missing where the item requires it, or a plugin refused it."""

    code = "claim.invalid_evidence"


class DuplicateDeed(Conflict):
    """The same deed (item, subject, evidence, date) is already claimed or awarded (JF-EARN-5)."""

    code = "claim.duplicate_deed"


class InvalidTransition(Conflict):
    """The claim (or objection, or appeal) is not in a state that allows this step (JF-EARN-1)."""

    code = "claim.invalid_transition"


class SelfReview(Forbidden):
    """A reviewer may not decide on their own or their household's claim, nor review their own
    decision (JF-EARN-4, JF-DUE-2)."""

    code = "claim.self_review"


class ReasonRequired(InvalidInput):
    """Rejections and decisions on objections and appeals give their reasons (JF-EARN-2)."""

    code = "claim.reason_required"


class NoticeClosed(Conflict):
    """The public notice has ended: no more objections, and the list is no longer public (JF-DUE-7)."""

    code = "notice.ended"


class AppealWindowClosed(Conflict):
    """The appeal window has passed (JF-DUE-3)."""

    code = "appeal.window_closed"


class PoolExhausted(Conflict):
    """Issuing would take a funding pool past its limit; nothing is posted (JF-FUND-1)."""

    code = "funding.pool_exhausted"


class LimitBelowIssued(Conflict):
    """A pool's new limit is below what it has already issued (JF-FUND-1)."""

    code = "funding.limit_below_issued"


class InvalidCode(InvalidInput):
    """A code is malformed, forged or has a bad signature (JF-CODE-1)."""

    code = "code.invalid"


class UnknownCodeKey(InvalidCode):
    """A code names a signing key the tenant does not have (or no longer publishes) (JF-CODE-2)."""

    code = "code.unknown_key"


class CodeExpired(InvalidCode):
    """A code's lifetime has passed (JF-CODE-1)."""

    code = "code.expired"


class WrongPurpose(InvalidCode):
    """A code was issued for another purpose: pay, verify-benefit or identify (JF-CODE-1)."""

    code = "code.wrong_purpose"


class WrongTenant(InvalidCode):
    """A code was issued by another tenant (JF-CODE-1, JF-ORG-1)."""

    code = "code.wrong_tenant"


class CodeReplayed(Conflict):
    """A single-use code (a pay code) has been used already (JF-CODE-1)."""

    code = "code.replayed"


class UnknownScenario(NotFound):
    """No plugin registers a scenario of that code (JF-SCN-1)."""

    code = "scenario.unknown"


class ScenarioRuleInvalid(InvalidInput):
    """A scenario's rule, with the tenant file's overrides, does not validate (JF-SCN-1)."""

    code = "scenario.invalid_rule"


class WrongMode(InvalidInput):
    """The operation belongs to another allocation mode (e.g. booking a threshold scenario)."""

    code = "scenario.wrong_mode"


class NoConsent(Forbidden):
    """The subject (for a child, a guardian) has not consented to this scenario (JF-SCN-1,
    JF-PRIV-2)."""

    code = "scenario.no_consent"


class GuardianConsentRequired(Forbidden):
    """Consent for a child is given or withdrawn only by a guardian; anyone else's is refused
    (JF-PRIV-4)."""

    code = "scenario.guardian_consent_required"


class NotEligible(Conflict):
    """The subject does not meet the scenario's eligibility; the reasons are in the details."""

    code = "scenario.not_eligible"


class QuotaFull(Conflict):
    """Every priority slot of the provider unit on that day is taken (JF-SCN-4)."""

    code = "scenario.quota_full"


class MonthlyLimit(Conflict):
    """The resident has used the scenario the most times a month allows (JF-SCN-4)."""

    code = "scenario.monthly_limit"


class RoundWindowClosed(Conflict):
    """The round's application window is not open (JF-SCN-3)."""

    code = "scenario.window_closed"


class RoundState(Conflict):
    """The round is not in a state that allows this step (open → drawn → in_notice → final)."""

    code = "scenario.round_state"


class DuplicateApplication(Conflict):
    """The applicant has applied to this round already: one application per applicant."""

    code = "scenario.duplicate_application"


# --- the HTTP interface (JF-API-*, JF-PRIV-1) ------------------------------------------------

class Unauthenticated(JifenError):
    """No bearer token, or a token that is forged, malformed or names no subject (JF-PRIV-1)."""

    code = "auth.unauthenticated"
    http_status = 401


class TokenExpired(Unauthenticated):
    """The bearer token's lifetime has passed; log in again or ask for a new token."""

    code = "auth.token_expired"


class BadCredentials(Unauthenticated):
    """Login refused: unknown subject or wrong password (which of the two is not said)."""

    code = "auth.bad_credentials"


class CrossTenantToken(Forbidden):
    """The token was issued for another tenant than the one the request names (JF-ORG-1)."""

    code = "auth.cross_tenant"


class RateLimited(JifenError):
    """Too many failed logins for this subject or client address; retry after the window."""

    code = "auth.rate_limited"
    http_status = 429


class IdempotencyKeyRequired(JifenError):
    """A write (POST, PUT, PATCH, DELETE) came without an ``Idempotency-Key`` header."""

    code = "request.idempotency_key_required"
    http_status = 428


class RequestIdempotencyConflict(Conflict):
    """The ``Idempotency-Key`` was used before by this caller for another request."""

    code = "request.idempotency_conflict"


class NotInTestMode(NotFound):
    """A test-mode endpoint (such as ``POST /test/clock``) on a server not in test mode."""

    code = "test_mode.disabled"


# --- the database (issue #9) -------------------------------------------------------------------

class StorageUnavailable(JifenError):
    """The database connection was lost or refused during the request; nothing of it was
    committed. Retry with the same idempotency key: a new connection is used."""

    code = "storage.unavailable"
    http_status = 503


class StorageFull(JifenError):
    """The database has no room left (a full disk, or SQLite's page limit); nothing of the
    request was committed."""

    code = "storage.full"
    http_status = 507
