"""``HttpxWire``: the ``Wire`` over an ``httpx`` transport that a test injects (``MockTransport``,
respx), so narrow behaviour is tested without sockets. Imported only then: httpx costs every
command a fifth of a second to import."""

from __future__ import annotations

import httpx

from monitor.errors import FetchError
from monitor.transport import Raw, WireFailure, map_os_error, status_reason, too_big


class HttpxWire:
    """httpx client over an injected transport (tests)."""

    def __init__(self, transport: httpx.AsyncBaseTransport, concurrency: int, timeout_s: float,
                 headers: dict[str, str]) -> None:
        self._timeout_s = timeout_s
        self._client = httpx.AsyncClient(
            transport=transport, trust_env=False, follow_redirects=False, timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
            headers=headers)

    async def exchange(self, method: str, url: str, headers: dict[str, str], *, read_body: bool,
                       cap: int, truncate: bool) -> Raw:
        try:
            async with self._client.stream(method, url, headers=headers) as resp:
                content, truncated = b"", False
                if read_body and 200 <= resp.status_code < 300:
                    chunks: list[bytes] = []
                    size = 0
                    async for chunk in resp.aiter_bytes():
                        size += len(chunk)
                        chunks.append(chunk)
                        if size > cap:
                            if not truncate:
                                raise too_big(url, cap)
                            truncated = True
                            break
                    content = b"".join(chunks)[:cap]
                return Raw(str(resp.url), resp.status_code, status_reason(resp.status_code, resp.reason_phrase),
                           {k.lower(): v for k, v in resp.headers.items()}, content, truncated)
        except httpx.HTTPError as exc:
            raise WireFailure(_map_httpx(url, exc, self._timeout_s)) from exc
        except httpx.InvalidURL as exc:
            raise WireFailure(FetchError(url, f"网址无效: {exc}", transient=False)) from exc

    async def aclose(self) -> None:
        await self._client.aclose()


def _map_httpx(url: str, exc: httpx.HTTPError, timeout_s: float) -> FetchError:
    """An httpx exception as our error (see ``_map_aiohttp``)."""
    detail = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchError(url, f"连接超时（{timeout_s:g} 秒）", transient=True)
    if isinstance(exc, httpx.TimeoutException):
        return FetchError(url, f"请求超时（{timeout_s:g} 秒）", transient=True)
    if isinstance(exc, httpx.ConnectError):
        if "ssl" in detail.lower() or "certificate" in detail.lower():
            return FetchError(url, f"证书或 TLS 错误: {detail}", transient=False)
        return map_os_error(url, exc, detail)
    if isinstance(exc, httpx.RemoteProtocolError):
        return FetchError(url, f"服务器响应不完整: {detail}", transient=True)
    if isinstance(exc, httpx.DecodingError):
        return FetchError(url, f"内容解码失败（压缩数据损坏）: {detail}", transient=False)
    if isinstance(exc, httpx.UnsupportedProtocol):
        return FetchError(url, f"网址无效: {detail}", transient=False)
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return FetchError(url, f"连接中断: {detail}", transient=True)
    return FetchError(url, f"请求失败（{type(exc).__name__}）: {detail}", transient=True)
