"""``monitor run``: the jobs of ``monitor.daemon.jobs`` on an APScheduler 3.x ``BlockingScheduler``.

    lock ─ upgrade ─ record this run ─ abandon half-done rounds ─ plan catch-ups ─ scheduler
    SIGTERM/SIGINT ─ stop flag ─ jobs stop at a clean point ─ scheduler down ─ record ─ unlock

Domain state lives in the database, never in the scheduler: jobs are added afresh from the
config at each start (memory job store, ``coalesce``, ``max_instances=1``, a misfire grace of
one period), and what a start owes to the time the daemon was down is decided by each
job's ``first_run`` from the database. A supervisor thread beats the heartbeat, checks that
the single-instance lock is still held, and shuts the scheduler down when asked to stop.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Iterable, Sequence
from contextlib import suppress
from datetime import datetime, timedelta
from importlib.metadata import version
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_SCHEDULER_START, SchedulerEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from monitor.clock import Clock, system_clock
from monitor.config import Config
from monitor.daemon import record
from monitor.daemon.board import JobBoard
from monitor.daemon.jobs import JOBS, Job, JobContext, JobResult
from monitor.daemon.lock import InstanceLock, instance_lock
from monitor.errors import AlreadyRunning, Interrupted, MonitorError
from monitor.rules import RuleSet
from monitor.schedule import Interval, Schedule, parse_schedule, retry_delay
from monitor.store.db import Database
from monitor.store.rounds import abandon_stale_rounds
from monitor.store.sync import sync_config

log = logging.getLogger(__name__)

STOP_LOG_EVERY_S = 5.0
LOST_LOCK = "单实例锁丢失，另一个守护进程已接管"


def serve(config: Config, rules: RuleSet, database: Database, *, clock: Clock = system_clock) -> int:
    """Take the single-instance lock, bring the schema to head, and run until stopped; the exit code."""
    lock = instance_lock(database)
    if not lock.acquire():
        raise AlreadyRunning(holder_message(database, config.monitor.tz))
    try:
        database.upgrade()
        return Daemon(config, rules, database, lock, clock=clock).run()
    finally:
        lock.release()


def holder_message(database: Database, tz: ZoneInfo) -> str:
    """The refusal a second ``monitor run`` prints, naming the running one."""
    head = "守护进程已在运行，同一数据库只能运行一个 monitor run"
    try:
        with database.session() as session:
            row = record.latest(session)
    except SQLAlchemyError:
        row = None
    if row is None or row.stopped_at is not None:
        return f"{head}（另一进程持有锁，尚未登记，可能正在启动）。查看: monitor status"

    def when(value: datetime) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")

    return (f"{head}：主机 {row.host}，进程 {row.pid}，自 {when(row.started_at)} 起运行"
            f"（最近心跳 {when(row.heartbeat_at)}）。查看: monitor status；停止: kill {row.pid} 或 systemctl stop")


def trigger_for(schedule: Schedule, tz: ZoneInfo) -> BaseTrigger:
    if isinstance(schedule, Interval):
        return IntervalTrigger(seconds=schedule.seconds, timezone=tz)
    return CronTrigger(day_of_week=",".join(schedule.days), hour=schedule.hour, minute=schedule.minute,
                       timezone=tz)


class Daemon:
    """One life of the daemon. ``clock`` gives the domain's ``now`` (``--now`` shifts it); ``wall``
    is the real clock, for the heartbeat and the scheduler."""

    def __init__(self, config: Config, rules: RuleSet, database: Database, lock: InstanceLock, *,
                 jobs: Sequence[Job] = JOBS, clock: Clock = system_clock, wall: Clock = system_clock,
                 heartbeat: timedelta = record.HEARTBEAT) -> None:
        self.config, self.rules, self.database, self.lock = config, rules, database, lock
        self.jobs = {job.name: job for job in jobs}
        self.schedules = {job.name: parse_schedule(job.schedule_text(config)) for job in jobs}
        self.clock, self.wall, self.heartbeat = clock, wall, heartbeat
        self.tz = config.monitor.tz
        self.stop = threading.Event()
        self.stop_reason = ""
        self.exit_code = 0
        self.board = JobBoard({job.name: job.schedule_text(config) for job in jobs}, self.tz)
        self.scheduler = BlockingScheduler(timezone=self.tz,
                                           executors={"default": ThreadPoolExecutor(len(self.jobs) + 1)})
        self.run_id = 0
        self.next_runs: dict[str, datetime | None] = {}    # as last seen while the scheduler ran

    # -- life -------------------------------------------------------------------------

    def run(self) -> int:
        self._start()
        handlers = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.scheduler.add_listener(self._on_scheduler_start, EVENT_SCHEDULER_START)
        try:
            self.scheduler.start()
            self._wait_for_jobs()
        finally:
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
            self._finish()
        return self.exit_code

    def _start(self) -> None:
        """Record this run, abandon rounds a killed predecessor left half-done, add the jobs."""
        now = self.clock()
        with self.database.session() as session:
            previous = record.latest(session)
            self.board.carry_over(previous.jobs if previous is not None else {})
            self.run_id = record.register(session, host=socket.gethostname(), pid=os.getpid(),
                                          version=version("zwgk-monitor"), now=self.wall(),
                                          jobs=self.board.snapshot({}))
            sync_config(session, self.config)
            abandon_stale_rounds(session, now, started_before=now)
            plan = {name: job.first_run(session, self.schedules[name], now, self.tz)
                    for name, job in self.jobs.items() if job.first_run is not None}
        for name, job in self.jobs.items():
            schedule = self.schedules[name]
            first = plan.get(name)
            options = {} if first is None else {"next_run_time": self._wall_at(first, now)}
            self.scheduler.add_job(self._run_job, trigger_for(schedule, self.tz), args=(job,), id=name, name=name,
                                   coalesce=True, max_instances=1,
                                   misfire_grace_time=int(schedule.period.total_seconds()), **options)
        log.info("daemon started", extra={"pid": os.getpid(), "database": self.database.url,
                                          "jobs": ",".join(self.jobs), "catch_up": ",".join(
                                              n for n, f in plan.items() if f is not None and f <= now) or None})

    def _wall_at(self, instant: datetime, now: datetime) -> datetime:
        """A domain-clock instant as a wall-clock one (they differ by ``--now``'s shift)."""
        return self.wall().astimezone(self.tz) + max(instant - now, timedelta(0))

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # Only flags here: the supervisor thread does the logging and the shutting down.
        if self.stop.is_set():
            os._exit(128 + signum)           # a second signal: stop now; the next start cleans up
        self.stop_reason = signal.Signals(signum).name
        self.stop.set()

    def _on_scheduler_start(self, _event: SchedulerEvent) -> None:
        threading.Thread(target=self._supervise, name="supervisor", daemon=True).start()

    def _supervise(self) -> None:
        """Heartbeat and lock check until asked to stop; then shut the scheduler down."""
        while not self.stop.wait(self.heartbeat.total_seconds()):
            if not self._keep_lock():
                break
            self._save()
        log.info("daemon stopping", extra={"reason": self.stop_reason, "running": ",".join(self.board.running())
                                           or None})
        with suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=False)

    def _keep_lock(self) -> bool:
        if self.lock.held():
            return True
        if self.lock.acquire():
            log.warning("single-instance lock taken again after losing it")
            return True
        log.error("single-instance lock lost to another daemon; stopping")
        self.stop_reason, self.exit_code = LOST_LOCK, 1
        self.stop.set()
        return False

    def _wait_for_jobs(self) -> None:
        while not self.board.wait_idle(STOP_LOG_EVERY_S):
            log.info("waiting for jobs to stop", extra={"running": ",".join(self.board.running())})

    def _finish(self) -> None:
        try:
            with self.database.session() as session:
                record.finish(session, self.run_id, self.wall(), self.stop_reason or "stopped",
                              self.board.snapshot(self.next_runs))
        except SQLAlchemyError as exc:
            log.warning("could not record the daemon's stop", extra={"error": type(exc).__name__})
        log.info("daemon stopped", extra={"reason": self.stop_reason or None})

    def _save(self) -> None:
        """Heartbeat plus the job board, in one short write; a database hiccup only skips a beat."""
        if self.scheduler.running:
            self.next_runs = {job.id: job.next_run_time for job in self.scheduler.get_jobs()}
        try:
            with self.database.session() as session:
                record.beat(session, self.run_id, self.wall(), self.board.snapshot(self.next_runs))
        except SQLAlchemyError as exc:
            log.warning("could not record heartbeat", extra={"error": type(exc).__name__})

    # -- one job run --------------------------------------------------------------------

    def _run_job(self, job: Job) -> None:
        if self.stop.is_set():
            return
        now = self.clock()
        self.board.started(job.name, self.wall())
        self._save()
        began = time.monotonic()
        status, error, result = self._execute(job, now)
        seconds = round(time.monotonic() - began, 1)
        level = logging.WARNING if status == "failed" else logging.INFO
        log.log(level, "job finished", extra={"job": job.name, "status": status, "seconds": seconds,
                                              **result.fields, "error": error})
        failures = self.board.finished(job.name, self.wall(), {"status": status, "seconds": seconds,
                                                               "error": error, **result.fields})
        if status == "failed":
            self._retry(job, failures)
        elif result.notices:
            self._run_now(name for name, other in self.jobs.items() if other.after_notices)
        self._save()

    def _execute(self, job: Job, now: datetime) -> tuple[str, str | None, JobResult]:
        context = JobContext(self.config, self.rules, self.database, now, self.stop)
        try:
            return "ok", None, job.run(context)
        except Interrupted:
            return "interrupted", None, JobResult()
        except MonitorError as exc:
            return "failed", str(exc), JobResult()
        except SQLAlchemyError as exc:
            return "failed", f"数据库错误: {type(exc).__name__}", JobResult()
        except Exception as exc:  # a bug must not kill the daemon: log it with its traceback, retry later
            log.exception("job crashed", extra={"job": job.name})
            return "failed", f"内部错误: {type(exc).__name__}: {exc}", JobResult()

    def _retry(self, job: Job, failures: int) -> None:
        """Try a failed job again sooner than its next slot (doubling delays, never above its period)."""
        when = self.wall().astimezone(self.tz) + retry_delay(self.schedules[job.name], failures)
        scheduled = self.scheduler.get_job(job.name)
        if self.stop.is_set() or scheduled is None or scheduled.next_run_time is None:
            return
        if when < scheduled.next_run_time:
            self.scheduler.modify_job(job.name, next_run_time=when)
            log.info("job retry planned", extra={"job": job.name, "at": when.isoformat(timespec="seconds"),
                                                 "failures": failures})

    def _run_now(self, names: Iterable[str]) -> None:
        for name in names:
            if not self.stop.is_set():
                self.scheduler.modify_job(name, next_run_time=self.wall().astimezone(self.tz))
