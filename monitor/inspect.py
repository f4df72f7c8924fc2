"""Inspect targets: fetch and read each one, turn what was seen into an ``Observation``.

One target abstraction serves columns, site homepages, new-media accounts and (later)
pages: ``Target.observe(ctx)`` returns its Observations (one for a column; one per
page, link or document for targets that cover many) or raises our own error.
A failure is stored on that target as an ``InspectionError`` and never stops
the pass (urlwatch's JobState habit); rules then judge the observations.
A target may also expose ``facts`` — what its configuration says about it (an
account's platform) — which its observations and its errors both carry.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Protocol
from urllib.parse import urlsplit

from monitor.clock import SHANGHAI, local_date
from monitor.config import PLATFORM_NAMES, Account, Column, Config, Site
from monitor.crawl.memory import CrawlMemory
from monitor.crawl.targets import SiteCrawlTarget, crawl_target_for
from monitor.domain import Inspection, InspectionError, Item, Observation, Observed, PageView, TargetRef
from monitor.errors import ExtractError, FetchError, UsageError
from monitor.extract import read_published, view_page
from monitor.extract.feeds import read_feed
from monitor.fetch import Fetcher, Response
from monitor.held import HeldObservations
from monitor.policy import policy_target_for, policy_targets
from monitor.rules import RuleSet

log = logging.getLogger(__name__)

# How many undated list items to open for their publication date (DESIGN §7).
UNDATED_ITEMS_TO_OPEN = 3


@dataclass(frozen=True)
class InspectContext:
    """What targets share in one pass: the fetcher, the date and instant, the rules (content checks),
    the crawl's memory, and ``errors`` for the failures of one part of a target that covers many
    (one policy document of a site): the rest of it is still observed."""

    fetcher: Fetcher
    today: date
    rules: RuleSet | None = None
    memory: CrawlMemory | None = None
    now: datetime | None = None      # the round's instant; feeds compare entry times with it
    errors: list[InspectionError] = field(default_factory=list)

    @property
    def instant(self) -> datetime:
        """``now``, or the end of ``today`` (Beijing time) when only the date is known."""
        return self.now or datetime.combine(self.today, datetime.max.time(), SHANGHAI)


class Target(Protocol):
    """``observe`` returns its observations, read once, right after it returns: a target that
    covers many documents may return a generator, so each goes to disk as it is concluded."""

    ref: TargetRef
    unit: str

    async def observe(self, ctx: InspectContext) -> Iterable[Observation]: ...


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
        items = await require_dated(ctx, view.items, response.url)
        return Observation(self.ref, self.unit, items, facts=facts)


async def require_dated(ctx: InspectContext, items: list[Item], base_url: str) -> list[Item]:
    """A list's items with dates (undated ones opened); an error when it has none to judge by."""
    if not items:
        raise ExtractError("列表页上没有识别出任何条目（用 monitor probe 查看页面，必要时配置 item_selector）")
    items = await date_undated_items(ctx, items, base_url)
    if not any(i.date for i in items):
        raise ExtractError(f"列表有 {len(items)} 条信息，但识别不出任何日期（必要时配置 date_selector）")
    return items


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


@dataclass(frozen=True)
class AccountTarget:
    """A new-media account (account.stale), read through its feed or, failing one, a list page.

    A feed that is not a feed (a bridge's login page), has no entries, only the bridge's own
    notices, or no dates is an error: the account is neither alive nor dead, only unseen.
    """

    account: Account

    @property
    def ref(self) -> TargetRef:
        return TargetRef("account", self.account.id, self.account.name, self.account.url)

    @property
    def unit(self) -> str:
        return self.account.unit

    @property
    def facts(self) -> dict[str, Any]:
        acc = self.account
        source = {"feed": acc.feed} if acc.feed else {"page": acc.page}
        return {"platform": acc.platform, "platform_name": PLATFORM_NAMES.get(acc.platform, acc.platform), **source}

    async def observe(self, ctx: InspectContext) -> list[Observation]:
        items, facts = await (self._read_feed(ctx) if self.account.feed else self._read_page(ctx))
        return [Observation(self.ref, self.unit, items, facts=self.facts | facts)]

    async def _read_feed(self, ctx: InspectContext) -> tuple[list[Item], dict[str, Any]]:
        response = await ctx.fetcher.get(self.account.url, accept=("feed",))
        feed = read_feed(response.url, response.status, response.encoding, response.text, ctx.instant)
        if feed.blocker:
            raise ExtractError(feed.blocker)
        return feed.view.items, feed.facts() | {"not_modified": response.not_modified}

    async def _read_page(self, ctx: InspectContext) -> tuple[list[Item], dict[str, Any]]:
        acc = self.account
        response, view = await read_view(ctx, acc.url, item_selector=acc.item_selector,
                                         date_selector=acc.date_selector)
        if view.blank:
            raise ExtractError("账号页面显示没有任何内容（暂无信息），无法判断更新情况")
        items = await require_dated(ctx, view.items, response.url)
        undated = sum(1 for i in items if i.date is None)
        return items, {"entries": len(items), "undated": undated, "future": 0, "page_url": response.url}


