"""Targets of the whole-site crawl: the crawl itself, and one link or one page for rechecks.

A recheck touches only its target (DESIGN §4): a dead link's recheck requests only
that URL (twice at most, like the crawl), carrying the linking pages of the finding
it re-examines so that a link on the homepage stays red; a page's recheck refetches
that page and runs its content checks again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from monitor.config import Config, Site
from monitor.crawl.memory import MemoryCrawlMemory
from monitor.crawl.scan import Scanner
from monitor.crawl.site import SiteCrawler, blocked_reason, status_text
from monitor.crawl.urls import is_resource, netloc_of, normalize, site_netlocs
from monitor.domain import Observation, Observed, TargetRef
from monitor.errors import ExtractError, FetchError
from monitor.extract.links import as_tree
from monitor.fetch import Fetcher, Response

if TYPE_CHECKING:
    from monitor.inspect import InspectContext


@dataclass(frozen=True)
class SiteCrawlTarget:
    """Every page of a site within its hosts, every link on them (DESIGN §3 link.broken, content.*)."""

    site: Site

    @property
    def ref(self) -> TargetRef:
        return TargetRef("site", self.site.id, self.site.name, self.site.url)

    @property
    def unit(self) -> str:
        return self.site.unit

    async def observe(self, ctx: InspectContext) -> list[Observation]:
        crawler = SiteCrawler(self.site, ctx.fetcher.settings, ctx.fetcher, ctx.memory or MemoryCrawlMemory(),
                              Scanner.from_rules(ctx.rules), ctx.today, ctx.now)
        outcome = await crawler.run()
        return Observed(outcome.observations, covers=outcome.coverage, errors=outcome.errors,
                        links_checked=outcome.links_checked, claims_target=False)


@dataclass(frozen=True)
class LinkTarget:
    """One link found dead by a crawl, rechecked alone."""

    url: str
    site: Site
    previous: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    @property
    def ref(self) -> TargetRef:
        return TargetRef("link", self.url, self.url, self.url)

    @property
    def unit(self) -> str:
        return self.site.unit

    async def observe(self, ctx: InspectContext) -> list[Observation]:
        failure = ""
        status: int | None = None
        for _ in range(2):
            try:
                resp = await _request(ctx.fetcher, self.url, self._is_page())
            except FetchError as exc:
                failure, status = exc.reason, exc.status
                continue
            blocked = blocked_reason(resp) if self._external() else None
            if blocked:
                raise FetchError(self.url, blocked, transient=True, status=resp.status)
            if resp.status < 400:
                return []
            failure, status = status_text(resp), resp.status
        pages = self.previous.get("pages", [])
        facts = {"broken": True, "status": status, "error": failure, "site": self.site.id,
                 "on_homepage": bool(self.previous.get("on_homepage")), "external": self._external(),
                 "sources": pages, "sources_total": self.previous.get("pages_total", len(pages))}
        return [Observation(self.ref, self.unit, facts=facts)]

    def _is_page(self) -> bool:
        return not self._external() and not is_resource(self.url)

    def _external(self) -> bool:
        return netloc_of(self.url) not in site_netlocs(self.site.url, self.site.hosts)


@dataclass(frozen=True)
class PageTarget:
    """One page whose content broke a rule, refetched and checked again."""

    url: str
    site: Site

    @property
    def ref(self) -> TargetRef:
        return TargetRef("page", self.url, self.url, self.url)

    @property
    def unit(self) -> str:
        return self.site.unit

    async def observe(self, ctx: InspectContext) -> list[Observation]:
        response = await ctx.fetcher.get(self.url, conditional=False, accept=("html",))
        if not response.text:
            raise ExtractError("页面没有可读的文字内容")
        hits = Scanner.from_rules(ctx.rules).scan(as_tree(response.text), ctx.today)
        if not hits:
            return []
        ref = TargetRef("page", self.url, hits.get("title") or self.url, self.url)
        return [Observation(ref, self.unit, facts={**hits, "site": self.site.id})]


async def _request(fetcher: Fetcher, url: str, page: bool) -> Response:
    if page:
        return await fetcher.request("GET", url, retries=0)
    resp = await fetcher.request("HEAD", url, retries=0)
    if resp.status >= 400:
        resp = await fetcher.request("GET", url, retries=0, read_body=False)
    return resp


def crawl_target_for(config: Config, ref: TargetRef, evidence: dict[str, Any] | None) -> LinkTarget | PageTarget | None:
    """The recheck target of a ``link`` or ``page`` alert, or None when no configured site owns it."""
    evidence = evidence or {}
    site = _site_of(config, ref.id, evidence.get("site"))
    if site is None:
        return None
    if ref.kind == "link":
        return LinkTarget(ref.id, site, dict(evidence))
    return PageTarget(ref.id, site)


def _site_of(config: Config, url: str, site_id: object) -> Site | None:
    by_id = next((s for s in config.sites if s.id == site_id), None)
    if by_id is not None:
        return by_id
    cleaned = normalize(url)
    netloc = netloc_of(cleaned) if cleaned else ""
    return next((s for s in config.sites if netloc in site_netlocs(s.url, s.hosts)), None)
