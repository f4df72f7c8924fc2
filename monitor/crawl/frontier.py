"""The crawl's breadth-first frontier and its memory of every URL met in the round.

Memory is what must stay flat as a site grows (DESIGN §8), so per URL it keeps one
entry in ``seen`` (a ``SeenUrls``): the hash of its key and a few flag bits. URLs
waiting their turn sit in a ``SpillQueue`` (on disk beyond a few thousand), and the
further pages that link a URL not yet answered well — while it waits, while it is
fetched, after it failed — in another, read back once at the end, in the order they
were met, for the few that failed. Only URLs being fetched and URLs that failed carry
an ``Entry``: their fetch URL, depth and first linking page; at the end, those that
failed gather up to ``MAX_SOURCES`` linking pages — the evidence a dead link needs. A
link found again after it answered well costs one lookup in ``seen`` and nothing else.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from monitor.crawl.memory import PageRecord
from monitor.crawl.seen import SeenUrls
from monitor.crawl.spill import SpillQueue
from monitor.crawl.urls import key

PAGE, RESOURCE, EXTERNAL = 0, 1, 2
# flags in ``seen``: answered well; content inspected (or unchanged); waiting in ``queue``
LINK_OK, PAGE_OK, WAITING = 1, 2, 4
MAX_SOURCES = 10
Waiting = tuple[int, str, int, int, str, bool]     # hash of key, url, depth, kind, first linking page, home
LateSource = tuple[int, str, bool]                  # hash of key, a further linking page, home


class Entry:
    """A URL being fetched (or one that failed), with the first page that links it; the
    others are gathered from the frontier's ``late`` queue once the crawl is over.

    Only the linking pages are kept; the link text is read back from ``CrawlMemory`` for
    the few that fail.
    """

    __slots__ = ("attempts", "depth", "error", "home", "kind", "more", "page", "record", "status", "total", "url")

    def __init__(self, url: str, depth: int, kind: int, page: str, home: bool) -> None:
        self.url = url
        self.depth = depth
        self.kind = kind
        self.page = page                          # the first page that links it ('' for the homepage)
        self.more: list[str] | None = None        # up to MAX_SOURCES - 1 further pages
        self.total = 1 if page else 0
        self.home = home
        self.record: PageRecord | None = None
        self.status: int | None = None
        self.error = ""
        self.attempts = 0

    @property
    def sources(self) -> list[str]:
        return ([self.page] if self.page else []) + (self.more or [])

    def add_source(self, page: str, home: bool) -> None:
        self.total += 1
        self.home = self.home or home
        if page == self.page:
            return
        if self.more is None:
            self.more = []
        if len(self.more) < MAX_SOURCES - 1 and page not in self.more:
            self.more.append(page)


@dataclass
class Caps:
    max_pages: int
    max_depth: int
    max_external: int


@dataclass
class Frontier:
    """``seen`` maps the hash of each URL's key to its flags, or to its ``Entry`` while it is
    fetched or has failed. Call ``close`` when done: the queues may hold temporary files."""

    caps: Caps
    seen: SeenUrls[Entry] = field(default_factory=SeenUrls)
    queue: SpillQueue[Waiting] = field(default_factory=SpillQueue)
    late: SpillQueue[LateSource] = field(default_factory=SpillQueue)
    retries: deque[Entry] = field(default_factory=deque)
    external: deque[Entry] = field(default_factory=deque)
    pages_queued: int = 0
    externals_queued: int = 0
    skipped_pages: int = 0        # over max_pages or max_depth: never fetched, never covered
    skipped_external: int = 0

    def unmet(self, urls: Iterable[str], page: str, home: bool) -> Iterator[str]:
        """The links from ``page`` to URLs not met yet — the caller classifies and ``offer``s them.
        For a URL met before, the source is noted while it still matters.

        The loop every link of every page goes through (a second round: about a million).
        """
        again = self._again
        for url in urls:
            if not again(hash(key(url)), page, home):
                yield url

    def _again(self, h: int, page: str, home: bool) -> bool:
        known = self.seen.get(h)
        if known is None:
            return False
        if type(known) is Entry or known & WAITING:       # not answered well yet: its evidence may count
            self.late.append((h, page, home))
        return True

    def offer(self, url: str, depth: int, kind: int, page: str, home: bool) -> None:
        """A link from ``page`` (at the homepage when ``home``) to ``url``, found at ``depth``."""
        h = hash(key(url))
        if self._again(h, page, home):
            return
        if kind == PAGE and (depth > self.caps.max_depth or self.pages_queued >= self.caps.max_pages):
            self.skipped_pages += 1
            return
        if kind == EXTERNAL and self.externals_queued >= self.caps.max_external:
            self.skipped_external += 1
            return
        if kind == EXTERNAL:        # few (max_external), checked in a pass of their own
            entry = Entry(url, depth, kind, page, home)
            self.seen[h] = entry
            self.externals_queued += 1
            self.external.append(entry)
            return
        self.seen[h] = WAITING
        self.pages_queued += kind == PAGE
        self.queue.append((h, url, depth, kind, page, home))

    def take(self, limit: int) -> list[Entry]:
        """The next URLs of the site (retries first), each now an ``Entry``."""
        batch: list[Entry] = []
        while self.retries and len(batch) < limit:
            batch.append(self.retries.popleft())
        while self.queue and len(batch) < limit:
            h, url, depth, kind, page, home = self.queue.popleft()
            entry = Entry(url, depth, kind, page, home)
            self.seen[h] = entry
            batch.append(entry)
        return batch

    def retry(self, entry: Entry) -> None:
        """A failed URL, asked once more before it counts as dead."""
        entry.status, entry.error = None, ""
        (self.external if entry.kind == EXTERNAL else self.retries).append(entry)

    def answered(self, entry: Entry, *, page_ok: bool = False) -> None:
        """The URL answered well: forget its evidence, remember only that."""
        self.seen[hash(key(entry.url))] = LINK_OK | (PAGE_OK if page_ok else 0)

    def drop(self, entry: Entry) -> None:
        """The URL could not be judged: seen, but neither waiting nor covered."""
        self.seen[hash(key(entry.url))] = 0

    def entry(self, url: str) -> Entry | None:
        known = self.seen.get(hash(key(url)))
        return known if type(known) is Entry else None

    def also(self, url: str, flags: int) -> None:
        """A redirect target reached through another URL counts as seen too."""
        h = hash(key(url))
        known = self.seen.get(h) or 0
        if type(known) is not Entry:
            self.seen[h] = known | flags

    def failed(self) -> list[Entry]:
        return [e for e in self.seen.entries() if e.status is not None or e.error]

    def dead(self) -> list[Entry]:
        """The failed URLs with their linking pages, in the order they were met. Reads the late
        sources once: call it when the crawl is over."""
        failed = {hash(key(e.url)): e for e in self.failed()}
        for h, page, home in self.late.drain():
            entry = failed.get(h)
            if entry is not None:
                entry.add_source(page, home)
        return list(failed.values())

    def covers(self, kind: str, url: str) -> bool:
        known = self.seen.get(hash(key(url))) or 0
        if type(known) is Entry:
            return False
        return bool(known & (PAGE_OK if kind == "page" else LINK_OK if kind == "link" else 0))

    def close(self) -> None:
        """The crawl is over: the queues' files go, and so do the failed URLs' entries — their
        linking pages are in the observations by now, and a round keeps its ``Coverage`` to the end."""
        self.queue.close()
        self.late.close()
        self.seen.drop_entries()


class Coverage:
    """Which page and link targets a crawl inspected, answered from the frontier's flags.

    The alert engine asks it whether a fixed link's or page's alert may be resolved;
    keeping the answer here spares one observation object per healthy URL.
    """

    def __init__(self, frontier: Frontier) -> None:
        self._frontier = frontier

    def __contains__(self, target_key: object) -> bool:
        if not isinstance(target_key, tuple) or len(target_key) != 2:
            return False
        kind, url = target_key
        return isinstance(url, str) and self._frontier.covers(kind, url)
