"""The merchant page (``/t/{tenant}/merchant``, mounted through ``register_routers``): the till.

A merchant's staff (see `access`) enter or scan the resident's pay code and the bill, see the
quote (JF-RED-2), redeem (JF-RED-3), refund (JF-RED-4) and list the merchant's own redemptions
(JF-PRIV-2). Server-rendered like the core's pages (Chinese and English, forms without
JavaScript, CSRF on every form); the templates extend the core's ``base.html``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from jifen.api.deps import Context
from jifen.errors import Forbidden, InvalidInput, JifenError
from jifen.web import i18n
from jifen.web import pages as core

from .access import merchant_codes, staff_merchant
from .api import own_redemption
from .models import Merchant, Redemption
from .rules import parse_yuan, yuan
from .service import MerchantRedemption

PREFIX = "/t/{tenant}/merchant"
router = APIRouter(route_class=core.PageRoute, include_in_schema=False)
templates = Jinja2Templates(env=Environment(autoescape=True, loader=ChoiceLoader([
    FileSystemLoader(Path(__file__).parent / "templates"),
    FileSystemLoader(Path(core.__file__).parent / "templates")])))

MESSAGES: dict[str, tuple[str, str]] = {
    # key: (中文, English)
    "till.title": ("{name} 收银台", "Till of {name}"),
    "till.intro": ("扫描或输入居民的付款码，填写账单金额，先查看可抵扣的积分，再确认兑换。",
                   "Scan or type the resident's pay code and the bill, check the quote, then "
                   "redeem."),
    "till.terms": ("积分最多抵扣账单的 {cap}%；{days} 天内可退款。",
                   "Points pay at most {cap}% of a bill; refunds within {days} days."),
    "till.paycode": ("付款码", "Pay code"),
    "till.bill": ("账单金额（元）", "Bill (yuan)"),
    "till.quote": ("计算抵扣", "Quote"),
    "till.quote_h": ("抵扣计算", "Quote"),
    "till.quote_text": ("账单 {bill} 元：可用 {points} 积分，抵扣 {value} 元，居民另付 {due} 元。",
                        "Bill {bill} yuan: {points} points deduct {value} yuan; the resident "
                        "pays {due} yuan."),
    "till.redeem": ("确认兑换", "Redeem"),
    "till.redeemed": ("已兑换：{points} 积分抵扣 {value} 元，居民另付 {due} 元。",
                      "Redeemed: {points} points deduct {value} yuan; the resident pays {due} "
                      "yuan."),
    "till.refunded": ("已退款 {amount} 元，退回 {points} 积分。",
                      "Refunded {amount} yuan; {points} points returned."),
    "till.list": ("本店兑换记录", "Our redemptions"),
    "till.none": ("还没有兑换记录。", "No redemptions yet."),
    "till.refund_amount": ("退款金额（元，留空为全部）", "Refund (yuan, empty: all)"),
    "till.refund": ("退款", "Refund"),
    "till.bad_amount": ("金额应为元，最多两位小数，例如 58.00。",
                        "Amounts are yuan with at most two decimals, e.g. 58.00."),
    "col.bill": ("账单（元）", "Bill (yuan)"),
    "col.value": ("抵扣（元）", "Deducted (yuan)"),
    "col.refunded": ("已退（元）", "Refunded (yuan)"),
    "col.settled": ("结算", "Settled"),
    "till.yes": ("已结算", "settled"),
    "till.no": ("未结算", "not yet"),
}


def translator(lang: str) -> Callable[..., str]:
    """The page's messages in ``lang``, falling back to the core's catalogue."""
    index, fallback = i18n.LANGUAGES.index(lang), i18n.translator(lang)

    def t(key: str, **values: object) -> str:
        if key not in MESSAGES:
            return fallback(key, **values)
        text = MESSAGES[key][index]
        return text.format(**values) if values else text

    return t


def render(request: Request, ctx: Context, shop: Merchant, status_code: int = 200,
           **extra: Any) -> HTMLResponse:
    """The till page with the core's layout context (language, CSRF, the signed-in caller)."""
    lang = core.language(request)
    found = MerchantRedemption(ctx.platform).redemptions_of(ctx.tenant_id, shop.id, 50)
    tenant = ctx.platform.tenant(ctx.principal.tenant)
    zone = ZoneInfo(tenant.timezone)
    response = templates.TemplateResponse(request, "merchant.html", {
        "lang": lang, "t": translator(lang), "csrf": core.csrf_token(request),
        "tenant": request.path_params.get("tenant"), "principal": ctx.principal,
        "path": request.url.path, "is_staff": ctx.principal.has(*core.STAFF),
        "is_reviewer": ctx.principal.has("reviewer"), "shop": shop, "tenant_name": tenant.name,
        "local": lambda moment: moment.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
        "refundable": lambda r: refundable(r, ctx.platform.clock.now()),
        "redemptions": found, "yuan": yuan, "form_key": uuid.uuid4().hex, "quote": None,
        "error": None, "message": None, "bill": "", **extra}, status_code=status_code)
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(core.CSRF_COOKIE, str(request.state.csrf), httponly=True,
                            samesite="strict", path="/")
    return response


