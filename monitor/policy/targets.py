"""The policy checks as inspection targets (DESIGN §3 ``policy.*``; target kind ``policy``).

``PolicyScanTarget``, one per site with policy columns, reads the site's policy columns
back through ``policy.window_days``, its interpretation columns a week further, every
document in the window and every candidate interpretation, and yields one Observation per
document for the rules to judge as it concludes each (a big site's scan holds 2,000 pages; its
verdicts go to disk one by one), then one for itself saying what it covered (``listed``
feeds ``monitor stats``). A document that cannot be read is an error on that document alone
(``ctx.errors``); an interpretation column that cannot be read fails the whole check,
because without it every document would look uninterpreted — a false red.

``PolicyDocumentTarget`` re-inspects one document for a recheck: its page, the
interpretation columns back to just before it, and its candidates — the inputs the weekly
check used for that document, so both reach the same verdict.
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from monitor.config import Column, Config, Site
from monitor.domain import InspectionError, Item, Listing, Observation, TargetRef
from monitor.errors import ExtractError, FetchError
from monitor.extract.relations import PageLink
from monitor.policy.pairing import (
    EARLY_DAYS,
    Entry,
    Page,
    Scope,
    Unreadable,
    Verdict,
    candidates_for,
    document_names,
    interpretation_links,
    is_exempt,
    judge,
    url_key,
    with_linked,
)
from monitor.policy.reading import Budget, read_page, read_pages, walk_column

if TYPE_CHECKING:
    from monitor.inspect import InspectContext

EARLY = timedelta(days=EARLY_DAYS)


def site_columns(config: Config, site_id: str, category: str) -> list[Column]:
    return [c for c in config.columns if c.site == site_id and c.category == category]


def scope_of(config: Config) -> Scope:
    """Column pages and homepages are never relations; only configured hosts are entered."""
    lists = frozenset(url_key(u) for u in (*(c.url for c in config.columns), *(s.url for s in config.sites)))
    hosts = frozenset(h.lower() for s in config.sites for h in (s.hosts or (urlsplit(s.url).netloc,)))
    return Scope(config.policy, lists, hosts)


@dataclass(frozen=True, slots=True)
class Document:
    """A policy document as its column lists it (the target id is this address)."""

    column: Column
    url: str
    title: str
    listed: date | None = None

    @property
    def ref(self) -> TargetRef:
        return TargetRef("policy", self.url, self.title, self.url)


@dataclass(frozen=True, slots=True)
class Case:
    """A document whose page was read (its links dropped once ``linked`` is known), and the links
    on it that lead to interpretations."""

    doc: Document
    page: Page | Unreadable
    linked: tuple[PageLink, ...] = ()

    @property
    def published(self) -> date | None:
        return (self.page.date if isinstance(self.page, Page) else None) or self.doc.listed

    def candidates(self, entries: list[Entry]) -> list[Entry]:
        """The interpretations that may belong to the document: by date, and those its page links to.
        Worked out again when needed rather than kept: a big site's scan has 1,600 cases with
        hundreds of candidates each."""
        published = self.published
        if not isinstance(self.page, Page) or published is None:
            return []
        return with_linked(candidates_for(published, entries), self.linked)


@dataclass
class Entries:
    """A site's interpretation-column entries; ``unread_before``: a column stopped early, so
    interpretations older than this date are unknown (no document before it may be called
    uninterpreted)."""

    items: list[Entry]
    notes: list[str]
    unread_before: date | None = None


async def interpretation_entries(ctx: InspectContext, config: Config, site: Site, since: date,
                                 budget: Budget) -> Entries:
    """The site's interpretation-column entries back to ``since``, and what was left out."""
    columns = site_columns(config, site.id, "interpretation")
    if not columns:
        raise ExtractError(f"网站“{site.name}”没有配置政策解读栏目（category = \"interpretation\"），"
                           "无法判断政策文件的解读情况")
    entries: dict[str, Entry] = {}
    notes: list[str] = []
    unread: list[date] = []
    for column in columns:
        try:
            walk = await walk_column(ctx.fetcher, column, ctx.today, since,
                                     max_pages=config.policy.max_list_pages, budget=budget)
        except FetchError as exc:
            raise ExtractError(f"政策解读栏目“{column.name}”无法读取（{exc.reason}），"
                               "无法判断政策文件的解读情况") from exc
        if walk.stopped:
            notes.append(f"政策解读栏目“{column.name}”{walk.stopped}")
            unread.append(walk.read_back_to or date.max)
        for i in walk.items:
            entries.setdefault(url_key(i.url), Entry(i.title, i.url, i.date, column.id, column.unit))
    return Entries(list(entries.values()), notes, max(unread, default=None))


