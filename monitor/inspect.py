"""Inspect targets: fetch and read each one, turn what was seen into an ``Observation``.

One target abstraction serves columns, site homepages and (later) accounts and
pages: ``Target.observe(ctx)`` returns its Observations (one for a column; one per
page, link or document for targets that cover many) or raises our own error.
A failure is stored on that target as an ``InspectionError`` and never stops
the pass (urlwatch's JobState habit); rules then judge the observations.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from monitor.clock import local_date
from monitor.config import Column, Config, Site
from monitor.crawl.memory import CrawlMemory
from monitor.crawl.targets import SiteCrawlTarget, crawl_target_for
from monitor.domain import Inspection, InspectionError, Item, Observation, Observed, PageView, TargetRef
from monitor.errors import ExtractError, FetchError, UsageError
from monitor.extract import read_published, view_page
from monitor.fetch import Fetcher, Response
from monitor.rules import RuleSet

log = logging.getLogger(__name__)

# How many undated list items to open for their publication date (DESIGN §7).
UNDATED_ITEMS_TO_OPEN = 3


@dataclass(frozen=True)
class InspectContext:
    """What a target may use: the fetcher, the date, the rules (content checks) and the crawl's memory."""

    fetcher: Fetcher
    today: date
    rules: RuleSet | None = None
    memory: CrawlMemory | None = None
    now: datetime | None = None


class Target(Protocol):
    ref: TargetRef
    unit: str

    async def observe(self, ctx: InspectContext) -> list[Observation]: ...


async def read_view(ctx: InspectContext, url: str, *, item_selector: str | None = None,
                    date_selector: str | None = None) -> tuple[Response, PageView]:
    """Fetch an HTML page and read it the way ``monitor probe`` shows it."""
    response = await ctx.fetcher.get(url, accept=("html",))
    view = view_page(response.url, response.status, response.encoding, response.text, ctx.today,
                     item_selector=item_selector, date_selector=date_selector)
    return response, view


async def date_undated_items(ctx: InspectContext, items: list[Item], base_url: str) -> list[Item]:
    """Open the first few undated items on the same host and take their publication dates."""
    if any(i.date for i in items):
        return items
    host = urlsplit(base_url).netloc
    chosen = [i for i in items if urlsplit(i.url).netloc == host][:UNDATED_ITEMS_TO_OPEN]

    async def dated(item: Item) -> Item:
        try:
            response = await ctx.fetcher.get(item.url, accept=("html",))
        except FetchError as exc:
            log.info("undated item not readable url=%s error=%s", item.url, exc.reason)
            return item
        return replace(item, date=read_published(response.text, response.url, ctx.today))

    opened = await asyncio.gather(*(dated(i) for i in chosen))
    by_url = {i.url: i for i in opened}
    return [by_url.get(i.url, i) for i in items]


@dataclass(frozen=True)
class ColumnTarget:
    column: Column

    @property
    def ref(self) -> TargetRef:
        return TargetRef("column", self.column.id, self.column.name, self.column.url)

    @property
    def unit(self) -> str:
        return self.column.unit

    async def observe(self, ctx: InspectContext) -> list[Observation]:
        return [await self._observe(ctx)]

    async def _observe(self, ctx: InspectContext) -> Observation:
        col = self.column
        response, view = await read_view(ctx, col.url, item_selector=col.item_selector,
                                         date_selector=col.date_selector)
        facts = {"category": col.category, "page_url": response.url, "encoding": response.encoding,
                 "not_modified": response.not_modified}
        if view.blank:
            return Observation(self.ref, self.unit, [], blank=True, facts=facts)
        if col.category == "static":           # 机构概况 etc.: never stale, only must not be blank
            return Observation(self.ref, self.unit, view.items, facts=facts)
        if not view.items:
            raise ExtractError("列表页上没有识别出任何条目（用 monitor probe 查看页面，必要时配置 item_selector）")
        items = await date_undated_items(ctx, view.items, response.url)
        if not any(i.date for i in items):
            raise ExtractError(f"列表有 {len(items)} 条信息，但识别不出任何日期（必要时配置 date_selector）")
        return Observation(self.ref, self.unit, items, facts=facts)


