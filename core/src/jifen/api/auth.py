"""Bearer tokens, passwords and login rate limiting (JF-PRIV-1).

Tokens are JWTs signed with HS256. Each tenant has its own signing key, derived from jifen's
master key (`TenantKeys.token_key`), so a token of one tenant never verifies in another. Claims:
``iss`` (``jifen``), ``tenant`` (the tenant's code), ``sub`` (a subject's public code, or a
name for a staff member who is no subject), ``roles`` (``"resident"``, ``"reviewer@community"``:
a role, optionally at an org unit whose subtree it covers), ``iat`` and ``exp``. Expiry is
judged by the platform's clock, so the test mode can move past it.
"""

from __future__ import annotations

import threading
import uuid
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, insert, select

from jifen import subjects
from jifen.errors import (
    BadCredentials,
    InvalidInput,
    NotFound,
    RateLimited,
    TokenExpired,
    Unauthenticated,
)
from jifen.platform import Platform
from jifen.store import tables as t

ISSUER = "jifen"
ALGORITHM = "HS256"
ROLES = ("resident", "grid_worker", "reviewer", "admin", "department", "merchant", "provider",
         "auditor", "operator")
"""The roles of JF-PRIV-1 a token can carry."""
SUBJECT_ROLES = frozenset({"resident", "grid_worker", "reviewer", "department", "merchant"})
"""Roles whose holder must be a subject of the tenant (the token's ``sub`` is its code)."""
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Role:
    """A role, at an org unit (its code) whose subtree it covers, or tenant-wide (``None``)."""

    name: str
    scope: str | None = None

    def __str__(self) -> str:
        return self.name if self.scope is None else f"{self.name}@{self.scope}"

    @classmethod
    def parse(cls, text: str) -> Role:
        name, _, scope = text.partition("@")
        if name not in ROLES:
            raise InvalidInput(f"unknown role {name!r}; roles are {', '.join(ROLES)}", role=name)
        return cls(name, scope or None)


@dataclass(frozen=True)
class Principal:
    """Who is calling: the tenant, the token's subject (and its id when it is one), roles."""

    tenant: str
    tenant_id: uuid.UUID
    sub: str
    subject_id: uuid.UUID | None
    roles: frozenset[Role]

    def has(self, *names: str) -> bool:
        """Whether the principal holds any of the roles ``names`` (at any scope)."""
        return any(role.name in names for role in self.roles)


def issue_token(platform: Platform, tenant: str, sub: str, roles: list[Role], *,
                ttl: int = 3600) -> tuple[str, datetime]:
    """Sign a token for ``sub`` in ``tenant``; return it and when it expires."""
    tenant_id = platform.tenant(tenant).id
    if any(role.name in SUBJECT_ROLES for role in roles):
        _subject_id(platform, tenant_id, sub, required=True)
    now = platform.clock.now()
    expires = now + timedelta(seconds=ttl)
    claims = {"iss": ISSUER, "tenant": tenant, "sub": sub, "roles": [str(r) for r in roles],
              "iat": int(now.timestamp()), "exp": int(expires.timestamp())}
    key = platform.keys(tenant_id).token_key()
    return jwt.encode(claims, key, algorithm=ALGORITHM), expires


def authenticate(platform: Platform, token: str) -> Principal:
    """Verify a bearer token: signature with its tenant's key, issuer, expiry by the platform's
    clock, and the subject it names; 401 (`auth.*`) otherwise."""
    try:
        tenant = str(jwt.decode(token, options={"verify_signature": False})["tenant"])
        tenant_id = platform.tenant(tenant).id
        claims: dict[str, Any] = jwt.decode(
            token, platform.keys(tenant_id).token_key(), algorithms=[ALGORITHM], issuer=ISSUER,
            options={"verify_exp": False, "require": ["exp", "iat", "sub", "iss"]})
        roles = frozenset(Role.parse(str(r)) for r in claims.get("roles", []))
    except (jwt.PyJWTError, KeyError, NotFound, InvalidInput):
        raise Unauthenticated("the bearer token is invalid") from None
    if int(claims["exp"]) <= platform.clock.now().timestamp():
        raise TokenExpired("the bearer token has expired")
    sub = str(claims["sub"])
    subject_id = _subject_id(platform, tenant_id, sub,
                             required=any(r.name in SUBJECT_ROLES for r in roles))
    return Principal(tenant, tenant_id, sub, subject_id, roles)