async def read_cases(ctx: InspectContext, docs: list[Document], entries: list[Entry],
                     scope: Scope) -> list[Case]:
    """Read each document's page and find its candidate interpretations."""
    pages = await read_pages(ctx.fetcher, [d.url for d in docs], ctx.today, scope)
    return [plan(doc, page, entries, scope) for doc, page in zip(docs, pages, strict=True)]


def plan(doc: Document, page: Page | Unreadable, entries: list[Entry], scope: Scope) -> Case:
    """A read document with the links on its page that lead to interpretations (listed or not)."""
    case = Case(doc, page)
    if not isinstance(page, Page) or case.published is None:
        return case
    linked = interpretation_links(page, candidates_for(case.published, entries), scope)
    return Case(doc, replace(page, links=()), tuple(linked))


async def read_candidates(ctx: InspectContext, cases: Iterable[Case], entries: list[Entry], scope: Scope,
                          budget: Budget) -> dict[str, Page | Unreadable]:
    """Every candidate page on a configured host, each read once however many documents share it."""
    wanted = list(dict.fromkeys(e.url for c in cases for e in c.candidates(entries) if scope.may_fetch(e.url)))
    budget.spend(len(wanted))
    pages = await read_pages(ctx.fetcher, wanted, ctx.today, scope)
    return dict(zip(wanted, pages, strict=True))


def settle(case: Case, scope: Scope, start: date) -> Observation | InspectionError | tuple[Page, date]:
    """What the document's own page already decides (unreadable, undated, outside the window,
    exempt), or its page and date when its interpretations must be looked at."""
    doc, page = case.doc, case.page
    if isinstance(page, Unreadable):
        return InspectionError(doc.ref, doc.column.unit, f"政策文件页面无法读取（{page.error}）")
    published = case.published
    if published is None:
        return InspectionError(doc.ref, doc.column.unit, "识别不出政策文件的发布日期，无法判断解读是否同步")
    if published < start:
        return observation(doc, page, published, "outside")
    reason = is_exempt(doc.title, doc.url, scope.settings) or is_exempt(page.title, doc.url, scope.settings)
    return observation(doc, page, published, "exempt", exempt=reason) if reason else (page, published)


def conclude(case: Case, entries: list[Entry], pages: dict[str, Page | Unreadable], scope: Scope, start: date,
             unread_before: date | None = None) -> Observation | InspectionError:
    """The document's observation (status, interpretations, links), or why it could not be judged."""
    settled = settle(case, scope, start)
    if not isinstance(settled, tuple):
        return settled
    (page, published), doc = settled, case.doc
    candidates = case.candidates(entries)
    verdict = judge(page, document_names(doc.title, page.title), candidates, list(case.linked), pages, scope)
    if isinstance(verdict, str):
        return InspectionError(doc.ref, doc.column.unit, verdict)
    if verdict.status == "none" and unread_before and published - EARLY < unread_before:
        return InspectionError(doc.ref, doc.column.unit, "政策解读栏目没有读完，无法确认这份文件没有解读")
    return observation(doc, page, published, verdict.status, verdict=verdict, candidates=len(candidates))


