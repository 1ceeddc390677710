"""Periodic jobs: notice closing, expiry and whatever plugins register (``register_jobs``).

The server runs them on a schedule (:class:`Scheduler`, a background thread); ``jifen jobs run``
runs them once, by hand or from cron. Every job is idempotent, so the two may overlap.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pluggy

from jifen.errors import PluginError

if TYPE_CHECKING:
    from jifen.platform import Platform

log = logging.getLogger(__name__)

JobFunction = Callable[["Platform", uuid.UUID], Any]
"""One run of a job for one tenant."""


@dataclass(frozen=True)
class Job:
    """A periodic job: its unique name, seconds between runs, and its function."""

    name: str
    interval: float
    run: JobFunction
    plugin: str = ""


def collect_jobs(pm: pluggy.PluginManager) -> list[Job]:
    """Every job the plugins register, in registration order; a name twice is an error."""
    jobs: dict[str, Job] = {}
    for impl in pm.hook.register_jobs.get_hookimpls():
        name = pm.get_name(impl.plugin) or repr(impl.plugin)

        def register(job: str, interval: float, function: JobFunction, _plugin: str = name) -> None:
            if job in jobs:
                raise PluginError(f"job {job!r} registered by {jobs[job].plugin} and {_plugin}",
                                  job=job)
            if interval <= 0:
                raise PluginError(f"job {job!r} of {_plugin}: the interval must be positive")
            jobs[job] = Job(job, float(interval), function, _plugin)

        impl.function(register=register)
    return list(jobs.values())


def run_once(platform: Platform, jobs: Sequence[Job],
             tenant_ids: Sequence[uuid.UUID] | None = None) -> dict[str, int]:
    """Run each job for each tenant (default: every tenant); return failures per job."""
    tenants = list(tenant_ids) if tenant_ids is not None else [t.id for t in platform.tenants()]
    failures: dict[str, int] = {}
    for job in jobs:
        failures[job.name] = sum(not _run(platform, job, tenant) for tenant in tenants)
    return failures


def _run(platform: Platform, job: Job, tenant_id: uuid.UUID) -> bool:
    try:
        job.run(platform, tenant_id)
        return True
    except Exception:  # one tenant's failure must not stop the others
        log.exception("job %s failed for tenant %s", job.name, tenant_id)
        return False


class Scheduler:
    """Runs every job on its interval in a daemon thread, until :meth:`stop`."""

    def __init__(self, platform: Platform, jobs: Sequence[Job], *, tick: float = 1.0) -> None:
        self.platform, self.jobs, self.tick = platform, list(jobs), tick
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.runs: dict[str, int] = {job.name: 0 for job in self.jobs}

    def start(self) -> None:
        """Start the thread; each job first runs at once, then every ``interval`` seconds."""
        self._thread = threading.Thread(target=self._loop, name="jifen-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the thread to stop and wait for the job running now to finish."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _loop(self) -> None:
        due = {job.name: 0.0 for job in self.jobs}
        while not self._stop.is_set():
            for job in self.jobs:
                if self._stop.is_set() or time.monotonic() < due[job.name]:
                    continue
                run_once(self.platform, [job])
                self.runs[job.name] += 1
                due[job.name] = time.monotonic() + job.interval
            self._stop.wait(self.tick)
