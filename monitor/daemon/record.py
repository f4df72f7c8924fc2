"""The daemon's own row in ``daemon_runs``: who runs, its heartbeat, its jobs, how it ended.

Written only by the instance holding the single-instance lock; read by ``monitor status``
and by a second ``monitor run`` to name the running one. Times are wall-clock (UTC):
liveness is about the real process, whatever ``--now`` says.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitor.store.tables import DaemonRunRow

log = logging.getLogger(__name__)

HEARTBEAT = timedelta(seconds=30)
STALE_AFTER = 3 * HEARTBEAT          # no heartbeat for this long: the daemon is not answering
CRASHED = "未正常退出（进程被终止或崩溃）"


def register(session: Session, *, host: str, pid: int, version: str, now: datetime,
             jobs: dict[str, Any]) -> int:
    """Close the rows of daemons that died without saying so, then record this one."""
    orphans = session.execute(
        update(DaemonRunRow).where(DaemonRunRow.stopped_at.is_(None))
        .values(stopped_at=DaemonRunRow.heartbeat_at, stop_reason=CRASHED),
        execution_options={"synchronize_session": False})
    if getattr(orphans, "rowcount", 0):
        log.warning("previous daemon did not stop cleanly")
    row = DaemonRunRow(host=host, pid=pid, version=version, started_at=now, heartbeat_at=now, jobs=jobs)
    session.add(row)
    session.flush()
    return row.id


def beat(session: Session, run_id: int, now: datetime, jobs: dict[str, Any]) -> None:
    session.execute(update(DaemonRunRow).where(DaemonRunRow.id == run_id).values(heartbeat_at=now, jobs=jobs),
                    execution_options={"synchronize_session": False})


def finish(session: Session, run_id: int, now: datetime, reason: str, jobs: dict[str, Any]) -> None:
    session.execute(update(DaemonRunRow).where(DaemonRunRow.id == run_id)
                    .values(heartbeat_at=now, stopped_at=now, stop_reason=reason, jobs=jobs),
                    execution_options={"synchronize_session": False})


def latest(session: Session) -> DaemonRunRow | None:
    return session.scalars(select(DaemonRunRow).order_by(DaemonRunRow.id.desc()).limit(1)).first()


def is_alive(row: DaemonRunRow | None, now: datetime) -> bool:
    return row is not None and row.stopped_at is None and now - row.heartbeat_at <= STALE_AFTER
