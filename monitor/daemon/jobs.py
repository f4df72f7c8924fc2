"""What the daemon does, as a short declarative list: name (its ``[schedule]`` key), title, work.

Each job is a plain function of a ``JobContext`` (config, rules, database, the instant it
runs, the stop flag) returning a ``JobResult`` (key=value facts for its log line and for
``monitor status``). ``first_run`` says what a start owes to the time the daemon was down:
it decides from the database and an injected ``now`` (see ``monitor.schedule.first_run``).
``after_notices`` marks a job that also runs right after any job whose alert changes call
for notices (the outbox drain).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.alerts.service import Outcome, Selection, run_recheck, run_round
from monitor.config import Config
from monitor.notify.digest import last_digest, queue_digest
from monitor.notify.notices import notice_hook
from monitor.notify.outbox import flush
from monitor.probes import run_probes
from monitor.rules import RuleSet
from monitor.schedule import Schedule, first_run
from monitor.store.db import Database
from monitor.store.probes import last_probe_at
from monitor.store.tables import RoundRow

DAEMON_OWNER = "daemon"          # lease owner: one daemon per database, so a restarted one reclaims its leases
FULL_ROUNDS = ("weekly", "manual")


@dataclass(frozen=True)
class JobContext:
    config: Config
    rules: RuleSet
    database: Database
    now: datetime
    stop: threading.Event


@dataclass
class JobResult:
    fields: dict[str, Any] = field(default_factory=dict)
    notices: int = 0                 # alert changes that call for a notice to a unit


FirstRun = Callable[[Session, Schedule, datetime, ZoneInfo], datetime | None]


@dataclass(frozen=True)
class Job:
    name: str                                     # also its key in [schedule]
    title: str                                    # for people (monitor status)
    run: Callable[[JobContext], JobResult]
    first_run: FirstRun | None = None             # None: simply the schedule's next slot
    after_notices: bool = False

    def schedule_text(self, config: Config) -> str:
        return str(getattr(config.schedule, self.name))


def round_job(ctx: JobContext) -> JobResult:
    """The weekly round (一周一监测)."""
    return outcome_result(run_round(ctx.config, ctx.rules, ctx.database, ctx.now, kind="weekly", stop=ctx.stop,
                                    after_apply=notice_hook(ctx.config)))


def recheck_job(ctx: JobContext) -> JobResult:
    """Recheck every alert whose ``recheck_due`` has come (``monitor recheck --due``)."""
    return outcome_result(run_recheck(ctx.config, ctx.rules, ctx.database, ctx.now, Selection(due=True),
                                      owner=DAEMON_OWNER, stop=ctx.stop,
                                      after_apply=notice_hook(ctx.config, how="复查")))


def probe_job(ctx: JobContext) -> JobResult:
    """Probe each site's homepage once (site.unreachable's measure)."""
    results = run_probes(ctx.config, ctx.database, ctx.now, ctx.stop)
    failed = [r.site_id for r in results if not r.probe.ok]
    return JobResult({"sites": len(results), "failed": len(failed), "failed_sites": ",".join(failed) or None})


def digest_job(ctx: JobContext) -> JobResult:
    """The weekly digest (一周一通报) into the outbox; queued once per day whatever happens."""
    with ctx.database.session() as session:
        _, queued = queue_digest(session, ctx.config, ctx.now)
    count = sum(1 for q in queued if q)
    return JobResult({"queued": count}, notices=count)


def outbox_job(ctx: JobContext) -> JobResult:
    """Send what is due in the outbox (also run right after any job that queued messages)."""
    report = flush(ctx.config, ctx.database, ctx.now).to_json()
    return JobResult({key: value for key, value in report.items() if key != "errors"})


def outcome_result(outcome: Outcome) -> JobResult:
    notices = sum(1 for a in outcome.applied if a.change.notice)
    fields: dict[str, Any] = {"round_id": outcome.round_id, "changes": len(outcome.applied), "notices": notices}
    if outcome.inspection is not None:
        fields |= {"pages": outcome.inspection.stats.pages, "findings": len(outcome.inspection.findings),
                   "errors": len(outcome.inspection.errors)}
    if outcome.skipped:
        fields["skipped"] = len(outcome.skipped)
    return JobResult(fields, notices)


def last_full_round(session: Session) -> datetime | None:
    """When the latest completed full round started (an abandoned one does not count)."""
    return session.scalar(select(func.max(RoundRow.started_at))
                          .where(RoundRow.kind.in_(FULL_ROUNDS), RoundRow.status == "done"))


def after_last(last_done: Callable[[Session], datetime | None]) -> FirstRun:
    """Catch up once if the daemon missed a run while down; keep an interval's rhythm otherwise."""
    def decide(session: Session, schedule: Schedule, now: datetime, tz: ZoneInfo) -> datetime | None:
        return first_run(schedule, last_done(session), now, tz)
    return decide


def at_start(session: Session, schedule: Schedule, now: datetime, tz: ZoneInfo) -> datetime:
    """Run as soon as the daemon starts (cheap work that may have fallen due while it was down)."""
    return now


JOBS: tuple[Job, ...] = (
    Job("round", "每周巡检", round_job, first_run=after_last(last_full_round)),
    Job("recheck", "到期复查", recheck_job, first_run=at_start),
    Job("probe", "首页探测", probe_job, first_run=after_last(last_probe_at)),
    Job("digest", "周报", digest_job, first_run=after_last(last_digest)),
    Job("outbox", "发送消息", outbox_job, first_run=at_start, after_notices=True),
)
