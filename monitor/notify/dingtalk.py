"""DingTalk custom robot (钉钉自定义机器人): signed markdown messages to one group.

The robot answers HTTP 200 even when it refuses a message: ``errcode`` ≠ 0 is the
failure, and its code says what kind —

- 130101 sent too fast (over 20 a minute, then throttled for 10 minutes): retry later;
- 310000 signature, keyword, timestamp or IP whitelist refused: permanent until the
  configuration is fixed, for every message — reported loudly;
- 460101 message over 20,000 bytes: permanent for that message (notices are split
  before they are queued, so this means a bug).

The robot has no idempotency key: a message it accepted but whose answer we never
saw cannot be recognised, so each message carries the outbox number (编号) in its
footer for people to spot a rare duplicate (README, 送达保证).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx

from monitor.config import DingTalkSettings
from monitor.notify.base import Message, Transport, TransportError, redact

log = logging.getLogger(__name__)

PER_MINUTE = 20                      # DingTalk's limit per robot
MAX_BYTES = 18_000                   # DingTalk refuses over 20,000 bytes; room for the footer and JSON
THROTTLED_FOR = timedelta(minutes=10)
TIMEOUT_S = 10.0
SEPARATOR = "\n\n---\n\n"

_TEMPORARY = {130101: "钉钉限流：机器人每分钟最多发送20条", -1: "钉钉系统繁忙"}
_PERMANENT_CHANNEL = {300001: "机器人 access_token 无效：请核对 Webhook 地址",
                      400101: "机器人 access_token 不存在：请核对 Webhook 地址",
                      400102: "机器人已停用：请在群设置中启用或重新添加",
                      410100: "机器人所在群已解散或机器人已被移除"}
_PERMANENT_MESSAGE = {460101: "消息超过钉钉的20000字节上限"}
_SECURITY = (("sign", "签名不匹配：请核对 [notify.dingtalk] secret（加签密钥）"),
             ("keyword", "消息不含机器人安全设置中的自定义关键词：请核对 [notify.dingtalk] keyword"),
             ("whitelist", "本机 IP 不在机器人的 IP 白名单中：请在机器人安全设置中添加本机出口 IP"),
             ("timestamp", "时间戳无效：请校准服务器时钟（与钉钉相差不得超过1小时）"))


def sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's 加签: base64(HMAC-SHA256(key=secret, "timestamp\\nsecret")); the URL encoding is httpx's."""
    digest = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def _security_reason(errmsg: str) -> str:
    lowered = errmsg.lower()
    reason = next((text for word, text in _SECURITY if word in lowered), "机器人安全设置拒绝了消息")
    return f"{reason}（errcode 310000：{redact(errmsg)[:160]}）"


def classify(errcode: int, errmsg: str) -> TransportError:
    """Turn a refusal into a temporary or permanent error (see the module docstring)."""
    if errcode == 310000:
        return TransportError(_security_reason(errmsg), permanent=True, channel_wide=True)
    if errcode in _TEMPORARY:
        after = THROTTLED_FOR if errcode == 130101 else None
        return TransportError(f"{_TEMPORARY[errcode]}（errcode {errcode}）", channel_wide=True, retry_after=after)
    if errcode in _PERMANENT_CHANNEL:
        return TransportError(f"{_PERMANENT_CHANNEL[errcode]}（errcode {errcode}）", permanent=True,
                              channel_wide=True)
    if errcode in _PERMANENT_MESSAGE:
        return TransportError(f"{_PERMANENT_MESSAGE[errcode]}（errcode {errcode}）", permanent=True)
    return TransportError(f"钉钉返回错误 errcode {errcode}：{redact(errmsg)[:160]}")


def part_text(message: Message) -> str:
    """One message's markdown with its @mentions: DingTalk notifies a mobile only if ``@mobile`` is in the text."""
    text = message.body
    if message.recipients:
        text += "\n\n" + " ".join(f"@{mobile}" for mobile in message.recipients)
    return text + (f"\n\n（通知编号 {message.id}）" if message.id else "")


