"""FastAPI dependencies for the core's routers and plugins' routers (``register_routers``).

``Auth`` is the verified caller of any tenant; ``TenantAuth`` a caller whose token belongs to
the tenant named by the path parameter ``{tenant}`` (403 `auth.cross_tenant` otherwise), with
the platform and the tenant's id: most handlers take a ``TenantAuth``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import Connection, select

from jifen import subjects, tenants
from jifen.api.auth import Principal, authenticate
from jifen.api.settings import ApiSettings
from jifen.errors import CrossTenantToken, Forbidden, NotFound, Unauthenticated
from jifen.model import Subject
from jifen.platform import Platform
from jifen.store import tables as t

bearer = HTTPBearer(auto_error=False, description="A jifen JWT (`jifen token issue` or login)")

#: Roles that see every subject of their tenant.
TENANT_WIDE = ("operator", "auditor")
#: Roles that see the subjects under the org unit they are held at.
SCOPED = ("admin", "reviewer", "grid_worker")


def get_platform(request: Request) -> Platform:
    """The app's platform."""
    platform: Platform = request.app.state.platform
    return platform


def get_settings(request: Request) -> ApiSettings:
    """The app's settings."""
    settings: ApiSettings = request.app.state.settings
    return settings


def principal_of(request: Request, platform: Platform, token: str | None) -> Principal:
    """The verified caller, cached on the request (the idempotency layer verifies first)."""
    cached = getattr(request.state, "principal", None)
    if isinstance(cached, Principal):
        return cached
    if not token:
        raise Unauthenticated("a bearer token is required")
    principal = authenticate(platform, token)
    request.state.principal = principal
    return principal


def _auth(request: Request, platform: Annotated[Platform, Depends(get_platform)],
          credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
          ) -> Principal:
    return principal_of(request, platform, credentials.credentials if credentials else None)


Auth = Annotated[Principal, Depends(_auth)]


@dataclass(frozen=True)
class Context:
    """A request's platform, caller and tenant id."""

    platform: Platform
    principal: Principal
    tenant_id: uuid.UUID

    def require(self, *roles: str) -> None:
        """Refuse (403) unless the caller holds one of ``roles``."""
        if not self.principal.has(*roles):
            raise Forbidden(f"this needs one of the roles {', '.join(roles)} (JF-PRIV-1)")

    @property
    def actor(self) -> uuid.UUID:
        """The caller as a subject (reviewers, residents …); 403 for a token with no subject."""
        if self.principal.subject_id is None:
            raise Forbidden("this needs a token whose subject is a subject of the tenant")
        return self.principal.subject_id

    def subject(self, code: str) -> Subject:
        """The subject ``code`` (``me``: the caller) if the caller may see it (JF-PRIV-2): its
        own, its household's, or under a staff role's org unit. Otherwise 403, also for a code
        that does not exist, so a refusal leaks nothing."""
        code = self.principal.sub if code == "me" else code
        with self.platform.db.read() as conn:
            try:
                found = subjects.find_by_code(conn, self.tenant_id, code)
            except NotFound:
                if self.principal.has(*TENANT_WIDE):
                    raise
                found = None
            if found is None or not self._may_see(conn, found):
                raise Forbidden("not your data, nor your household's (JF-PRIV-2)")
        return found

    def subject_by_id(self, subject_id: uuid.UUID) -> Subject:
        """Like :meth:`subject`, for a subject named by id (a claim's claimant)."""
        with self.platform.db.read() as conn:
            found = subjects.get_subject(conn, self.tenant_id, subject_id)
            if not self._may_see(conn, found):
                raise Forbidden("not your data, nor your household's (JF-PRIV-2)")
        return found

    def _may_see(self, conn: Connection, subject: Subject) -> bool:
        me = self.principal.subject_id
        if subject.id == me or self.principal.has(*TENANT_WIDE):
            return True
        if me is not None and self.principal.has("resident") and subject.id in _household(
                conn, self.tenant_id, me):
            return True
        path = tenants.unit_path(conn, self.tenant_id, subject.org_unit_id)
        scopes = {r.scope for r in self.principal.roles if r.name in SCOPED and r.scope}
        return bool(scopes) and any(code in scopes for code in
                                    tenants.path_codes(conn, self.tenant_id, path))


def _household(conn: Connection, tenant_id: uuid.UUID, me: uuid.UUID) -> set[uuid.UUID]:
    """The households ``me`` belongs to and their members."""
    links = t.household_links
    mine = select(links.c.household_id).where(links.c.tenant_id == tenant_id,
                                              links.c.member_id == me)
    rows = conn.execute(select(links.c.household_id, links.c.member_id).where(
        links.c.tenant_id == tenant_id, links.c.household_id.in_(mine))).all()
    return {r.household_id for r in rows} | {r.member_id for r in rows}


def _tenant_auth(tenant: str, principal: Auth,
                 platform: Annotated[Platform, Depends(get_platform)]) -> Context:
    if principal.tenant != tenant:
        raise CrossTenantToken("the token belongs to another tenant (JF-ORG-1)")
    return Context(platform, principal, principal.tenant_id)


TenantAuth = Annotated[Context, Depends(_tenant_auth)]
PlatformDep = Annotated[Platform, Depends(get_platform)]
