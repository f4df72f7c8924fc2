"""The crawl's breadth-first frontier and its memory of every URL met in the round.

Memory is what must stay flat as a site grows (DESIGN §8), so per URL it keeps one
entry in ``seen`` (a ``SeenUrls``): the hash of its key and a few flag bits. Everything
else but the external links (at most ``max_external``) waits on disk in ``SpillQueue``s,
a few hundred items of each in memory: the URLs waiting their turn; the further pages
that link a URL not yet answered well (while it waits, while it is fetched, after it
failed), read back at the end for the few that failed; and the failed URLs themselves —
an ``Entry`` each, with their fetch URL, depth, first linking page and failure — first
to be asked again, then as dead links. At the end the dead ones are read back a batch at
a time, each gathering up to ``MAX_SOURCES`` linking pages: the evidence a dead link
needs. A link found again after it answered well costs one lookup in ``seen`` and
nothing else.
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
# flags in ``seen``: answered well; content inspected (or unchanged); waiting in ``queue`` or being
# fetched; failed, its ``Entry`` in ``failures`` or ``dead`` (asked again while the flag stays)
LINK_OK, PAGE_OK, WAITING, FAILED = 1, 2, 4, 8
UNANSWERED = WAITING | FAILED             # the URLs whose further linking pages go to ``late``
MAX_SOURCES = 10
ATTEMPTS = 2               # a link counts as dead only after failing this many times
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
    """``seen`` maps the hash of each URL's key to its flags. Call ``close`` when done: the queues
    may hold temporary files."""

    caps: Caps
    seen: SeenUrls = field(default_factory=SeenUrls)
    queue: SpillQueue[Waiting] = field(default_factory=SpillQueue)
    late: SpillQueue[LateSource] = field(default_factory=SpillQueue)
    failures: SpillQueue[Entry] = field(default_factory=SpillQueue)     # failed, to be asked again
    retries: SpillQueue[Entry] = field(default_factory=SpillQueue)      # being asked again (the site's own)
    dead: SpillQueue[Entry] = field(default_factory=SpillQueue)         # failed ATTEMPTS times
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
        if known & UNANSWERED:       # not answered well yet: its evidence may count
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
        self.seen[h] = WAITING
        if kind == EXTERNAL:        # few (max_external), checked in a pass of their own
            self.externals_queued += 1
            self.external.append(Entry(url, depth, kind, page, home))
            return
        self.pages_queued += kind == PAGE
        self.queue.append((h, url, depth, kind, page, home))

    def take(self, limit: int) -> list[Entry]:
        """The next URLs of the site (retries first), each now an ``Entry``."""
        batch: list[Entry] = []
        while self.retries and len(batch) < limit:
            batch.append(self.retries.popleft())
        while self.queue and len(batch) < limit:
            _, url, depth, kind, page, home = self.queue.popleft()
            batch.append(Entry(url, depth, kind, page, home))
        return batch

    def fail(self, entry: Entry) -> bool:
        """The URL did not answer (``entry.status``, ``entry.error``): kept on disk, to be asked again
        or, after ``ATTEMPTS`` tries, as a dead link. True when it is dead."""
        self.seen[hash(key(entry.url))] = FAILED
        entry.record = None                   # not pickled: a retry asks without validators anyway
        dead = entry.attempts >= ATTEMPTS
        (self.dead if dead else self.failures).append(entry)
        return dead

    def retry_failed(self) -> bool:
        """Queue the URLs that failed once to be asked again; False when there are none."""
        if not self.failures:
            return False
        for entry in self.failures.drain():
            entry.status, entry.error = None, ""
            (self.external if entry.kind == EXTERNAL else self.retries).append(entry)
        return True

    def answered(self, entry: Entry, *, page_ok: bool = False) -> None:
        """The URL answered well: remember only that."""
        self.seen[hash(key(entry.url))] = LINK_OK | (PAGE_OK if page_ok else 0)

    def drop(self, entry: Entry) -> None:
        """The URL could not be judged: seen, but neither waiting nor covered."""
        self.seen[hash(key(entry.url))] = 0

    def also(self, url: str, flags: int) -> None:
        """A redirect target reached through another URL counts as seen too (unless it failed itself)."""
        h = hash(key(url))
        known = self.seen.get(h) or 0
        if not known & FAILED:
            self.seen[h] = known | flags

    def dead_links(self, batch: int) -> Iterator[list[Entry]]:
        """The dead URLs, ``batch`` at a time, each with its linking pages in the order they were met.
        Reads the late sources once, keeping on disk those of dead URLs (read again for each batch):
        call it when the crawl is over."""
        theirs: SpillQueue[LateSource] = SpillQueue()
        try:
            for source in self.late.drain():
                if self.seen.get(source[0]) == FAILED:
                    theirs.append(source)
            while self.dead:
                entries: dict[int, Entry] = {}
                while self.dead and len(entries) < batch:
                    entry = self.dead.popleft()
                    entries[hash(key(entry.url))] = entry
                for h, page, home in theirs:
                    if h in entries:
                        entries[h].add_source(page, home)
                yield list(entries.values())
        finally:
            theirs.close()

    def covers(self, kind: str, url: str) -> bool:
        known = self.seen.get(hash(key(url))) or 0
        return bool(known & (PAGE_OK if kind == "page" else LINK_OK if kind == "link" else 0))

    def close(self) -> None:
        """The crawl is over: the queues' files go (a round keeps its ``Coverage`` to the end)."""
        for queue in (self.queue, self.late, self.failures, self.retries, self.dead):
            queue.close()


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
