"""The web pages' routes (server-rendered with Jinja2; forms work without JavaScript).

Sign-in is the API's demo login: the page stores the same JWT that ``POST /v1/auth/login``
issues in an HttpOnly, SameSite=Lax cookie, and every page checks it as the API checks a bearer
token (JF-PRIV-1/2). Forms carry a CSRF token that must equal the ``jifen_csrf`` cookie (double
submit). The public notice board needs no login and shows what the API's public notice shows:
masked names, no identifiers (JF-DUE-4).
"""

from __future__ import annotations

import contextlib
import hmac
import secrets
import uuid
from collections.abc import Callable, Coroutine
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, FastAPI, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from sqlalchemy import and_, select

from jifen import configure, stats
from jifen.api.auth import (
    LoginLimiter,
    Principal,
    authenticate,
    check_password,
    issue_token,
    login_roles,
)
from jifen.api.deps import Context
from jifen.api.settings import ApiSettings
from jifen.claims import of_subjects_under
from jifen.codes import render_qr
from jifen.config import CatalogueItem
from jifen.errors import (
    BadCredentials,
    CrossTenantToken,
    Forbidden,
    JifenError,
    NoticeClosed,
    RateLimited,
    Unauthenticated,
)
from jifen.ledger import subject_account
from jifen.model.claims import Claim, ClaimSubmit, PublicNotice
from jifen.model.points import format_minor
from jifen.platform import Platform
from jifen.scenarios import ScenarioSpec, consent
from jifen.store import tables as t
from jifen.web import i18n
from jifen.web.charts import bar_chart

SESSION_COOKIE = "jifen_session"
CSRF_COOKIE = "jifen_csrf"
LANG_COOKIE = "jifen_lang"
STAFF = ("admin", "operator", "auditor", "department")
CHART_MONTHS = 24

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


class PageRoute(APIRoute):
    """A page route: jifen's errors become an HTML page (401 a redirect to the login form)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except Unauthenticated:
                tenant = request.path_params.get("tenant")
                if not tenant:
                    raise
                target = quote(str(request.url.path), safe="/")
                return RedirectResponse(f"/t/{tenant}/login?next={target}", status_code=303)
            except JifenError as exc:
                return error_page(request, exc.http_status, exc.message)

        return handler


router = APIRouter(route_class=PageRoute, include_in_schema=False)


def install(app: FastAPI) -> None:
    """Add the pages to an app built by `jifen.api.create_app`."""
    app.include_router(router)


# --- rendering ----------------------------------------------------------------------------------

def _platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


def language(request: Request) -> str:
    return i18n.pick(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE),
                     request.headers.get("accept-language"))


def csrf_token(request: Request) -> str:
    """The request's CSRF token: the cookie's, or a new one (set on the response)."""
    token = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not token:
        token = secrets.token_urlsafe(32)
        request.state.csrf_new = True
    request.state.csrf = token
    return str(token)


def check_csrf(request: Request, submitted: str) -> None:
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not hmac.compare_digest(cookie.encode(), submitted.encode()):
        raise Forbidden(i18n.translator(language(request))("csrf.failed"))


def render(request: Request, template: str, status_code: int = 200,
           **context: Any) -> HTMLResponse:
    lang = language(request)
    principal: Principal | None = getattr(request.state, "page_principal", None)
    tenant = request.path_params.get("tenant")
    response = templates.TemplateResponse(request, template, {
        "lang": lang, "t": i18n.translator(lang), "csrf": csrf_token(request),
        "tenant": tenant, "principal": principal, "path": request.url.path,
        "is_staff": bool(principal and principal.has(*STAFF)),
        "is_reviewer": bool(principal and principal.has("reviewer")),
        **context}, status_code=status_code)
    if getattr(request.state, "csrf_new", False):
        response.set_cookie(CSRF_COOKIE, str(request.state.csrf), httponly=True,
                            samesite="strict", path="/")
    chosen = request.query_params.get("lang")
    if chosen in i18n.LANGUAGES and chosen != request.cookies.get(LANG_COOKIE):
        response.set_cookie(LANG_COOKIE, chosen, samesite="lax", path="/")
    return response


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    return render(request, "error.html", status_code=status, status=status, message=message)


# --- who is asking ------------------------------------------------------------------------------

def page_context(request: Request, tenant: str) -> Context:
    """The signed-in caller of ``tenant`` (401, so the login form, without a valid cookie)."""
    platform = _platform(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise Unauthenticated("please log in")
    principal = authenticate(platform, token)
    if principal.tenant != tenant:
        raise CrossTenantToken("you are logged in to another tenant (JF-ORG-1)")
    request.state.page_principal = principal
    return Context(platform, principal, principal.tenant_id)


def _optional_principal(request: Request, tenant: str) -> None:
    with contextlib.suppress(JifenError):
        page_context(request, tenant)


# --- index and the public notice board (JF-DUE-4) -----------------------------------------------

@router.get("/", response_class=HTMLResponse)
def index(request: Request) -> HTMLResponse:
    with _platform(request).db.read() as conn:
        rows = conn.execute(select(t.tenants.c.code, t.tenants.c.name)
                            .order_by(t.tenants.c.code)).all()
    return render(request, "index.html", tenants=[(r.code, r.name) for r in rows])


def current_notices(platform: Platform, tenant_id: uuid.UUID) -> list[PublicNotice]:
    """The public lists of the tenant's notice batches that are running (JF-DUE-4, JF-DUE-7)."""
    with platform.db.read() as conn:
        ids = conn.execute(select(t.notice_batches.c.id).where(
            t.notice_batches.c.tenant_id == tenant_id, t.notice_batches.c.closed_at.is_(None))
            .order_by(t.notice_batches.c.starts_on.desc(), t.notice_batches.c.id)).scalars().all()
    notices = []
    for batch_id in ids:
        try:
            notices.append(platform.claims.public_notice(tenant_id, batch_id))
        except NoticeClosed:
            continue
    return notices


