"""The one chokepoint for HTTP: every page, feed and link the monitor reads goes through ``Fetcher``.

Government servers are slow and fragile (DESIGN §7), so this module owns the
politeness and failure policy in one place:

- one client built here (no proxies from the environment, our User-Agent, gzip):
  aiohttp by default, httpx over a transport that tests inject instead of patching
  (``monitor.transport``);
- a total limit and a per-host limit. A request takes its host's slot *before*
  a global one, and the per-host limit is kept below the total, so requests
  queued for a slow or dead host never hold slots that other hosts need;
- retries with exponential backoff on what may pass (connect errors, timeouts,
  broken responses, 5xx, 429 with ``Retry-After``) — a small loop rather than
  tenacity, because the loop needs the last response (for its status and
  ``Retry-After``) and must give up a global slot while it sleeps;
- redirects followed by hand, so that the chain is recorded and each hop is
  polite to its own host;
- a byte cap read from the stream (a 2 GB "page" never reaches memory) and a
  total deadline per attempt (a server dripping one byte a second never trips
  the per-read timeout);
- conditional GETs against a ``PageCache``: an unchanged page costs a 304.

Every failure becomes ``FetchError`` with a short Chinese reason and the
technical detail; ``transient`` says whether trying again later may help.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from yarl import URL

from monitor.cache import CachedPage, PageCache
from monitor.charset import decode_html, decode_text
from monitor.clock import system_clock
from monitor.config import CrawlSettings
from monitor.errors import FetchError
from monitor.transport import AiohttpWire, Raw, Wire, WireFailure

if TYPE_CHECKING:
    from types import TracebackType

    import httpx

log = logging.getLogger(__name__)

KINDS = ("html", "feed", "any")
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_SNIFFABLE = frozenset({"", "text/plain", "application/octet-stream"})
_FEED_TYPES = frozenset({"application/json", "text/json", "application/x-rss+xml"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
_RETRY_AFTER_CAP_S = 30.0
_DEADLINE_FACTOR = 3  # one attempt may take this many timeouts in total (slow drip)
_SNIFF_BYTES = 1024
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title)\b",
                         re.I | re.S)
_CHARSET_PARAM = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.I)
_ACCEPT_HEADERS = {
    "html": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    "feed": "application/rss+xml,application/atom+xml,application/feed+json,"
            "application/xml;q=0.9,text/xml;q=0.9,*/*;q=0.5",
    "any": "*/*",
}


@dataclass
class Response:
    """What a fetch produced. ``text`` is decoded for text types and '' for binary bodies.

    ``not_modified``: the server answered 304 to our conditional GET, ``status``
    is 304 and ``content``/``text`` are the cached body. ``redirects`` lists the
    URLs that answered with a redirect, in order (``requested_url`` first).
    """

    requested_url: str
    url: str
    status: int
    headers: dict[str, str]
    content: bytes
    content_type: str = ""
    encoding: str | None = None
    text: str = ""
    not_modified: bool = False
    elapsed_s: float = 0.0
    redirects: list[str] = field(default_factory=list)
    truncated: bool = False
    content_hash: str | None = None              # of a body kept in the page cache
    reading: dict[str, Any] | None = None        # what a reader made of that body before (``keep_reading``)


class Fetcher:
    """Fetch pages politely; use as ``async with Fetcher(settings) as f: await f.get(url)``.

    One instance serves a whole round (its limits are shared by all callers) and
    belongs to one event loop.
    """

    def __init__(self, settings: CrawlSettings, *, cache: PageCache | None = None,
                 transport: httpx.AsyncBaseTransport | None = None, backoff_s: float = 1.0,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self._cache = cache
        self._backoff_s = backoff_s
        self._clock = clock or system_clock
        concurrency = max(1, settings.concurrency)
        self._per_host = max(1, min(settings.per_host, concurrency - 1))
        self._total = asyncio.Semaphore(concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self.pages_fetched = 0      # URLs requested by get/head/request, whatever their outcome (round stats)
        headers = {"User-Agent": settings.user_agent, "Accept-Encoding": "gzip"}
        self._wire: Wire
        if transport is None:
            self._wire = AiohttpWire(concurrency, settings.timeout_s, headers)
        else:
            from monitor.httpxwire import HttpxWire

            self._wire = HttpxWire(transport, concurrency, settings.timeout_s, headers)

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._wire.aclose()

    async def get(self, url: str, *, conditional: bool = True,
                  accept: tuple[str, ...] = ("html",)) -> Response:
        """GET ``url`` following redirects; raise ``FetchError`` unless the body is of an ``accept`` kind.

        Kinds: "html" (HTML types, or text/plain / untyped bodies that look like
        HTML), "feed" (XML, RSS, Atom, JSON and HTML too — bridges mislabel, the
        feed reader decides), "any". With ``conditional`` and a cache, an
        unchanged page is answered from the cache (``not_modified``).
        """
        _check_kinds(accept)
        self.pages_fetched += 1
        started = time.monotonic()
        cached = self._cached(url) if conditional else None
        headers = {"Accept": _accept_header(accept), **_validators(cached)}
        raw, redirects = await self._follow("GET", url, headers)
        if raw.status == 304:
            response = self._from_cache(url, raw, cached, redirects)
        else:
            _raise_for_status(raw)
            response = _build(url, raw, redirects)
            _check_body(response, accept)
            if conditional:
                self._store(url, raw, response, cached)
        response.elapsed_s = time.monotonic() - started
        return response

    async def head(self, url: str) -> Response:
        """HEAD ``url`` following redirects. Some servers refuse HEAD (405/501): callers may GET."""
        self.pages_fetched += 1
        started = time.monotonic()
        raw, redirects = await self._follow("HEAD", url, {})
        _raise_for_status(raw)
        response = _build(url, raw, redirects)
        response.elapsed_s = time.monotonic() - started
        return response

    async def request(self, method: str, url: str, headers: dict[str, str] | None = None, *,
                      retries: int | None = None, read_body: bool = True) -> Response:
        """One request for the crawler: redirects followed, any status returned, body undecoded.

        Lean on purpose (no cache, no decoding, no body check): the crawler reads
        thousands of pages and decides itself. A body over ``max_bytes`` is cut and
        flagged ``truncated`` rather than refused, since the link works. Transport
        failures still raise ``FetchError``.
        """
        self.pages_fetched += 1
        raw, redirects = await self._follow(method, url, headers or {}, truncate=True, retries=retries,
                                            read_body=read_body)
        return Response(requested_url=url, url=raw.url, status=raw.status, headers=raw.headers,
                        content=raw.content, content_type=content_type_of(raw.headers),
                        redirects=redirects, truncated=raw.truncated)

    # -- redirects, retries, one exchange ------------------------------------------------

    async def _follow(self, method: str, url: str, headers: dict[str, str], *, truncate: bool = False,
                      retries: int | None = None, read_body: bool = True) -> tuple[Raw, list[str]]:
        """Follow up to ``max_redirects`` redirects; a loop ends the same way, named as one."""
        redirects: list[str] = []
        current = url
        while True:
            raw = await self._with_retries(method, current, headers, truncate and read_body,
                                           self.settings.retries if retries is None else retries,
                                           read_body and method == "GET")
            location = raw.headers.get("location")
            if raw.status not in _REDIRECTS or not location:
                return raw, redirects
            redirects.append(current)
            current = urljoin(current, location.strip())
            if len(redirects) > self.settings.max_redirects:
                loop = "，出现循环" if current in redirects else ""
                raise FetchError(url, f"重定向次数过多（>{self.settings.max_redirects}）{loop}: "
                                      f"{current}", transient=False, status=raw.status)

    async def _with_retries(self, method: str, url: str, headers: dict[str, str], truncate: bool,
                            retries: int, read_body: bool) -> Raw:
        """One hop, retried; holds the host's slot throughout, a global slot only per attempt."""
        retries = max(0, retries)
        async with self._host_slot(url):
            for attempt in range(retries + 1):
                last = attempt == retries
                try:
                    raw = await self._attempt(method, url, headers, truncate, read_body)
                except WireFailure as failed:
                    log.debug("%s %s failed: %s", method, url, failed.error.reason)
                    if last or not failed.error.transient:
                        raise _with_retry_note(failed.error, attempt) from None
                    delay = retry_delay(attempt, self._backoff_s)
                else:
                    if raw.status not in _RETRY_STATUSES or last:
                        raw.reason += f"（已重试 {attempt} 次）" if attempt else ""
                        return raw
                    delay = retry_delay(attempt, self._backoff_s,
                                        raw.headers.get("retry-after"))
                log.debug("retrying %s %s in %.2f s (attempt %d)", method, url, delay, attempt + 1)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _attempt(self, method: str, url: str, headers: dict[str, str], truncate: bool,
                       read_body: bool) -> Raw:
        deadline = self.settings.timeout_s * _DEADLINE_FACTOR
        async with self._total:
            started = time.monotonic()
            try:
                async with asyncio.timeout(deadline):
                    raw = await self._wire.exchange(method, url, headers, read_body=read_body,
                                                    cap=self.settings.max_bytes, truncate=truncate)
            except TimeoutError:
                raise WireFailure(FetchError(url, f"请求超时（总计超过 {deadline:g} 秒）",
                                             transient=True)) from None
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %d in %.0f ms", method, url, raw.status, (time.monotonic() - started) * 1000)
        return raw

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        key = _host_key(url)
        slot = self._hosts.get(key)
        if slot is None:
            slot = self._hosts[key] = asyncio.Semaphore(self._per_host)
        return slot

    # -- the cache --------------------------------------------------------------------

    def keep_reading(self, response: Response, reading: dict[str, Any]) -> None:
        """Keep what a reader made of ``response`` beside its cached body (``Response.reading``
        next time, while the body stays the same)."""
        if self._cache is not None and response.content_hash is not None:
            self._cache.keep_reading(response.requested_url, response.content_hash, reading)

    def _cached(self, url: str) -> CachedPage | None:
        if self._cache is None:
            return None
        page = self._cache.get(url)
        return page if page is not None and page.content is not None else None

    def _from_cache(self, url: str, raw: Raw, cached: CachedPage | None,
                    redirects: list[str]) -> Response:
        if cached is None or cached.content is None:
            raise FetchError(url, "HTTP 304 但没有缓存的页面内容", transient=False, status=304)
        # The entry stays as it is (``fetched_at`` = when its body came): rewriting it on every 304
        # recompressed and rewrote each unchanged body, a tenth of an incremental round.
        headers = {"content-type": cached.content_type or "", **raw.headers}
        headers.pop("content-length", None)  # the 304's own, not the cached body's
        stored = Raw(raw.url, 304, raw.reason, headers, cached.content)
        response = _build(url, stored, redirects)
        response.not_modified = True
        response.content_hash, response.reading = cached.content_hash, cached.reading
        return response

    def _store(self, url: str, raw: Raw, response: Response, cached: CachedPage | None) -> None:
        """Cache a 200's body; a body the same as the cached one keeps its reading."""
        if self._cache is None or raw.status != 200:
            return
        digest = hashlib.sha256(raw.content).hexdigest()
        reading = cached.reading if cached is not None and cached.content_hash == digest else None
        self._cache.put(CachedPage(
            url=url, status=raw.status, etag=raw.headers.get("etag"),
            last_modified=raw.headers.get("last-modified"), content_hash=digest,
            content_type=response.content_type or None, fetched_at=self._clock(), content=raw.content,
            reading=reading))
        response.content_hash, response.reading = digest, reading


