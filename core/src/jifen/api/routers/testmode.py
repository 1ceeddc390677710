"""The test mode's clock (JF-API-2): only when the settings enable it; 404 otherwise."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel, ConfigDict

from jifen.api.deps import PlatformDep, get_settings
from jifen.api.problems import PROBLEM_RESPONSES
from jifen.api.settings import ApiSettings
from jifen.clock import MovableClock
from jifen.errors import NotInTestMode

router = APIRouter(prefix="/test", tags=["test mode"], responses=PROBLEM_RESPONSES)


class ClockIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    now: AwareDatetime


class ClockOut(BaseModel):
    now: datetime


def _clock(platform: PlatformDep,
           settings: Annotated[ApiSettings, Depends(get_settings)]) -> MovableClock:
    if not settings.test_mode or not isinstance(platform.clock, MovableClock):
        raise NotInTestMode("the test mode is off on this server")
    return platform.clock


Clock = Annotated[MovableClock, Depends(_clock)]


@router.get("/clock", response_model=ClockOut)
def get_clock(clock: Clock) -> ClockOut:
    """The platform's time."""
    return ClockOut(now=clock.now())


@router.post("/clock", response_model=ClockOut)
def set_clock(body: ClockIn, clock: Clock) -> ClockOut:
    """Move the platform's clock to ``now`` (forward or back)."""
    clock.set(body.now)
    return ClockOut(now=clock.now())
