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
from typing import Any, Protocol, TypeGuard

_LEVEL = 1          # links compress 5-10x even at level 1; the higher levels cost CPU for little
_FORMAT = b"\x02"   # before the compressed links; older records began with zlib's own header
_PIECE = 256        # links joined and compressed at a time


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
    """``(url, text, pager)`` triples, compressed: the URLs, the texts and the pager URLs in three
    sections, so that following an unchanged page's links reads the first section and nothing else.

    Joined and compressed a few hundred links at a time: a Hanweb column page lists thousands, and
    joining all of them made two copies of their whole text at once (a string, then its UTF-8 bytes).
    """
    urls: list[str] = []
    texts: list[str] = []
    pagers: list[str] = []
    for url, text, pager in links:
        if "\0" in url:                                   # never from a parsed page; kept from breaking
            url = url.replace("\0", "%00")                # the sections all the same
        if "\n" in text or "\0" in text:
            text = text.replace("\n", " ").replace("\0", "")
        urls.append(url)
        texts.append(text)
        if pager:
            pagers.append(url)
    compressor = zlib.compressobj(_LEVEL)
    parts = [_FORMAT]
    for n, section in enumerate((urls, texts, pagers)):
        if n:
            parts.append(compressor.compress(b"\0"))
        for start in range(0, len(section), _PIECE):
            piece = ("\n" if start else "") + "\n".join(section[start:start + _PIECE])
            parts.append(compressor.compress(piece.encode("utf-8", "surrogatepass")))
    parts.append(compressor.flush())
    return b"".join(parts)


def is_current(blob: bytes | None) -> TypeGuard[bytes]:
    """Whether ``blob`` is in this format (a record from an older version is read as a changed page)."""
    return bool(blob) and blob[:1] == _FORMAT


def link_targets(blob: bytes | None) -> tuple[list[str], frozenset[str]]:
    """The links' URLs, and those that page through a list."""
    urls, _, pagers = _sections(blob)
    return urls, frozenset(pagers)


def decode_links(blob: bytes | None) -> Iterator[tuple[str, str, bool]]:
    urls, texts, pagers = _sections(blob)
    paging = frozenset(pagers)
    for url, text in zip(urls, texts, strict=False):
        yield url, text, url in paging


def _sections(blob: bytes | None) -> tuple[list[str], list[str], list[str]]:
    if not is_current(blob):
        return [], [], []
    payload = zlib.decompress(blob[1:]).decode("utf-8", "surrogatepass")
    urls, texts, pagers = payload.split("\0")
    return (urls.split("\n"), texts.split("\n"), pagers.split("\n")) if urls else ([], [], [])