@dataclass(frozen=True)
class HomepageTarget:
    """A site judged by the dated items its homepage links to (homepage.stale)."""

    site: Site

    @property
    def ref(self) -> TargetRef:
        return TargetRef("site", self.site.id, self.site.name, self.site.url)

    @property
    def unit(self) -> str:
        return self.site.unit

    async def observe(self, ctx: InspectContext) -> list[Observation]:
        response, view = await read_view(ctx, self.site.url)
        items = await date_undated_items(ctx, view.items, response.url)
        if not any(i.date for i in items):
            raise ExtractError("首页上没有识别出带日期的信息，无法判断首页更新情况")
        return [Observation(self.ref, self.unit, items, facts={"page_url": response.url})]


def all_targets(config: Config) -> list[Target]:
    crawls = [SiteCrawlTarget(s) for s in config.sites] if config.crawl.enabled else []
    return [*(HomepageTarget(s) for s in config.sites), *(ColumnTarget(c) for c in config.columns), *crawls]


def target_for(config: Config, ref: TargetRef, evidence: dict[str, Any] | None = None) -> Target | None:
    """The target an alert is about, or None when it has left the configuration.

    Links and pages found by a crawl are rebuilt from the alert's ``evidence`` (which site,
    which pages link it), so that their recheck fetches only that URL.
    """
    if ref.kind in ("link", "page"):
        return crawl_target_for(config, ref, evidence)
    return next((t for t in all_targets(config) if t.ref.key == ref.key), None)


def targets_from_config(config: Config, ids: Sequence[str] = ()) -> list[Target]:
    """All configured targets, or those whose id is in ``ids`` (a site id: its homepage and its crawl)."""
    everything = all_targets(config)
    if not ids:
        return everything
    known = dict.fromkeys(t.ref.id for t in everything)
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise UsageError(f"未知的目标 id: {', '.join(unknown)}（可用: {', '.join(known)}）")
    return [t for i in ids for t in everything if t.ref.id == i]


Progress = Callable[[int, int, TargetRef, str | None], None]


def _record(inspection: Inspection, target: Target, seen: list[Observation]) -> None:
    """Mark what a target's observations vouch for; a crawl also brings its coverage and its errors."""
    if isinstance(seen, Observed):
        inspection.errors.extend(seen.errors)
        inspection.stats.links_checked += seen.links_checked
        if seen.covers is not None:
            inspection.covered.append(seen.covers)
        if seen.claims_target:
            inspection.inspected.add(target.ref.key)
    else:
        inspection.inspected.add(target.ref.key)
    inspection.inspected.update(o.target.key for o in seen)


async def inspect(targets: Iterable[Target], fetcher: Fetcher, rules: RuleSet, now: datetime,
                  config: Config, progress: Progress | None = None,
                  memory: CrawlMemory | None = None) -> tuple[Inspection, list[Observation]]:
    """Observe every target concurrently, then judge the observations with the rules."""
    targets = list(targets)
    today = local_date(now, config.monitor.tz)
    ctx = InspectContext(fetcher, today, rules, memory, now)
    started = time.monotonic()
    inspection = Inspection(now=now)
    observations: list[Observation] = []
    done = 0

    async def run(target: Target) -> None:
        nonlocal done
        error: str | None = None
        try:
            seen = await target.observe(ctx)
            observations.extend(seen)
            _record(inspection, target, seen)
        except (FetchError, ExtractError) as exc:
            error = str(exc)
        except Exception as exc:  # a hostile page must not crash the round: record it on the target
            log.exception("unexpected error inspecting %s %s", target.ref.kind, target.ref.id)
            error = f"内部错误: {type(exc).__name__}: {exc}"
        if error is not None:
            inspection.errors.append(InspectionError(target.ref, target.unit, error))
        done += 1
        if progress:
            progress(done, len(targets), target.ref, error)

    await asyncio.gather(*(run(t) for t in targets))
    inspection.findings = rules.evaluate(observations, today)
    inspection.stats.pages = fetcher.pages_fetched
    inspection.stats.seconds = time.monotonic() - started
    order = {t.ref.key: i for i, t in enumerate(targets)}
    inspection.errors.sort(key=lambda e: order.get(e.target.key, len(order)))
    observations.sort(key=lambda o: order.get(o.target.key, len(order)))
    return inspection, observations