@router.get("/t/{tenant}/notices", response_class=HTMLResponse)
def notice_board(tenant: str, request: Request) -> HTMLResponse:
    platform = _platform(request)
    found = platform.tenant(tenant)
    _optional_principal(request, tenant)
    return render(request, "notices.html", tenant_name=found.name,
                  notices=current_notices(platform, found.id))


# --- login and logout ---------------------------------------------------------------------------

def _safe_next(tenant: str, target: str | None) -> str | None:
    prefix = f"/t/{tenant}/"
    if target and target.startswith(prefix) and "//" not in target and "\\" not in target:
        return target
    return None


@router.get("/t/{tenant}/login", response_class=HTMLResponse)
def login_form(tenant: str, request: Request, next: str | None = None) -> HTMLResponse:
    found = _platform(request).tenant(tenant)
    return render(request, "login.html", tenant_name=found.name, next=_safe_next(tenant, next),
                  error=None, subject="")


@router.post("/t/{tenant}/login", response_model=None)
def login(tenant: str, request: Request, subject: Annotated[str, Form()],
          password: Annotated[str, Form()], csrf: Annotated[str, Form()],
          next: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    platform = _platform(request)
    settings: ApiSettings = request.app.state.settings
    limiter: LoginLimiter = request.app.state.login_limiter
    found = platform.tenant(tenant)
    tr = i18n.translator(language(request))
    keys = (f"subject:{tenant}:{subject}", f"ip:{request.client.host if request.client else '?'}")
    try:
        limiter.check(*keys)
        try:
            subject_id = check_password(platform, tenant, subject, password)
        except BadCredentials:
            limiter.failed(*keys)
            raise
    except (BadCredentials, RateLimited) as exc:
        message = tr("login.limited") if isinstance(exc, RateLimited) else tr("login.failed")
        return render(request, "login.html", status_code=exc.http_status,
                      tenant_name=found.name, next=_safe_next(tenant, next), error=message,
                      subject=subject)
    roles = login_roles(platform, found.id, subject_id)
    token, _expires = issue_token(platform, tenant, subject, roles, ttl=settings.token_ttl)
    names = {r.name for r in roles}
    landing = (f"/t/{tenant}/review" if "reviewer" in names
               else f"/t/{tenant}/admin" if names & set(STAFF) else f"/t/{tenant}/me")
    response = RedirectResponse(_safe_next(tenant, next) or landing, status_code=303)
    # a session cookie: the token's own expiry (by the platform's clock) is what limits it
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="lax", path="/",
                        secure=request.url.scheme == "https")
    return response