def refundable(redemption: Redemption, now: datetime) -> bool:
    """Whether a refund can still be asked for: unsettled, not all refunded, within the window."""
    closes = redemption.created_at + timedelta(days=redemption.refund_window_days)
    return (redemption.settled_at is None and redemption.refunded_fen < redemption.bill_fen
            and now <= closes)


def _till(request: Request, tenant: str) -> tuple[Context, Merchant]:
    ctx = core.page_context(request, tenant)
    codes = merchant_codes(ctx.principal)
    if not codes:
        raise Forbidden(translator(core.language(request))("error.403"))
    return ctx, staff_merchant(ctx, codes[0])


def _fen(request: Request, text: str) -> int:
    try:
        return parse_yuan(text)
    except ValueError:
        raise InvalidInput(translator(core.language(request))("till.bad_amount")) from None


@router.get("", response_class=HTMLResponse)
def till(tenant: str, request: Request) -> HTMLResponse:
    ctx, shop = _till(request, tenant)
    tr = translator(core.language(request))
    message = None
    done = request.query_params.get("redeemed") or request.query_params.get("refunded")
    if done:
        message = _done_message(ctx, shop, tr, done, "redeemed" in request.query_params)
    return render(request, ctx, shop, message=message)


def _done_message(ctx: Context, shop: Merchant, tr: Callable[..., str], text: str,
                  redeemed: bool) -> str | None:
    try:
        found = own_redemption(MerchantRedemption(ctx.platform), shop, uuid.UUID(text))
    except (ValueError, JifenError):
        return None
    if redeemed:
        return tr("till.redeemed", points=found.points, value=yuan(found.value_fen),
                  due=yuan(found.due_fen))
    return tr("till.refunded", amount=yuan(found.refunded_fen), points=found.refunded_points)


@router.post("/quote", response_class=HTMLResponse)
def quote(tenant: str, request: Request, csrf: Annotated[str, Form()],
          token: Annotated[str, Form(max_length=4096)],
          bill: Annotated[str, Form(max_length=20)]) -> HTMLResponse:
    core.check_csrf(request, csrf)
    ctx, shop = _till(request, tenant)
    try:
        bill_fen = _fen(request, bill)
        who = ctx.platform.codes.verify(ctx.tenant_id, token.strip(), "pay").subject_id
        found = MerchantRedemption(ctx.platform).quote(ctx.tenant_id, shop.id, bill_fen, who)
    except JifenError as exc:
        return render(request, ctx, shop, exc.http_status, error=exc.message, bill=bill)
    return render(request, ctx, shop, bill=bill, token=token.strip(), quote={
        "bill": yuan(found.bill_fen), "points": found.max_points,
        "value": yuan(found.value_fen), "due": yuan(found.bill_fen - found.value_fen)})


@router.post("/redeem", response_model=None)
def redeem(tenant: str, request: Request, csrf: Annotated[str, Form()],
           token: Annotated[str, Form(max_length=4096)],
           bill: Annotated[str, Form(max_length=20)],
           key: Annotated[str, Form(min_length=8, max_length=64)]) -> Response:
    """Redeem; the form's key makes a resent form return the same redemption."""
    core.check_csrf(request, csrf)
    ctx, shop = _till(request, tenant)
    try:
        done = MerchantRedemption(ctx.platform).redeem(
            ctx.tenant_id, shop.id, _fen(request, bill), token.strip(),
            f"web:{ctx.principal.sub}:{key}")
    except JifenError as exc:
        return render(request, ctx, shop, exc.http_status, error=exc.message, bill=bill)
    return RedirectResponse(f"/t/{tenant}/merchant?redeemed={done.id}", status_code=303)


@router.post("/redemptions/{redemption_id}/refund", response_model=None)
def refund(tenant: str, redemption_id: uuid.UUID, request: Request,
           csrf: Annotated[str, Form()], key: Annotated[str, Form(min_length=8, max_length=64)],
           amount: Annotated[str, Form(max_length=20)] = "") -> Response:
    core.check_csrf(request, csrf)
    ctx, shop = _till(request, tenant)
    service = MerchantRedemption(ctx.platform)
    try:
        own_redemption(service, shop, redemption_id)
        service.refund(ctx.tenant_id, redemption_id,
                       _fen(request, amount) if amount.strip() else None,
                       idempotency_key=f"web:{ctx.principal.sub}:{key}")
    except JifenError as exc:
        return render(request, ctx, shop, exc.http_status, error=exc.message)
    return RedirectResponse(f"/t/{tenant}/merchant?refunded={redemption_id}", status_code=303)
