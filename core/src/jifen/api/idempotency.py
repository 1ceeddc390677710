"""The ``Idempotency-Key`` rule on every write (POST, PUT, PATCH, DELETE) under ``/v1/``.

A write without the header is refused with 428 `request.idempotency_key_required`. The first
response (any status below 500) is stored with a hash of the request (method, path, body),
scoped per tenant and principal (the token's subject). A repeat with the same key and the same
request returns the stored response, with the header ``Idempotent-Replayed: true``; the same
key with another request is 409 `request.idempotency_conflict`. Login (``/v1/auth/``) and the
test mode (``/test/``) are not tenant writes and are exempt.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware

from jifen.api.auth import Principal
from jifen.api.deps import principal_of
from jifen.api.problems import from_error
from jifen.errors import (
    IdempotencyKeyRequired,
    InvalidInput,
    JifenError,
    RequestIdempotencyConflict,
)
from jifen.platform import Platform
from jifen.store import tables as t

HEADER = "Idempotency-Key"
WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
EXEMPT = ("/v1/auth/", "/test/")
Next = Callable[[Request], Awaitable[Response]]


def applies(request: Request) -> bool:
    """Whether the rule applies: a write under ``/v1/`` other than login."""
    path = request.url.path
    return (request.method in WRITES and path.startswith("/v1/")
            and not path.startswith(EXEMPT))


async def idempotency(request: Request, call_next: Next) -> Response:
    """The middleware function (see the module's docstring)."""
    if not applies(request):
        return await call_next(request)
    try:
        key = _key(request)
        principal = await _principal(request)
    except JifenError as exc:
        return from_error(exc)
    if principal is None:  # the handler answers 401
        return await call_next(request)
    platform: Platform = request.app.state.platform
    digest = hashlib.sha256(b"\n".join([request.method.encode(), request.url.path.encode(),
                                        await request.body()])).hexdigest()
    stored = await run_in_threadpool(_stored, platform, principal, key)
    if stored is not None:
        if stored["request_hash"] != digest:
            return from_error(RequestIdempotencyConflict(
                "this Idempotency-Key was used for another request", key=key))
        return Response(str(stored["body"]), status_code=int(str(stored["status"])),
                        media_type=str(stored["content_type"]),
                        headers={"Idempotent-Replayed": "true"})
    response = await call_next(request)
    body = b"".join([chunk if isinstance(chunk, bytes) else chunk.encode()
                     async for chunk in response.body_iterator])  # type: ignore[attr-defined]
    if response.status_code < 500:
        await run_in_threadpool(_store, platform, principal, key, request, digest, response, body)
    return Response(body, status_code=response.status_code, headers=dict(response.headers))


def _key(request: Request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise IdempotencyKeyRequired(f"every write needs an {HEADER} header (JF-API-3)")
    if len(key) > 200:
        raise InvalidInput(f"the {HEADER} is at most 200 characters")
    return key


async def _principal(request: Request) -> Principal | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    platform: Platform = request.app.state.platform
    try:
        return await run_in_threadpool(principal_of, request, platform, token.strip())
    except JifenError:
        return None


def _stored(platform: Platform, principal: Principal, key: str) -> dict[str, object] | None:
    table = t.api_idempotency
    with platform.db.read() as conn:
        row = conn.execute(select(table).where(
            table.c.tenant_id == principal.tenant_id, table.c.principal == principal.sub,
            table.c.key == key)).mappings().first()
    return dict(row) if row else None


def _store(platform: Platform, principal: Principal, key: str, request: Request, digest: str,
           response: Response, body: bytes) -> None:
    try:
        with platform.db.write() as conn:
            conn.execute(insert(t.api_idempotency).values(
                tenant_id=principal.tenant_id, principal=principal.sub, key=key,
                method=request.method, path=request.url.path[:500], request_hash=digest,
                status=response.status_code,
                content_type=response.headers.get("content-type", "application/json"),
                body=body.decode(), created_at=platform.clock.now()))
    except IntegrityError:  # a concurrent request with the same key stored first
        pass


def install(app: FastAPI) -> None:
    """Add the rule to ``app``."""
    app.add_middleware(BaseHTTPMiddleware, dispatch=idempotency)
