"""What each job is doing and did last, kept in memory and copied to ``daemon_runs.jobs``.

Job threads and the heartbeat read and write it at once, so every access takes the lock;
``wait_idle`` lets a stopping daemon wait for the jobs in progress to reach a clean point.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo


class JobBoard:
    def __init__(self, schedules: Mapping[str, str], tz: ZoneInfo) -> None:
        self._tz = tz
        self._changed = threading.Condition()
        self._jobs: dict[str, dict[str, Any]] = {
            name: {"schedule": text, "running_since": None, "last": None, "failures": 0}
            for name, text in schedules.items()}

    def carry_over(self, previous: Mapping[str, Any]) -> None:
        """Keep the last outcome of each job from the previous run, so a restart hides nothing."""
        with self._changed:
            for name, job in self._jobs.items():
                if isinstance(previous.get(name), dict):
                    job["last"] = previous[name].get("last")

    def _iso(self, value: datetime | None) -> str | None:
        return value.astimezone(self._tz).isoformat(timespec="seconds") if value else None

    def started(self, name: str, at: datetime) -> None:
        with self._changed:
            self._jobs[name]["running_since"] = self._iso(at)

    def finished(self, name: str, at: datetime, outcome: dict[str, Any]) -> int:
        """Record the outcome; return how many times in a row the job has now failed."""
        with self._changed:
            job = self._jobs[name]
            job["last"] = {"started_at": job["running_since"], "finished_at": self._iso(at), **outcome}
            job["running_since"] = None
            job["failures"] = job["failures"] + 1 if outcome.get("status") == "failed" else 0
            self._changed.notify_all()
            return int(job["failures"])

    def running(self) -> list[str]:
        with self._changed:
            return [name for name, job in self._jobs.items() if job["running_since"]]

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no job is running (True) or ``timeout`` seconds pass (False)."""
        with self._changed:
            return self._changed.wait_for(lambda: not any(j["running_since"] for j in self._jobs.values()),
                                          timeout)

    def snapshot(self, next_runs: Mapping[str, datetime | None]) -> dict[str, Any]:
        with self._changed:
            return {name: {**job, "last": dict(job["last"]) if job["last"] else None,
                           "next_run": self._iso(next_runs.get(name))}
                    for name, job in self._jobs.items()}
