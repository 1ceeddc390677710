"""Settings of the HTTP server (``jifen serve`` builds them from its options)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ApiSettings(BaseModel):
    """How the API server behaves; the defaults are production-safe (no test mode)."""

    model_config = ConfigDict(frozen=True)

    test_mode: bool = False
    """Offer ``POST /test/clock`` (JF-API-2); the platform must run on a `MovableClock`."""
    scheduler: bool = False
    """Run the periodic jobs (``register_jobs``) in a background thread while serving."""
    scheduler_tick: float = Field(default=1.0, gt=0)
    """Seconds between the scheduler's checks for due jobs."""
    token_ttl: int = Field(default=3600, gt=0, le=86400)
    """Lifetime in seconds of the tokens that ``POST /v1/auth/login`` issues."""
    login_max_failures: int = Field(default=5, ge=1)
    """Failed logins allowed per subject and per client address within the window."""
    login_window: int = Field(default=900, gt=0)
    """The login rate-limit window, in seconds (15 minutes)."""