def all_targets(config: Config) -> list[Target]:
    crawls = [SiteCrawlTarget(s) for s in config.sites] if config.crawl.enabled else []
    return [*(HomepageTarget(s) for s in config.sites), *(ColumnTarget(c) for c in config.columns),
            *(AccountTarget(a) for a in config.accounts), *policy_targets(config), *crawls]


def target_for(config: Config, ref: TargetRef, evidence: dict[str, Any] | None = None) -> Target | None:
    """The target an alert is about, or None when it has left the configuration.

    A policy document (its address as id) gets a target that re-inspects that document alone;
    links and pages found by a crawl are rebuilt from the alert's ``evidence`` (which site,
    which pages link it), so that their recheck fetches only that URL.
    """
    if ref.kind == "policy":
        return policy_target_for(config, ref)
    if ref.kind in ("link", "page"):
        return crawl_target_for(config, ref, evidence)
    return next((t for t in all_targets(config) if t.ref.key == ref.key), None)


def targets_from_config(config: Config, ids: Sequence[str] = ()) -> list[Target]:
    """All configured targets, or those whose id is in ``ids`` (a site id also selects the site's
    policy check; a policy document's address selects that document); unknown ids: UsageError."""
    everything = all_targets(config)
    if not ids:
        return everything
    chosen: list[Target] = []
    unknown: list[str] = []
    for ident in ids:
        found = [t for t in everything if t.ref.id == ident]
        document = policy_target_for(config, TargetRef("policy", ident)) if not found else None
        if document is not None:
            found = [document]
        chosen += found
        if not found:
            unknown.append(ident)
    if unknown:
        known = ", ".join(dict.fromkeys(t.ref.id for t in everything))
        raise UsageError(f"未知的目标 id: {', '.join(unknown)}（可用: {known}，或政策文件的网址）")
    return chosen


Progress = Callable[[int, int, TargetRef, str | None], None]


def _record(inspection: Inspection, target: Target, seen: Iterable[Observation], keys: set[tuple[str, str]]) -> None:
    """Mark what a target's observations (their targets' ``keys``) vouch for; a crawl also brings its
    coverage and its errors."""
    if isinstance(seen, Observed):
        inspection.errors.extend(seen.errors)
        inspection.stats.links_checked += seen.links_checked
        if seen.covers is not None:
            inspection.covered.append(seen.covers)
        if seen.claims_target:
            inspection.inspected.add(target.ref.key)
    else:
        inspection.inspected.add(target.ref.key)
    inspection.inspected.update(keys)


async def inspect(targets: Sequence[Target], fetcher: Fetcher, rules: RuleSet, now: datetime, config: Config,
                  held: HeldObservations, progress: Progress | None = None,
                  memory: CrawlMemory | None = None) -> Inspection:
    """Observe every target concurrently, keeping each one's observations in ``held`` as it finishes,
    then judge them all with the rules."""
    today = local_date(now, config.monitor.tz)
    ctx = InspectContext(fetcher, today, rules, memory, now)
    started = time.monotonic()
    inspection = Inspection(now=now)
    done = 0

    async def run(target: Target) -> None:
        nonlocal done
        error: str | None = None
        try:
            seen = await target.observe(ctx)
            _record(inspection, target, seen, held.add(seen))
        except (FetchError, ExtractError) as exc:
            error = str(exc)
        except Exception as exc:  # a hostile page must not crash the round: record it on the target
            log.exception("unexpected error inspecting %s %s", target.ref.kind, target.ref.id)
            error = f"内部错误: {type(exc).__name__}: {exc}"
        if error is not None:
            facts = dict(getattr(target, "facts", {}))
            inspection.errors.append(InspectionError(target.ref, target.unit, error, facts))
        done += 1
        if progress:
            progress(done, len(targets), target.ref, error)

    await asyncio.gather(*(run(t) for t in targets))
    inspection.errors += ctx.errors
    inspection.errors.sort(key=lambda e: held.rank(e.target.key))   # config order: same input, same output
    inspection.findings.add(rules.evaluate(held, today))
    inspection.stats.pages = fetcher.pages_fetched
    inspection.stats.seconds = time.monotonic() - started
    return inspection
