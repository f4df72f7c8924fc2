"""What the crawler remembers of each URL between rounds, and where it keeps it.

``PageRecord`` is the whole of it: status, validators, content hash, the page's links
(compressed) and its content hits. ``CrawlMemory`` is looked up in batches (one query
for the next few dozen URLs of the frontier) and written in batches, so the database
costs a handful of statements per thousand pages. ``MemoryCrawlMemory`` keeps it in a
dict for a run without a database.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

_LEVEL = 1          # links compress 5-10x even at level 1; the higher levels cost CPU for little


@dataclass(slots=True)
class PageRecord:
    url: str
    status: int
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    title: str = ""
    links: bytes | None = None            # encode_links(…)
    hits: dict[str, Any] | None = None


class CrawlMemory(Protocol):
    def lookup(self, urls: list[str]) -> dict[str, PageRecord]: ...

    def save(self, site_id: str, records: list[PageRecord], now: datetime) -> None: ...


class MemoryCrawlMemory:
    """A dict-backed memory for one process (``monitor check`` in tests, ``probe``)."""

    def __init__(self) -> None:
        self.records: dict[str, PageRecord] = {}

    def lookup(self, urls: list[str]) -> dict[str, PageRecord]:
        return {u: self.records[u] for u in urls if u in self.records}

    def save(self, site_id: str, records: list[PageRecord], now: datetime) -> None:
        for record in records:
            self.records[record.url] = record


def content_hash(body: bytes) -> str:
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def encode_links(links: Iterable[tuple[str, str, bool]]) -> bytes:
    """``(url, text, pager)`` triples as compressed ``url\ttext[\tP]`` lines (text has no tabs or newlines)."""
    lines = "\n".join(f"{url}\t{text}\tP" if pager else f"{url}\t{text}" for url, text, pager in links)
    return zlib.compress(lines.encode("utf-8", "surrogatepass"), _LEVEL)


def decode_links(blob: bytes | None) -> Iterator[tuple[str, str, bool]]:
    if not blob:
        return
    for line in zlib.decompress(blob).decode("utf-8", "surrogatepass").split("\n"):
        url, _, rest = line.partition("\t")
        text, _, pager = rest.partition("\t")
        if url:
            yield url, text, pager == "P"
