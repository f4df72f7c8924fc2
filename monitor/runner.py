"""Run one inspection pass against the database: sync the config, fetch through the
page cache, observe and judge, and record the round. ``check``, ``round`` and
``recheck`` all go through here; only what they do with the findings differs.

A round is ``done`` exactly when its consequences are written: ``record`` (the alert
engine's update) runs in the transaction that marks it done, so a kill at any moment
leaves either a finished round with its alerts or a round that is not done. A round
that stops early (SIGTERM through ``stop``, Ctrl-C, a bug) is marked ``abandoned``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.domain import Finding, Inspection
from monitor.fetch import Fetcher
from monitor.held import HeldObservations
from monitor.inspect import HomepageTarget, Progress, Target, inspect, targets_from_config
from monitor.rules import RuleSet
from monitor.stopping import until_stopped
from monitor.store.crawlpages import DbCrawlMemory
from monitor.store.db import Database
from monitor.store.pagecache import DbPageCache
from monitor.store.probes import probe_history
from monitor.store.rounds import abandon_round, consecutive_failures, finish_round, start_round
from monitor.store.sync import sync_config

log = logging.getLogger(__name__)

Record = Callable[[Session, int, Inspection], None]


def run_inspection(config: Config, rules: RuleSet, database: Database, now: datetime, *,
                   kind: str, ids: Sequence[str] = (), targets: Sequence[Target] | None = None,
                   progress: Progress | None = None, stop: threading.Event | None = None,
                   record: Record | None = None) -> tuple[int, Inspection]:
    """Inspect ``targets`` (default: those named by ``ids``, or all) and store the round."""
    chosen = list(targets) if targets is not None else targets_from_config(config, ids)
    began = time.monotonic()

    def finished() -> datetime:      # ``now`` is when the round started; it ends that much later
        return now + timedelta(seconds=time.monotonic() - began)

    with database.session() as session:
        sync_config(session, config)
        round_id = start_round(session, kind, now)
    with HeldObservations(chosen) as held:
        try:
            work = _inspect(config, rules, database, now, chosen, held, progress)
            inspection = asyncio.run(until_stopped(work, stop))
        except BaseException:
            _abandon(database, round_id, finished())
            raise
        with database.session() as session:
            streaks = {e.target.key: consecutive_failures(session, *e.target.key) + 1 for e in inspection.errors}
            inspection.findings.add(rules.evaluate_errors(inspection.errors, streaks, config.office_unit))
            inspection.findings.add(availability_findings(session, rules, chosen, now))
            finish_round(session, round_id, inspection, held, now, finished_at=finished())
            if record is not None:
                record(session, round_id, inspection)
    return round_id, inspection


def availability_findings(session: Session, rules: RuleSet, targets: Sequence[Target],
                          now: datetime) -> list[Finding]:
    """site.unreachable for the sites among ``targets``, judged from their stored probes.

    Judged whether or not the homepage could be read this round: availability is its own
    measure, taken by the daemon's probes.
    """
    window = rules.probe_window()
    if window is None:
        return []
    findings: list[Finding] = []
    for target in targets:
        if isinstance(target, HomepageTarget):
            probes = probe_history(session, target.site.id, now - window, now)
            findings += rules.evaluate_probes(target.ref, target.unit, probes, now)
    return findings


def _abandon(database: Database, round_id: int, now: datetime) -> None:
    """Best effort: the round stopped early; if the database is gone, the next start abandons it."""
    try:
        with database.session() as session:
            abandon_round(session, round_id, now)
    except SQLAlchemyError as exc:
        log.warning("could not mark round abandoned round_id=%s error=%s", round_id, type(exc).__name__)


async def _inspect(config: Config, rules: RuleSet, database: Database, now: datetime, targets: list[Target],
                   held: HeldObservations, progress: Progress | None) -> Inspection:
    async with Fetcher(config.crawl, cache=DbPageCache(database), clock=lambda: now) as fetcher:
        return await inspect(targets, fetcher, rules, now, config, held, progress, DbCrawlMemory(database))
