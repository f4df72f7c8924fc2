"""Run one inspection pass against the database: sync the config, fetch through the
page cache, observe and judge, and record the round. ``check``, ``round`` and
``recheck`` all go through here; only what they do with the findings differs."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime

from monitor.config import Config
from monitor.domain import Inspection, Observation
from monitor.fetch import Fetcher
from monitor.inspect import Progress, Target, inspect, targets_from_config
from monitor.rules import RuleSet
from monitor.store.crawlpages import DbCrawlMemory
from monitor.store.db import Database
from monitor.store.pagecache import DbPageCache
from monitor.store.rounds import consecutive_failures, finish_round, start_round
from monitor.store.sync import sync_config


def run_inspection(config: Config, rules: RuleSet, database: Database, now: datetime, *,
                   kind: str, ids: Sequence[str] = (), targets: Sequence[Target] | None = None,
                   progress: Progress | None = None) -> tuple[int, Inspection, list[Observation]]:
    """Inspect ``targets`` (default: those named by ``ids``, or all) and store the round."""
    chosen = list(targets) if targets is not None else targets_from_config(config, ids)
    with database.session() as session:
        sync_config(session, config)
        round_id = start_round(session, kind, now)
    inspection, observations = asyncio.run(_inspect(config, rules, database, now, chosen, progress))
    with database.session() as session:
        streaks = {e.target.key: consecutive_failures(session, *e.target.key) + 1 for e in inspection.errors}
        inspection.findings += rules.evaluate_errors(inspection.errors, streaks, config.office_unit)
        finish_round(session, round_id, inspection, observations, now)
    return round_id, inspection, observations


async def _inspect(config: Config, rules: RuleSet, database: Database, now: datetime,
                   targets: list[Target], progress: Progress | None) -> tuple[Inspection, list[Observation]]:
    async with Fetcher(config.crawl, cache=DbPageCache(database), clock=lambda: now) as fetcher:
        return await inspect(targets, fetcher, rules, now, config, progress, DbCrawlMemory(database))