# -- pure helpers ---------------------------------------------------------------------


def retry_delay(attempt: int, backoff_s: float, retry_after: str | None = None) -> float:
    """Seconds to wait before retry ``attempt + 1``: ``backoff_s·2^attempt``, or the server's
    numeric ``Retry-After`` (capped at 30 s) scaled by ``backoff_s`` when it asks for longer."""
    delay = backoff_s * 2 ** attempt
    if retry_after and retry_after.strip().isdigit():
        asked = min(float(retry_after.strip()), _RETRY_AFTER_CAP_S) * backoff_s
        delay = max(delay, asked)
    return delay


def content_type_of(headers: dict[str, str]) -> str:
    """The lower-case MIME type without parameters, '' when absent."""
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def charset_of(headers: dict[str, str]) -> str | None:
    match = _CHARSET_PARAM.search(headers.get("content-type", ""))
    return match.group(1) if match else None


def looks_binary(content: bytes) -> bool:
    """NUL bytes in the first KB mean an image, PDF or archive (UTF-16 with a BOM excepted)."""
    head = content[:_SNIFF_BYTES]
    return b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))


def looks_like_html(content: bytes) -> bool:
    head = content[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf")
    return bool(_HTML_START.match(head)) or b"<html" in head.lower()


def _build(url: str, raw: Raw, redirects: list[str]) -> Response:
    mime = content_type_of(raw.headers)
    text, encoding = _decode(raw.content, mime, charset_of(raw.headers))
    return Response(requested_url=url, url=raw.url, status=raw.status, headers=raw.headers,
                    content=raw.content, content_type=mime, encoding=encoding, text=text,
                    redirects=list(redirects))


def _decode(content: bytes, mime: str, header_charset: str | None) -> tuple[str, str | None]:
    """Decode text types (HTML rules for HTML, XML-declaration rules for feeds); '' for binary."""
    if not content or looks_binary(content):
        return "", None
    if mime in HTML_TYPES or (mime in _SNIFFABLE and looks_like_html(content)):
        return decode_html(content, header_charset)
    if _is_feed_type(mime) or mime.startswith("text/") or mime in _SNIFFABLE:
        return decode_text(content, header_charset)
    return "", None


def _is_feed_type(mime: str) -> bool:
    return mime in _FEED_TYPES or mime.endswith(("/xml", "+xml", "+json"))


def _check_kinds(accept: tuple[str, ...]) -> None:
    unknown = [kind for kind in accept if kind not in KINDS]
    if unknown or not accept:
        raise ValueError(f"accept kinds must be some of {KINDS}, got {accept!r}")


def _accept_header(accept: tuple[str, ...]) -> str:
    return _ACCEPT_HEADERS["any" if "any" in accept else accept[0]]


def _validators(cached: CachedPage | None) -> dict[str, str]:
    if cached is None:
        return {}
    headers: dict[str, str] = {}
    if cached.etag:
        headers["If-None-Match"] = cached.etag
    if cached.last_modified:
        headers["If-Modified-Since"] = cached.last_modified
    return headers


def _check_body(response: Response, accept: tuple[str, ...]) -> None:
    """Refuse a body that no accepted kind can use, so the target becomes an error, not a pass."""
    if "any" in accept:
        return
    mime, content, url = response.content_type, response.content, response.requested_url
    if looks_binary(content):
        raise FetchError(url, f"不是网页（二进制内容，{mime or '无类型'}）", transient=False,
                         status=response.status)
    html = mime in HTML_TYPES or (mime in _SNIFFABLE and looks_like_html(content))
    if "html" in accept and html:
        return
    feed = html or _is_feed_type(mime) or mime.startswith("text/") or mime in _SNIFFABLE
    if "feed" in accept and feed:
        return
    wanted = "订阅源" if accept == ("feed",) else "网页"
    raise FetchError(url, f"不是{wanted}（{mime or '无类型'}）", transient=False,
                     status=response.status)


def _raise_for_status(raw: Raw) -> None:
    if raw.status >= 400:
        transient = raw.status >= 500 or raw.status == 429
        raise FetchError(raw.url, raw.reason, transient=transient, status=raw.status)
    if raw.status in _REDIRECTS:
        raise FetchError(raw.url, f"{raw.reason}（重定向缺少 Location）", transient=False,
                         status=raw.status)


def _host_key(url: str) -> str:
    """``host:port`` of ``url``, the politeness key; FetchError for what is not an http(s) address."""
    scheme, sep, rest = url.partition("://")
    end = min((i for i in (rest.find("/"), rest.find("?"), rest.find("#")) if i >= 0), default=len(rest))
    try:
        return _netloc_key(scheme.lower(), rest[:end]) if sep else _netloc_key(url, "")
    except ValueError as exc:
        raise FetchError(url, f"网址无效: {exc}", transient=False) from exc


@functools.lru_cache(maxsize=1024)
def _netloc_key(scheme: str, netloc: str) -> str:
    """Cached per origin: parsing every URL of a 20,000-page crawl again would cost seconds."""
    if scheme not in ("http", "https") or not netloc:
        raise ValueError(f"不支持的网址 {scheme}{'://' + netloc if netloc else ''}")
    parsed = URL(f"{scheme}://{netloc}/")
    if not parsed.host:
        raise ValueError(f"不支持的网址 {scheme}://{netloc}")
    return f"{parsed.host}:{parsed.port}"


def _with_retry_note(error: FetchError, attempts: int) -> FetchError:
    if not attempts:
        return error
    return FetchError(error.url, f"{error.reason}（已重试 {attempts} 次）",
                      transient=error.transient, status=error.status)