def pack(messages: list[Message], max_bytes: int = MAX_BYTES) -> list[list[Message]]:
    """Merge consecutive messages into as few sends as the size limit allows, keeping their order."""
    batches: list[list[Message]] = []
    size = 0
    for message in messages:
        length = len(part_text(message).encode()) + len(SEPARATOR.encode())
        if batches and size + length <= max_bytes:
            batches[-1].append(message)
            size += length
        else:
            batches.append([message])
            size = length
    return batches


class DingTalk(Transport):
    channel: ClassVar[str] = "dingtalk"
    label: ClassVar[str] = "钉钉"
    per_minute: ClassVar[int | None] = PER_MINUTE

    def __init__(self, settings: DingTalkSettings, *, timeout_s: float = TIMEOUT_S,
                 wall_clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self._wall_clock = wall_clock      # the signature must be fresh in real time, even under --now
        self._client = httpx.Client(timeout=timeout_s)
        _install_redaction()

    def plan(self, messages: list[Message], budget: int | None) -> tuple[list[list[Message]], list[Message]]:
        """One send per message while the minute's budget allows; beyond it, merge (DingTalk's own advice)."""
        if budget is None or len(messages) <= budget:
            return [[m] for m in messages], []
        if budget <= 0:
            return [], list(messages)
        batches = pack(messages)
        return batches[:budget], [m for batch in batches[budget:] for m in batch]

    def payload(self, batch: list[Message]) -> dict[str, Any]:
        title = batch[0].subject if len(batch) == 1 else f"政务公开巡检通知（{len(batch)}份合并发送）"
        text = SEPARATOR.join(part_text(m) for m in batch)
        keyword = self.settings.keyword
        if keyword and keyword not in text:
            text += f"\n\n{keyword}"
        mobiles = list(dict.fromkeys(mobile for m in batch for mobile in m.recipients))
        return {"msgtype": "markdown", "markdown": {"title": title, "text": text},
                "at": {"atMobiles": mobiles, "isAtAll": False}}

    def send(self, batch: list[Message], now: datetime) -> None:
        params: dict[str, str] = {}
        if self.settings.secret:
            stamp = int(self._wall_clock() * 1000)
            params = {"timestamp": str(stamp), "sign": sign(self.settings.secret, stamp)}
        try:
            url = httpx.URL(self.settings.webhook).copy_merge_params(params)    # keep the access_token
            response = self._client.post(url, json=self.payload(batch))
        except httpx.TimeoutException:
            raise TransportError("钉钉无应答（超时）", channel_wide=True) from None
        except httpx.HTTPError as exc:
            raise TransportError(f"无法连接钉钉：{type(exc).__name__} {redact(str(exc))[:160]}",
                                 channel_wide=True) from None
        self._check(response)

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code >= 500 or response.status_code == 429:
            raise TransportError(f"钉钉服务暂时不可用（HTTP {response.status_code}）", channel_wide=True)
        if response.status_code != 200:
            raise TransportError(f"钉钉拒绝请求（HTTP {response.status_code}）：请核对 Webhook 地址",
                                 permanent=True, channel_wide=True)
        try:
            answer = response.json()
            errcode = int(answer.get("errcode", 0))
        except (ValueError, AttributeError, TypeError):
            raise TransportError("钉钉的应答不是预期的 JSON", channel_wide=True) from None
        if errcode != 0:
            raise classify(errcode, str(answer.get("errmsg", "")))

    def describe(self, batch: list[Message]) -> str:
        mobiles = [mobile for m in batch for mobile in m.recipients]
        return "钉钉群" + (" @" + " @".join(dict.fromkeys(mobiles)) if mobiles else "")

    def close(self) -> None:
        self._client.close()


class _RedactSecrets(logging.Filter):
    """httpx logs every request URL at INFO; the webhook's access_token and sign must not reach the log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def _install_redaction() -> None:
    for name in ("httpx", "httpcore"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactSecrets) for f in logger.filters):
            logger.addFilter(_RedactSecrets())
