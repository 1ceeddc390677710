"""`MerchantRedemption`: the plugin's public API on a `jifen.platform.Platform`.

Merchants (JF-RED-1), quotes (JF-RED-2), redemptions with a pay code (JF-RED-2/3/5), refunds
(JF-RED-4), settlement runs and the report (JF-FUND-2). Every write runs in one
`Ledger.run` transaction with its postings and its audit entry (JF-DUE-5).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from jifen.errors import CodeReplayed, IdempotencyConflict, InsufficientBalance, InvalidInput
from jifen.ledger import subject_account
from jifen.model import SubjectCreate
from jifen.platform import Platform

from . import merchants, refunds, settlement
from . import redemption as redeeming
from . import tables as mt
from .errors import InvalidBill, UnknownRedemption
from .models import Merchant, Redemption, Refund, ReportLine, SettlementReport
from .rules import DEFAULT_REFUND_WINDOW_DAYS, Quote, quote

ATTEMPTS = 20
"""How often a redemption is retried when a concurrent one spent the points it had counted on."""
MAX_FEN = 10**12
"""Bills above ten billion yuan are refused as input errors."""


class MerchantRedemption:
    """Redemption of material points at merchants, on one platform."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    # merchants -------------------------------------------------------------------------------

    def add_merchant(self, tenant_id: uuid.UUID, name: str, org_unit_code: str, *,
                     category: str = "other", cap_percent: int | None = None,
                     refund_window_days: int = DEFAULT_REFUND_WINDOW_DAYS,
                     external_ref: str | None = None) -> Merchant:
        """Create a merchant subject and enrol it with its category, cap override (percent) and
        refund window (days) (JF-RED-1)."""
        merchants.check_terms(category, cap_percent, refund_window_days)
        subject = self.platform.create_subject(tenant_id, SubjectCreate(
            type="merchant", name=name, org_unit_code=org_unit_code, external_ref=external_ref))
        return self.enrol_merchant(tenant_id, subject.id, category=category,
                                   cap_percent=cap_percent,
                                   refund_window_days=refund_window_days)

    def enrol_merchant(self, tenant_id: uuid.UUID, subject_id: uuid.UUID, *,
                       category: str = "other", cap_percent: int | None = None,
                       refund_window_days: int = DEFAULT_REFUND_WINDOW_DAYS) -> Merchant:
        """Enrol an existing subject of type ``merchant``."""
        from jifen import subjects

        merchants.check_terms(category, cap_percent, refund_window_days)
        with self.platform.db.write() as conn:
            subject = subjects.get_subject(conn, tenant_id, subject_id)
            return merchants.enrol(conn, subject, category, cap_percent, refund_window_days,
                                   self.platform.clock.now())

    def merchant(self, tenant_id: uuid.UUID, merchant_id: uuid.UUID) -> Merchant:
        """One merchant, or `redemption.unknown_merchant`."""
        with self.platform.db.read() as conn:
            return merchants.get(conn, tenant_id, merchant_id)

    def merchants(self, tenant_id: uuid.UUID) -> list[Merchant]:
        """Every merchant of the tenant, by name."""
        with self.platform.db.read() as conn:
            return merchants.all_of(conn, tenant_id)

    # quote and redeem -----------------------------------------------------------------------

    def quote(self, tenant_id: uuid.UUID, merchant_id: uuid.UUID, bill_fen: int,
              subject_id: uuid.UUID | None = None) -> Quote:
        """What a bill of ``bill_fen`` allows at the merchant: the cap in fen, the points usable
        (for ``subject_id``'s unexpired points, or by the cap alone) and the value they deduct
        (JF-RED-1, JF-RED-2)."""
        _check_bill(bill_fen)
        return self._quote(tenant_id, self.merchant(tenant_id, merchant_id), bill_fen, subject_id)

    def redeem(self, tenant_id: uuid.UUID, merchant_id: uuid.UUID, bill_fen: int, pay_code: str,
               idempotency_key: str, points: int | None = None) -> Redemption:
        """Redeem points on a bill with the resident's pay code, in one transaction.

        Uses the most points the quote allows, or ``points`` if given (never more). The same
        idempotency key with the same request returns the first redemption; with another
        request it is refused (``redemption.idempotency_conflict``).

        Raises:
            CodeReplayed: ``code.replayed``; other `InvalidCode` errors for forged, expired or
                wrong-purpose codes. Nothing is written on any error.
            NothingToRedeem: ``redemption.nothing_to_redeem``.
        """
        _check_bill(bill_fen)
        if points is not None and points <= 0:
            raise InvalidInput("points, if given, are a positive whole number")
        request = redeeming.RedeemRequest(tenant_id, merchant_id, bill_fen, pay_code,
                                           idempotency_key, points)
        for attempt in range(ATTEMPTS):
            try:
                return self.platform.ledger.run(tenant_id, lambda conn, post: redeeming.redeem_in(
                    conn, post, request, codes=self.platform.codes, quote_for=self._quote,
                    now=self.platform.clock.now()))
            except InsufficientBalance:  # a concurrent redemption spent points counted on
                if attempt == ATTEMPTS - 1:
                    raise
            except (CodeReplayed, IdempotencyConflict):
                found = self._replay(tenant_id, request)  # a concurrent retry of this request
                if found is None:
                    raise
                return found
        raise AssertionError("unreachable")

    def redemption(self, tenant_id: uuid.UUID, redemption_id: uuid.UUID) -> Redemption:
        """One redemption with its pool shares, or `redemption.not_found`."""
        from sqlalchemy import select

        with self.platform.db.read() as conn:
            row = conn.execute(select(mt.redemptions).where(
                mt.redemptions.c.tenant_id == tenant_id,
                mt.redemptions.c.id == redemption_id)).mappings().first()
            if row is None:
                raise UnknownRedemption("no redemption with that id in this tenant",
                                        redemption=str(redemption_id))
            return redeeming.load(conn, dict(row))

    def redemptions_of(self, tenant_id: uuid.UUID, merchant_id: uuid.UUID,
                       limit: int = 100) -> list[Redemption]:
        """The merchant's own redemptions, newest first (at most ``limit``; JF-PRIV-2)."""
        from sqlalchemy import select

        r = mt.redemptions
        with self.platform.db.read() as conn:
            rows = conn.execute(select(r).where(r.c.tenant_id == tenant_id,
                                                r.c.merchant_id == merchant_id)
                                .order_by(r.c.created_at.desc(), r.c.id).limit(limit)).mappings()
            return [redeeming.load(conn, dict(row)) for row in rows.all()]

    def settlement_points(self, tenant_id: uuid.UUID, merchant_id: uuid.UUID) -> int:
        """Points in the merchant's settlement account: redeemed, not refunded, not yet settled
        (JF-FUND-2)."""
        return self.platform.ledger.balance(tenant_id, redeeming.settlement_account(merchant_id))

    # refunds and settlement -----------------------------------------------------------------

    def refund(self, tenant_id: uuid.UUID, redemption_id: uuid.UUID,
               refund_fen: int | None = None, *, idempotency_key: str) -> Refund:
        """Refund ``refund_fen`` of the bill (``None``: all that is left) within the merchant's
        refund window (JF-RED-4); the points go back to the lots they came from.

        Raises:
            RefundWindowClosed: ``redemption.refund_window_closed``.
            AlreadySettled: ``redemption.settled``.
        """
        if refund_fen is not None:
            _check_bill(refund_fen)
        request = refunds.RefundRequest(tenant_id, redemption_id, refund_fen, idempotency_key)
        return self.platform.ledger.run(tenant_id, lambda conn, post: refunds.refund_in(
            conn, post, request, self.platform.clock.now()))

    def settle(self, tenant_id: uuid.UUID, *, until: datetime | None = None) -> SettlementReport:
        """Settle every unsettled redemption made up to ``until`` (default now) per pool and
        merchant (JF-FUND-2); idempotent: a second run settles nothing new."""
        now = self.platform.clock.now()
        if until is not None and until.tzinfo is None:
            raise InvalidInput("until must be an aware datetime")
        return self.platform.ledger.run(tenant_id, lambda conn, post: settlement.settle_in(
            conn, post, tenant_id, until or now, now))

    def report(self, tenant_id: uuid.UUID) -> list[ReportLine]:
        """Redeemed, refunded and settled points and fen per pool and merchant."""
        names = {m.id: (m.code, m.name) for m in self.merchants(tenant_id)}
        with self.platform.db.read() as conn:
            return settlement.report(conn, tenant_id, names)

    # internals ------------------------------------------------------------------------------

    def _quote(self, tenant_id: uuid.UUID, merchant: Merchant, bill_fen: int,
               subject_id: uuid.UUID | None) -> Quote:
        rate = self.platform.settings_at(tenant_id, merchant.org_unit_id)
        balance = None if subject_id is None else self.usable_points(tenant_id, subject_id)
        return quote(bill_fen, merchant.cap_percent, rate.material_rate_points_per_yuan, balance)

    def usable_points(self, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> int:
        """A subject's material points in unexpired lots: what a redemption can spend now."""
        now = self.platform.clock.now()
        lots = self.platform.ledger.lots(tenant_id, subject_account(subject_id, "material"))
        return sum(lot.remaining for lot in lots
                   if lot.remaining > 0 and (lot.expires_at is None or lot.expires_at > now))

    def _replay(self, tenant_id: uuid.UUID,
                request: redeeming.RedeemRequest) -> Redemption | None:
        with self.platform.db.read() as conn:
            row = redeeming.find_by_key(conn, tenant_id, request.idempotency_key)
            return None if row is None else redeeming.same_request(conn, row, request.hash())


def _check_bill(fen: int) -> None:
    if isinstance(fen, bool) or not isinstance(fen, int) or not 0 < fen <= MAX_FEN:
        raise InvalidBill(f"an amount is a whole number of fen from 1 to {MAX_FEN}, not {fen!r}",
                          amount=str(fen))