def observation(doc: Document, page: Page | None, published: date | None, status: str, *,
                verdict: Verdict | None = None, exempt: str | None = None,
                candidates: int = 0) -> Observation:
    """One document as the rules see it: ``facts["policy"]`` carries everything they judge."""
    pairs = verdict.pairs if verdict else []
    first = verdict.first if verdict else None
    title = doc.title or (page.title if page else "")
    facts: dict[str, Any] = {"policy": {
        "status": status,
        "document": {"title": title, "url": doc.url, "date": published.isoformat() if published else None,
                     "column": doc.column.id, "column_name": doc.column.name},
        "exempt": exempt,
        "interpretations": [p.to_json() for p in pairs],
        "first": first.to_json() if first else None,
        "lag_days": (first.date - published).days if first and first.date and published else None,
        "candidates": candidates,
    }}
    ref = TargetRef("policy", doc.url, title, doc.url)
    return Observation(ref, doc.column.unit, [Item(p.title, p.url, p.date) for p in pairs], facts=facts)


def affordable(docs: list[Document], entries: list[Entry], left: int) -> int:
    """How many of ``docs`` (newest first) fit in ``left`` pages with their candidate pages."""
    dated = sorted(e.date for e in entries if e.date)
    undated = len(entries) - len(dated)
    count = 0
    for n, doc in enumerate(docs, start=1):
        since = doc.listed - EARLY if doc.listed else date.min
        if n + undated + len(dated) - bisect.bisect_left(dated, since) > left:
            break
        count = n
    return count


def listings(docs: Iterable[Document], entries: Iterable[Entry]) -> list[Listing]:
    """What the columns listed, column by column, for ``monitor stats`` (each item counted by its own date)."""
    found: dict[tuple[str | None, str | None, str], list[Item]] = {}
    for d in docs:
        found.setdefault((d.column.id, d.column.unit, "policy"), []).append(Item(d.title, d.url, d.listed))
    for e in entries:
        found.setdefault((e.column, e.unit, "interpretation"), []).append(Item(e.title, e.url, e.date))
    return [Listing(column, unit, category, items) for (column, unit, category), items in found.items()]


@dataclass(frozen=True)
class PolicyScanTarget:
    """A site's policy documents in the window, each judged against its interpretations."""

    config: Config
    site: Site

    @property
    def ref(self) -> TargetRef:
        return TargetRef("policy", self.site.id, f"{self.site.name}政策文件与解读", self.site.url)

    @property
    def unit(self) -> str:
        return self.site.unit

    async def observe(self, ctx: InspectContext) -> Iterator[Observation]:
        settings = self.config.policy
        start = ctx.today - timedelta(days=settings.window_days)
        budget, scope = Budget(settings.max_pages), scope_of(self.config)
        docs, notes = await self._documents(ctx, start, budget)
        known = await interpretation_entries(ctx, self.config, self.site, start - EARLY, budget)
        entries, notes = known.items, notes + known.notes
        window = sorted((d for d in docs if d.listed is None or d.listed >= start),
                        key=lambda d: d.listed or date.min, reverse=True)
        exempt = [d for d in window if is_exempt(d.title, d.url, settings)]
        todo = [d for d in window if not is_exempt(d.title, d.url, settings)]
        chosen = todo[:affordable(todo, entries, budget.left)]
        budget.spend(len(chosen))
        cases = await read_cases(ctx, chosen, entries, scope)
        pages = await read_candidates(ctx, cases, entries, scope, budget)
        skipped = len(todo) - len(chosen)
        if skipped:
            notes.append(f"已达抓取上限（policy.max_pages = {settings.max_pages}），"
                         f"另有 {skipped} 篇政策文件本轮未检查")
        ctx.errors.extend(InspectionError(self.ref, self.unit, note) for note in notes)
        summary = {"documents": len(window), "checked": len(chosen), "exempt": len(exempt), "skipped": skipped,
                   "interpretations": len(entries), "notes": notes}

        def conclusions() -> Iterator[Observation]:
            """Each document's verdict, dropping its case once concluded; the scan's own observation last."""
            left = deque(cases)
            cases.clear()
            while left:
                result = conclude(left.popleft(), entries, pages, scope, start, known.unread_before)
                if isinstance(result, InspectionError):
                    ctx.errors.append(result)
                else:
                    yield result
            pages.clear()
            url_key.cache_clear()       # thousands of addresses on a big site, needed no more this round
            for d in exempt:
                yield observation(d, None, d.listed, "exempt", exempt=is_exempt(d.title, d.url, settings))
            yield Observation(self.ref, self.unit, facts={"policy_scan": summary, "listed": listings(docs, entries)})

        return conclusions()

    async def _documents(self, ctx: InspectContext, start: date, budget: Budget) -> tuple[list[Document], list[str]]:
        """Every policy column's entries back to ``start``; one address listed twice counts once."""
        found: dict[str, Document] = {}
        notes: list[str] = []
        for column in site_columns(self.config, self.site.id, "policy"):
            walk = await walk_column(ctx.fetcher, column, ctx.today, start,
                                     max_pages=self.config.policy.max_list_pages, budget=budget)
            if walk.stopped:
                notes.append(f"政策文件栏目“{column.name}”{walk.stopped}")
            for item in walk.items:
                found.setdefault(url_key(item.url), Document(column, item.url, item.title, item.date))
        return list(found.values()), notes


