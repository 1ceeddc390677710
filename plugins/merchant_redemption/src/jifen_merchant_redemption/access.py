"""Who may act for a merchant (JF-PRIV-1, JF-PRIV-2): only the merchant's own staff.

A merchant's staff hold the role ``merchant``: the shop's own account (a subject of type
``merchant`` signing in with its code, whose login gives it the role ``merchant``), or a cashier
whose token carries ``merchant@<merchant code>``. Everyone else — residents, other merchants,
officials — is refused with the same ``access.forbidden``, whether or not the merchant exists,
so a refusal leaks nothing. Used by the HTTP endpoints, the merchant page and the conformance
adapter alike.
"""

from __future__ import annotations

from jifen import subjects
from jifen.api.auth import Principal
from jifen.api.deps import Context
from jifen.errors import Forbidden, NotFound

from .models import Merchant
from .service import MerchantRedemption

ROLE = "merchant"


def merchant_codes(principal: Principal) -> list[str]:
    """The codes of the merchants ``principal`` acts for: its own (role ``merchant``), then
    those its ``merchant@<code>`` roles name."""
    own = [principal.sub] if any(r.name == ROLE and r.scope is None
                                 for r in principal.roles) else []
    return own + sorted(r.scope for r in principal.roles if r.name == ROLE and r.scope)


def staff_merchant(ctx: Context, code: str) -> Merchant:
    """The merchant ``code`` if the caller is its staff; `access.forbidden` otherwise."""
    refusal = Forbidden("only the merchant's own staff may act for it (JF-PRIV-2)")
    if code not in merchant_codes(ctx.principal):
        raise refusal
    with ctx.platform.db.read() as conn:
        try:
            subject = subjects.find_by_code(conn, ctx.tenant_id, code)
        except NotFound:
            raise refusal from None
    if subject.type != "merchant":
        raise refusal
    return MerchantRedemption(ctx.platform).merchant(ctx.tenant_id, subject.id)
