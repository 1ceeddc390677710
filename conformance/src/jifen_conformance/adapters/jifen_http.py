"""A provisioner for the ``http`` driver against jifen: serves jifen on a loopback port (a real
uvicorn server in a thread, test mode on) and provisions tenants, subjects, roles and tokens in
the same process — what a vendor's provisioner does for their own system::

    pytest --pyargs jifen_conformance --jf-driver http \
        --jf-provisioner jifen_conformance.adapters.jifen_http:LoopbackJifen

Everything the cases do afterwards goes over HTTP.
"""

from __future__ import annotations

import contextlib
from typing import Any

from jifen_conformance.adapters.jifen import JifenAdapter
from jifen_conformance.driver import SubjectSpec


class LoopbackJifen:
    def __init__(self, database_url: str | None = None) -> None:
        from jifen.api import create_app
        from jifen.api.settings import ApiSettings
        from jifen.testing import running_server

        self.adapter = JifenAdapter(database_url)
        self.platform = self.adapter.platform
        self.profiles = self.adapter.implementation().profiles
        self._stack = contextlib.ExitStack()
        app = create_app(self.platform, ApiSettings(test_mode=True))
        self.base_url: str = self._stack.enter_context(running_server(app))

    def create_tenant(self, config: dict[str, Any], subjects: list[dict[str, Any]]
                      ) -> dict[str, Any]:
        from jifen.api.auth import Role, issue_token, login_roles

        specs = [SubjectSpec(name=s["name"], type=s["type"], org_unit=s["org_unit"],
                             roles=[(r["role"], r["org_unit"]) for r in s["roles"]])
                 for s in subjects]
        tenant = self.adapter.create_tenant(config, specs)
        operator, _ = issue_token(self.platform, tenant.code, "conformance-operator",
                                  [Role("operator"), Role("auditor")], ttl=86400 * 3650)
        found = {}
        for name, subject in tenant.subjects.items():
            roles = login_roles(self.platform, tenant.id, subject.id)
            token, _ = issue_token(self.platform, tenant.code, subject.code, roles,
                                   ttl=86400 * 3650)
            found[name] = {"code": subject.code, "id": str(subject.id), "token": token}
        return {"tenant": tenant.code, "operator_token": operator, "subjects": found}

    def link_household(self, tenant: str, household: str, member: str, role: str) -> None:
        """Link ``member`` to ``household`` (subject codes) as guardian, child or member."""
        from jifen import subjects
        from jifen.model import LinkRole

        tenant_id = self.platform.tenant(tenant).id
        with self.platform.db.read() as conn:
            found = [subjects.find_by_code(conn, tenant_id, c).id for c in (household, member)]
        self.platform.link_household(tenant_id, found[0], found[1], LinkRole(role))

    def run_jobs(self, tenant: str) -> Any:
        tenant_id = self.platform.tenant(tenant).id
        closed = self.platform.claims.close_notices(tenant_id)
        self.platform.ledger.expire(tenant_id)
        return {"finalised": closed.finalised}

    def close(self) -> None:
        self._stack.close()
        self.adapter.close()