@dataclass(frozen=True)
class PolicyDocumentTarget:
    """One policy document, re-inspected alone (a recheck of its alert, ``monitor check URL``)."""

    config: Config
    column: Column
    url: str
    title: str = ""

    @property
    def ref(self) -> TargetRef:
        return TargetRef("policy", self.url, self.title, self.url)

    @property
    def unit(self) -> str:
        return self.column.unit

    async def observe(self, ctx: InspectContext) -> list[Observation]:
        settings = self.config.policy
        start = ctx.today - timedelta(days=settings.window_days)
        budget, scope = Budget(settings.max_pages), scope_of(self.config)
        doc = Document(self.column, self.url, self.title)
        page = await read_page(ctx.fetcher, self.url, ctx.today, scope)
        result = settle(Case(doc, page), scope, start)
        if isinstance(result, tuple):
            published = result[1]
            site = self.config.site(self.column.site)
            known = await interpretation_entries(ctx, self.config, site, published - EARLY, budget)
            case = plan(doc, page, known.items, scope)
            pages = await read_candidates(ctx, [case], known.items, scope, budget)
            result = conclude(case, known.items, pages, scope, start, known.unread_before)
        if isinstance(result, InspectionError):
            raise ExtractError(result.error)
        return [result]


def column_for_document(config: Config, url: str) -> Column | None:
    """The policy column a document belongs to: the one whose folder holds it, else one on its host."""
    columns = [c for c in config.columns if c.category == "policy"]
    host = urlsplit(url).netloc.lower()
    same_host = [c for c in columns if urlsplit(c.url).netloc.lower() == host]

    def folder(column: Column) -> str:
        return column.url.rsplit("/", 1)[0] + "/"

    holding = [c for c in same_host if url.startswith(folder(c))]
    if holding:
        return max(holding, key=lambda c: len(folder(c)))
    return same_host[0] if same_host else None


def policy_targets(config: Config) -> list[PolicyScanTarget]:
    return [PolicyScanTarget(config, s) for s in config.sites if site_columns(config, s.id, "policy")]


def policy_target_for(config: Config, ref: TargetRef) -> PolicyScanTarget | PolicyDocumentTarget | None:
    """The site's scan for a site id; the one-document target for a document address."""
    scan = next((t for t in policy_targets(config) if t.ref.key == ref.key), None)
    if scan is not None or "://" not in ref.id:
        return scan
    column = column_for_document(config, ref.id)
    return PolicyDocumentTarget(config, column, ref.id, ref.name) if column else None