@router.post("/t/{tenant}/logout", response_model=None)
def logout(tenant: str, request: Request, csrf: Annotated[str, Form()]) -> Response:
    check_csrf(request, csrf)
    response = RedirectResponse(f"/t/{tenant}/notices", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- the resident page (JF-DUE-1, JF-SCORE-2, JF-CODE-3, JF-PRIV-2) -----------------------------

@router.get("/t/{tenant}/me", response_model=None)
def my_page(tenant: str, request: Request) -> Response:
    ctx = page_context(request, tenant)
    lang = request.query_params.get("lang")
    query = f"?lang={lang}" if lang in i18n.LANGUAGES else ""
    return RedirectResponse(f"/t/{tenant}/residents/{quote(ctx.principal.sub)}{query}",
                            status_code=303)


@router.get("/t/{tenant}/residents/{code}", response_class=HTMLResponse)
def resident_page(tenant: str, code: str, request: Request) -> HTMLResponse:
    ctx = page_context(request, tenant)
    subject = ctx.subject(code)
    platform, tenant_id = ctx.platform, ctx.tenant_id
    tr = i18n.translator(language(request))
    balances = []
    history: list[dict[str, Any]] = []
    for kind in platform.registry.kinds.values():
        account = subject_account(subject.id, kind.name)
        balances.append((kind.name, format_minor(platform.ledger.balance(tenant_id, account),
                                                 kind.scale)))
        for view in platform.ledger.history(tenant_id, account):
            minor = sum(p.amount for p in view.postings if p.account == account)
            history.append({"at": view.created_at, "kind": kind.name,
                            "amount": format_minor(minor, kind.scale), "memo": view.memo,
                            "meta": view.metadata})
    history.sort(key=lambda h: h["at"])
    names = _names(platform, tenant_id, {h["meta"].get("approver", "") for h in history})
    items = _item_names(platform, tenant_id, [h["meta"] for h in history])
    for h in history:
        approver = h["meta"].get("approver", "")
        h["approver"] = tr("resident.auto") if approver == "auto" else names.get(approver, "")
        h["item"] = items.get((h["meta"].get("item", ""), h["meta"].get("item_version", "")),
                              h["meta"].get("item", ""))
    try:
        score = platform.score(tenant_id, subject.id)
    except JifenError:
        score = None
    claims = platform.claims.of_subject(tenant_id, subject.id)
    claim_items = _item_names(platform, tenant_id, [
        {"item": c.item_code, "item_version": str(c.item_version)} for c in claims])
    pay = None
    if subject.id == ctx.principal.subject_id and subject.type in ("resident", "household"):
        issued = platform.codes.issue(tenant_id, subject.id, "pay",
                                      lifetime=timedelta(seconds=120))
        pay = {"svg": _inline_qr(issued.token, tr("resident.paycode_alt")),
               "expires": _local(platform, tenant_id, issued.expires_at)}
    own = subject.id == ctx.principal.subject_id
    message = {"claimed": "resident.claimed", "consented": "consent.granted_msg",
               "withdrawn": "consent.withdrawn_msg"}.get(request.query_params.get("done", ""))
    return render(request, "resident.html", subject=subject, balances=balances,
                  history=history, score=score, pay=pay, claims=claims,
                  claim_items=claim_items, appeals=_appeals(platform, tenant_id, claims),
                  own=own, message=message,
                  catalogue=_claimable(platform, tenant_id) if own else [],
                  today=platform.clock.now().date().isoformat(), form_key=uuid.uuid4().hex,
                  consents=_consents(ctx, subject.id))


def _claimable(platform: Platform, tenant_id: uuid.UUID) -> list[CatalogueItem]:
    """The catalogue items in force today that a resident may claim (no deductions)."""
    today = platform.clock.now().date()
    with platform.db.read() as conn:
        versions = configure.catalogue(conn, tenant_id)
    current: dict[str, CatalogueItem] = {}
    for item in sorted(versions, key=lambda i: i.valid_from):
        if item.valid_from <= today:
            current[item.code] = item
    return [i for i in current.values() if not i.is_deduction]


def _consents(ctx: Context, subject_id: uuid.UUID) -> list[tuple[ScenarioSpec, bool]] | None:
    """Each registered scenario and whether the subject's consent stands, when the caller may
    give or withdraw it: for themself (an adult) or as a child's guardian (JF-PRIV-4)."""
    me = ctx.principal.subject_id
    with ctx.platform.db.read() as conn:
        kin = consent.guardians(conn, ctx.tenant_id, [subject_id])
    if me is None or me not in kin.get(subject_id, [subject_id]):
        return None
    return [(spec, ctx.platform.scenarios.has_consent(ctx.tenant_id, code, subject_id))
            for code, spec in sorted(ctx.platform.scenarios.specs().items())]


@router.post("/t/{tenant}/claims", response_model=None)
def submit_claim(tenant: str, request: Request, csrf: Annotated[str, Form()],
                 key: Annotated[str, Form(min_length=8, max_length=64)],
                 item: Annotated[str, Form(min_length=1, max_length=64)],
                 deed_date: Annotated[date, Form()], note: Annotated[str, Form()] = "",
                 units: Annotated[int | None, Form(ge=1)] = None,
                 amount: Annotated[str, Form()] = "") -> Response:
    """A resident files a claim for themself (JF-EARN-1); the form's key makes a resend
    return the same claim."""
    check_csrf(request, csrf)
    ctx = page_context(request, tenant)
    evidence = {"note": note.strip()} if note.strip() else {}
    ctx.platform.claims.submit(ctx.tenant_id, ClaimSubmit(
        idempotency_key=f"web:{ctx.principal.sub}:{key}", subject_id=ctx.actor, item=item,
        deed_date=deed_date, units=units, amount=amount.strip() or None, evidence=evidence,
        submitted_by=ctx.actor))
    return RedirectResponse(f"/t/{tenant}/residents/{quote(ctx.principal.sub)}?done=claimed",
                            status_code=303)


@router.post("/t/{tenant}/residents/{code}/consent", response_model=None)
def set_consent(tenant: str, code: str, request: Request, csrf: Annotated[str, Form()],
                scenario: Annotated[str, Form(min_length=1, max_length=64)],
                granted: Annotated[bool, Form()]) -> Response:
    """Grant or withdraw consent to a scenario, for oneself or a child one is guardian of
    (JF-SCN-1, JF-PRIV-4); the core service refuses anyone else."""
    check_csrf(request, csrf)
    ctx = page_context(request, tenant)
    subject = ctx.subject(code)
    change = (ctx.platform.scenarios.grant_consent if granted
              else ctx.platform.scenarios.withdraw_consent)
    change(ctx.tenant_id, scenario, subject.id, given_by=ctx.actor)
    done = "consented" if granted else "withdrawn"
    return RedirectResponse(f"/t/{tenant}/residents/{quote(subject.code)}?done={done}",
                            status_code=303)


def _inline_qr(token: str, label: str) -> Markup:
    svg = render_qr(token, "svg", scale=4).decode()
    svg = svg[svg.index("<svg"):]
    escaped = label.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
    svg = svg.replace("<svg ", f'<svg role="img" aria-label="{escaped}" class="qr" ', 1)
    return Markup(svg)  # segno's own SVG of a signed token: no user input in it


def _names(platform: Platform, tenant_id: uuid.UUID, ids: set[str]) -> dict[str, str]:
    wanted = set()
    for text in ids:
        try:
            wanted.add(uuid.UUID(text))
        except ValueError:
            continue
    if not wanted:
        return {}
    with platform.db.read() as conn:
        rows = conn.execute(select(t.subjects.c.id, t.subjects.c.name).where(
            t.subjects.c.tenant_id == tenant_id, t.subjects.c.id.in_(wanted))).all()
    return {str(r.id): r.name for r in rows}


def _item_names(platform: Platform, tenant_id: uuid.UUID,
                metas: list[dict[str, str]]) -> dict[tuple[str, str], str]:
    found: dict[tuple[str, str], str] = {}
    with platform.db.read() as conn:
        for meta in metas:
            key = (meta.get("item", ""), meta.get("item_version", ""))
            if key in found or not key[0] or not key[1]:
                continue
            try:
                found[key] = configure.item_version(conn, tenant_id, key[0],
                                                    date.fromisoformat(key[1])).name
            except (JifenError, ValueError):
                found[key] = key[0]
    return found


def _appeals(platform: Platform, tenant_id: uuid.UUID, claims: list[Claim]) -> list[Any]:
    ids = [c.id for c in claims]
    if not ids:
        return []
    with platform.db.read() as conn:
        return list(conn.execute(select(t.appeals).where(
            t.appeals.c.tenant_id == tenant_id, t.appeals.c.claim_id.in_(ids))
            .order_by(t.appeals.c.filed_at)).mappings().all())


def _local(platform: Platform, tenant_id: uuid.UUID, moment: datetime) -> str:
    with platform.db.read() as conn:
        zone = conn.execute(select(t.tenants.c.timezone).where(
            t.tenants.c.id == tenant_id)).scalar_one()
    return moment.astimezone(ZoneInfo(str(zone))).strftime("%Y-%m-%d %H:%M")


# --- the reviewer queue (JF-EARN-2, JF-EARN-4, JF-PRIV-1) ---------------------------------------

def _queue(ctx: Context) -> list[dict[str, Any]]:
    """The submitted claims of subjects under the units where the caller is a reviewer."""
    scopes = {r.scope for r in ctx.principal.roles if r.name == "reviewer" and r.scope}
    tenant_wide = any(r.name == "reviewer" and r.scope is None for r in ctx.principal.roles)
    with ctx.platform.db.read() as conn:
        paths = conn.execute(select(t.org_units.c.path).where(
            t.org_units.c.tenant_id == ctx.tenant_id, t.org_units.c.code.in_(scopes))
            ).scalars().all()
        if not paths and not tenant_wide:
            return []
        query = (select(t.claims, t.subjects.c.name.label("claimant"),
                        t.org_units.c.name.label("unit"))
                 .join(t.subjects, and_(t.subjects.c.tenant_id == t.claims.c.tenant_id,
                                        t.subjects.c.id == t.claims.c.subject_id))
                 .join(t.org_units, and_(t.org_units.c.tenant_id == t.subjects.c.tenant_id,
                                         t.org_units.c.id == t.subjects.c.org_unit_id))
                 .where(t.claims.c.tenant_id == ctx.tenant_id if tenant_wide
                        else of_subjects_under(conn, ctx.tenant_id, list(paths)),
                        t.claims.c.state == "submitted")
                 .order_by(t.claims.c.submitted_at, t.claims.c.id))
        rows = [dict(r) for r in conn.execute(query).mappings().all()]
    items = _item_names(ctx.platform, ctx.tenant_id, [
        {"item": r["item_code"], "item_version": str(r["item_version"])} for r in rows])
    for r in rows:
        r["item"] = items.get((r["item_code"], str(r["item_version"])), r["item_code"])
        scale = ctx.platform.registry.kind(r["kind"]).scale
        r["requested_text"] = (format_minor(r["requested"], scale)
                               if r["requested"] is not None else "")
    return rows


@router.get("/t/{tenant}/review", response_class=HTMLResponse)
def review_queue(tenant: str, request: Request, done: str | None = None) -> HTMLResponse:
    ctx = page_context(request, tenant)
    ctx.require("reviewer")
    scopes = sorted(str(r) for r in ctx.principal.roles if r.name == "reviewer")
    message = {"approved": "review.approved", "rejected": "review.rejected",
               "published": "review.published", "nothing": "review.nothing"}.get(done or "")
    units = sorted({r.scope for r in ctx.principal.roles if r.name == "reviewer" and r.scope})
    return render(request, "review.html", claims=_queue(ctx), scopes=scopes, message=message,
                  units=units)


@router.post("/t/{tenant}/review/publish", response_model=None)
def publish(tenant: str, request: Request, csrf: Annotated[str, Form()],
            org_unit: Annotated[str, Form(min_length=1, max_length=64)]) -> Response:
    """Publish the approved claims under an org unit as one notice batch (JF-EARN-6)."""
    check_csrf(request, csrf)
    ctx = page_context(request, tenant)
    ctx.require("reviewer")
    batch = ctx.platform.claims.publish(ctx.tenant_id, org_unit, ctx.actor)
    done = "published" if batch is not None else "nothing"
    return RedirectResponse(f"/t/{tenant}/review?done={done}", status_code=303)


@router.post("/t/{tenant}/review/{claim_id}/approve", response_model=None)
def approve(tenant: str, claim_id: uuid.UUID, request: Request, csrf: Annotated[str, Form()],
            amount: Annotated[str, Form()] = "") -> Response:
    check_csrf(request, csrf)
    ctx = page_context(request, tenant)
    ctx.require("reviewer")
    ctx.platform.claims.approve(ctx.tenant_id, claim_id, ctx.actor,
                                amount=amount.strip() or None)
    return RedirectResponse(f"/t/{tenant}/review?done=approved", status_code=303)


@router.post("/t/{tenant}/review/{claim_id}/reject", response_model=None)
def reject(tenant: str, claim_id: uuid.UUID, request: Request, csrf: Annotated[str, Form()],
           reason: Annotated[str, Form()]) -> Response:
    check_csrf(request, csrf)
    ctx = page_context(request, tenant)
    ctx.require("reviewer")
    ctx.platform.claims.reject(ctx.tenant_id, claim_id, ctx.actor, reason.strip())
    return RedirectResponse(f"/t/{tenant}/review?done=rejected", status_code=303)


# --- the admin dashboard (JF-STAT-1) ------------------------------------------------------------

def _months(first: date, last: date) -> list[date]:
    months: list[date] = []
    month = first.replace(day=1)
    while month <= last and len(months) < CHART_MONTHS:
        months.append(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return months


@router.get("/t/{tenant}/admin", response_class=HTMLResponse)
def dashboard(tenant: str, request: Request, level: str = "community") -> HTMLResponse:
    ctx = page_context(request, tenant)
    ctx.require(*STAFF)
    tr = i18n.translator(language(request))
    platform, tenant_id = ctx.platform, ctx.tenant_id
    with platform.db.read() as conn:
        zone = ZoneInfo(str(conn.execute(select(t.tenants.c.timezone).where(
            t.tenants.c.id == tenant_id)).scalar_one()))
        created = select(t.transactions.c.created_at).where(
            t.transactions.c.tenant_id == tenant_id).limit(1)
        bounds: tuple[datetime | None, datetime | None] = (
            conn.execute(created.order_by(t.transactions.c.seq)).scalar(),
            conn.execute(created.order_by(t.transactions.c.seq.desc())).scalar())
        report = None
        monthly: list[tuple[str, float]] = []
        if bounds[0] is not None and bounds[1] is not None:
            first = _as_utc(bounds[0]).astimezone(zone).date()
            last = _as_utc(bounds[1]).astimezone(zone).date()
            months = _months(max(first, last.replace(day=1) - timedelta(days=31 * 23)), last)
            end = (months[-1] + timedelta(days=32)).replace(day=1)
            report = stats.totals(conn, tenant_id, months[0], end, level)
            moral_scale = platform.registry.kind("moral").scale
            for i, month in enumerate(months):
                upto = months[i + 1] if i + 1 < len(months) else end
                total = stats.totals(conn, tenant_id, month, upto, level).total
                monthly.append((month.strftime("%Y-%m"),
                                total.moral_awarded / 10 ** moral_scale))
    chart = Markup(bar_chart(monthly, title=tr("admin.chart"),
                             description=tr("admin.chart_desc"))) if monthly else None
    return render(request, "admin.html", report=report, chart=chart, monthly=monthly,
                  columns=stats.COLUMNS, level=level,
                  fmt=lambda column, value: format_figure(platform, column, value))


def _as_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_figure(platform: Platform, column: str, value: int) -> str:
    """A statistics figure in its kind's unit."""
    if column.startswith("moral_"):
        return format_minor(value, platform.registry.kind("moral").scale)
    return str(value)

