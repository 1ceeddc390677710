"""jifen's HTTP interface (FastAPI): `create_app` builds it over a `Platform` (JF-API-1)."""

from jifen.api.app import create_app
from jifen.api.settings import ApiSettings

__all__ = ["ApiSettings", "create_app"]
