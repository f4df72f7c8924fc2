"""The wire under ``Fetcher``: one HTTP exchange, mapped to our errors.

``AiohttpWire`` is the wire: aiohttp's C parser costs about a tenth of the CPU per
request that httpx does, and a whole-site crawl is bound by that cost (DESIGN §8 "Fast
and frugal"). ``monitor.httpxwire`` has the other implementation, for tests that inject
an ``httpx`` transport.

Politeness, retries, redirects and the byte cap stay in ``Fetcher``; a wire only
sends one request and reads at most ``cap`` bytes of the body.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

import aiohttp
from yarl import URL

from monitor.errors import FetchError

_READ_CHUNK = 65536


@dataclass(slots=True)
class Raw:
    """One HTTP exchange, before it becomes a ``Response`` or an error.

    ``truncated``: the body passed the cap and was cut there (only when the caller
    asked for truncation instead of an error).
    """

    url: str
    status: int
    reason: str
    headers: dict[str, str]
    content: bytes
    truncated: bool = False


class WireFailure(Exception):
    """One failed attempt, as the ``FetchError`` it becomes if it is the last."""

    def __init__(self, error: FetchError) -> None:
        super().__init__(error.reason)
        self.error = error


def too_big(url: str, cap: int) -> WireFailure:
    return WireFailure(FetchError(url, f"页面超过 {cap} 字节上限", transient=False))


class Wire(Protocol):
    async def exchange(self, method: str, url: str, headers: dict[str, str], *, read_body: bool,
                       cap: int, truncate: bool) -> Raw:
        """Send one request; read the body of a 2xx answer when ``read_body``, up to ``cap`` bytes."""
        ...

    async def aclose(self) -> None: ...


def status_reason(status: int, phrase: str | None) -> str:
    return f"HTTP {status} {phrase or ''}".rstrip()


class AiohttpWire:
    """aiohttp session: keep-alive pool of ``concurrency`` connections, no proxies from the environment."""

    def __init__(self, concurrency: int, timeout_s: float, headers: dict[str, str]) -> None:
        self._timeout_s = timeout_s
        self._connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=0, ttl_dns_cache=300)
        self._session = aiohttp.ClientSession(
            connector=self._connector, headers=headers, auto_decompress=True, trust_env=False,
            timeout=aiohttp.ClientTimeout(total=None, connect=timeout_s, sock_read=timeout_s),
            skip_auto_headers=("Accept-Encoding",), requote_redirect_url=False)

    async def exchange(self, method: str, url: str, headers: dict[str, str], *, read_body: bool,
                       cap: int, truncate: bool) -> Raw:
        try:
            target = URL(url)
            async with self._session.request(method, target, headers=headers, allow_redirects=False) as resp:
                content, truncated = b"", False
                if read_body and 200 <= resp.status < 300:
                    content, truncated = await self._read(url, resp, cap, truncate)
                return Raw(url if str(resp.url) == str(target) else str(resp.url), resp.status,
                           status_reason(resp.status, resp.reason),
                           {k.lower(): v for k, v in resp.headers.items()}, content, truncated)
        except (aiohttp.ClientError, OSError, ValueError) as exc:
            raise WireFailure(_map_aiohttp(url, exc, self._timeout_s)) from exc

    @staticmethod
    async def _read(url: str, resp: aiohttp.ClientResponse, cap: int, truncate: bool) -> tuple[bytes, bool]:
        """The (decompressed) body, refused — or cut, with ``truncate`` — as soon as it passes ``cap``."""
        declared = resp.headers.get("content-length", "")
        if (not truncate and declared.isdigit() and int(declared) > cap
                and "content-encoding" not in resp.headers):
            raise too_big(url, cap)
        chunks: list[bytes] = []
        size = 0
        async for chunk in resp.content.iter_chunked(_READ_CHUNK):
            size += len(chunk)
            chunks.append(chunk)
            if size > cap:
                if not truncate:
                    raise too_big(url, cap)
                return b"".join(chunks)[:cap], True
        return b"".join(chunks), False

    async def aclose(self) -> None:
        await self._session.close()


# -- error mapping --------------------------------------------------------------------------


def _host(url: str) -> str:
    try:
        return URL(url).host or url
    except ValueError:
        return url


def _map_aiohttp(url: str, exc: BaseException, timeout_s: float) -> FetchError:
    """An aiohttp exception as our error: short Chinese reason, and whether to retry."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.InvalidURL) or not isinstance(exc, aiohttp.ClientError | OSError):
        return FetchError(url, f"网址无效: {detail}", transient=False)
    if isinstance(exc, aiohttp.ConnectionTimeoutError):
        return FetchError(url, f"连接超时（{timeout_s:g} 秒）", transient=True)
    if isinstance(exc, aiohttp.ServerTimeoutError | asyncio.TimeoutError):
        return FetchError(url, f"请求超时（{timeout_s:g} 秒）", transient=True)
    if isinstance(exc, aiohttp.ClientSSLError | ssl.SSLError):
        return FetchError(url, f"证书或 TLS 错误: {detail}", transient=False)
    if isinstance(exc, aiohttp.ClientConnectorError | OSError):
        return map_os_error(url, exc, detail)
    if isinstance(exc, aiohttp.ClientPayloadError):
        if "encoding" in detail.lower() or "decompress" in detail.lower():
            return FetchError(url, f"内容解码失败（压缩数据损坏）: {detail}", transient=False)
        return FetchError(url, f"服务器响应不完整: {detail}", transient=True)
    if isinstance(exc, aiohttp.ServerDisconnectedError | aiohttp.ClientOSError):
        return FetchError(url, f"连接中断: {detail}", transient=True)
    if isinstance(exc, aiohttp.ClientResponseError):
        return FetchError(url, f"服务器响应不完整: {detail}", transient=True)
    return FetchError(url, f"请求失败（{type(exc).__name__}）: {detail}", transient=True)


def map_os_error(url: str, exc: BaseException, detail: str) -> FetchError:
    for cause in _causes(exc):
        if isinstance(cause, socket.gaierror):
            # EAI_AGAIN is a resolver hiccup; "no such name" will not change in a second.
            return FetchError(url, f"域名解析失败: {_host(url)}", transient=cause.errno == socket.EAI_AGAIN)
        if isinstance(cause, ConnectionRefusedError):
            return FetchError(url, "连接被拒绝", transient=True)
        if isinstance(cause, ssl.SSLError):
            return FetchError(url, f"证书或 TLS 错误: {detail}", transient=False)
    if isinstance(exc, aiohttp.ClientConnectorError):
        return FetchError(url, f"连接失败: {detail}", transient=True)
    return FetchError(url, f"连接中断: {detail}", transient=True)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        os_error = getattr(current, "os_error", None)     # aiohttp's ClientConnectorError keeps it here
        if isinstance(os_error, BaseException) and id(os_error) not in seen:
            seen.add(id(os_error))
            yield os_error
        current = current.__cause__ or current.__context__