def _subject_id(platform: Platform, tenant_id: uuid.UUID, code: str, *,
                required: bool) -> uuid.UUID | None:
    try:
        with platform.db.read() as conn:
            return subjects.find_by_code(conn, tenant_id, code).id
    except NotFound:
        if required:
            raise Unauthenticated("the token names no subject of its tenant") from None
        return None


def login_roles(platform: Platform, tenant_id: uuid.UUID, subject_id: uuid.UUID) -> list[Role]:
    """The roles a login gives: the subject's type (resident, merchant, …) and its granted
    roles (`Platform.grant_role`) at their org units."""
    with platform.db.read() as conn:
        subject = subjects.get_subject(conn, tenant_id, subject_id)
        granted = conn.execute(
            select(t.roles.c.role, t.org_units.c.code)
            .join(t.org_units, (t.org_units.c.tenant_id == t.roles.c.tenant_id)
                  & (t.org_units.c.id == t.roles.c.org_unit_id))
            .where(t.roles.c.tenant_id == tenant_id, t.roles.c.subject_id == subject_id)).all()
    found = [Role(subject.type)] if subject.type in ROLES else []
    found += [Role(role, unit) for role, unit in granted if role in ROLES]
    return found


# --- passwords (argon2id) -----------------------------------------------------------------------

def set_password(platform: Platform, tenant_id: uuid.UUID, subject_id: uuid.UUID,
                 password: str) -> None:
    """Store an argon2id hash of ``password`` for the subject (replacing any earlier one)."""
    if len(password) < 8:
        raise InvalidInput("a password has at least 8 characters")
    digest = _HASHER.hash(password)
    with platform.db.write() as conn:
        subjects.get_subject(conn, tenant_id, subject_id)
        conn.execute(delete(t.api_passwords).where(t.api_passwords.c.tenant_id == tenant_id,
                                                   t.api_passwords.c.subject_id == subject_id))
        conn.execute(insert(t.api_passwords).values(tenant_id=tenant_id, subject_id=subject_id,
                                                    hash=digest, updated_at=platform.clock.now()))


def check_password(platform: Platform, tenant: str, code: str, password: str) -> uuid.UUID:
    """The subject's id if ``password`` is theirs; `auth.bad_credentials` otherwise."""
    try:
        tenant_id = platform.tenant(tenant).id
        with platform.db.read() as conn:
            subject_id = subjects.find_by_code(conn, tenant_id, code).id
            digest = conn.execute(select(t.api_passwords.c.hash).where(
                t.api_passwords.c.tenant_id == tenant_id,
                t.api_passwords.c.subject_id == subject_id)).scalar()
    except NotFound:
        digest, subject_id = None, None
    try:
        if digest is None or subject_id is None:
            raise VerificationError
        _HASHER.verify(digest, password)
    except (VerificationError, InvalidHashError):
        raise BadCredentials("unknown subject or wrong password") from None
    return subject_id


class LoginLimiter:
    """At most ``max_failures`` failed logins per key (subject, client address) within
    ``window`` seconds of the platform's clock; in memory, per server process."""

    def __init__(self, platform: Platform, max_failures: int, window: int) -> None:
        self.platform, self.max_failures = platform, max_failures
        self.window = timedelta(seconds=window)
        self._failures: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def check(self, *keys: str) -> None:
        """Refuse with `auth.rate_limited` (429) if any key has used up its failures."""
        now = self.platform.clock.now()
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                if len(recent) >= self.max_failures:
                    retry = int((recent[0] + self.window - now).total_seconds()) + 1
                    raise RateLimited("too many failed logins; try again later",
                                      retry_after=retry)

    def failed(self, *keys: str) -> None:
        """Count a failure against every key."""
        now = self.platform.clock.now()
        with self._lock:
            for key in keys:
                self._recent(key, now).append(now)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        recent = self._failures.setdefault(key, deque())
        while recent and recent[0] <= now - self.window:
            recent.popleft()
        return recent
