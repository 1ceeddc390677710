"""Errors as RFC 9457 problem documents (``application/problem+json``) (JF-API-3).

Every `JifenError` becomes ``{type, title, status, detail, code, details}`` with the error's
stable code and its class's HTTP status; FastAPI's request validation errors become
``input.invalid`` (422) in the same shape, and unknown routes ``not_found`` (404).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from jifen.errors import JifenError, Unauthenticated

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "https://jifen.dev/errors/"


class Problem(BaseModel):
    """An RFC 9457 problem document with jifen's stable ``code`` and the error's ``details``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    details: dict[str, Any] = {}


def problem(status: int, code: str, detail: str, details: dict[str, Any] | None = None,
            headers: dict[str, str] | None = None) -> JSONResponse:
    """A problem response; ``type`` is ``https://jifen.dev/errors/<code>``."""
    body = Problem(type=TYPE_BASE + code, title=HTTPStatus(status).phrase, status=status,
                   detail=detail, code=code, details=jsonable_encoder(details or {}))
    return JSONResponse(body.model_dump(), status_code=status, media_type=MEDIA_TYPE,
                        headers=headers)


def from_error(exc: JifenError) -> JSONResponse:
    """The problem document of a `JifenError` (401s also say ``WWW-Authenticate: Bearer``)."""
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else None
    return problem(exc.http_status, exc.code, exc.message, exc.details, headers)


async def _jifen_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, JifenError)
    return from_error(exc)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    errors = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")}
              for e in exc.errors()]
    where = ", ".join(".".join(str(part) for part in e["loc"]) for e in errors)
    return problem(422, "input.invalid", f"the request is invalid: {where}", {"errors": errors})


async def _http_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "not_found", 405: "request.method_not_allowed"}.get(exc.status_code,
                                                                      f"http.{exc.status_code}")
    headers = dict(exc.headers) if exc.headers else None
    return problem(exc.status_code, code, str(exc.detail), headers=headers)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal", "an unexpected error; it has been logged")


def install(app: FastAPI) -> None:
    """Map every error to a problem document on ``app``."""
    app.add_exception_handler(JifenError, _jifen_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


#: The problem responses every operation can give, for the OpenAPI document.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    "4XX": {"model": Problem, "description": "A problem document (RFC 9457)",
            "content": {MEDIA_TYPE: {}}},
}
