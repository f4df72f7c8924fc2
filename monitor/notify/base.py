"""What every channel shares: the message handed to it, its error, and how secrets are hidden.

A transport sends one batch (usually one message; DingTalk may merge several) and
either returns or raises ``TransportError``. The error says whether a retry can help
(``permanent``) and whether it concerns the whole channel (``channel_wide``: a wrong
secret, a throttled robot, a server that is down — no point trying the next message now).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

CHANNEL_NAMES = {"dingtalk": "钉钉", "email": "邮件"}


@dataclass(frozen=True)
class Message:
    """One outbox row as a channel sees it."""

    id: int
    key: str
    kind: str
    subject: str
    body: str
    html: str | None = None
    recipients: tuple[str, ...] = ()
    unit_id: str | None = None
    priority: int = 1
    alert_ids: tuple[int, ...] = field(default=())


class TransportError(Exception):
    """A failed send. The message is for the operator and never contains a secret."""

    def __init__(self, reason: str, *, permanent: bool = False, channel_wide: bool = False,
                 retry_after: timedelta | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.channel_wide = channel_wide
        self.retry_after = retry_after


class Transport:
    """A channel. ``per_minute`` is its provider's rate limit (None: none we must respect)."""

    channel: ClassVar[str] = ""
    label: ClassVar[str] = ""
    per_minute: ClassVar[int | None] = None

    def plan(self, messages: list[Message], budget: int | None) -> tuple[list[list[Message]], list[Message]]:
        """Group due messages into sends; return (batches to send now, messages to keep for later)."""
        if budget is None:
            return [[m] for m in messages], []
        return [[m] for m in messages[:budget]], messages[budget:]

    def send(self, batch: list[Message], now: datetime) -> None:
        raise NotImplementedError

    def describe(self, batch: list[Message]) -> str:
        """Who received the batch, for the alert history (never a secret)."""
        return ", ".join(r for m in batch for r in m.recipients)

    def close(self) -> None:
        """Release connections kept between sends."""


_SECRET_PARAMS = re.compile(r"(?i)\b(access_token|sign|secret|password|token)=([^&\s'\"]+)")


def redact(text: str) -> str:
    """Mask secret-bearing query parameters in any text that might reach a log or a person."""
    return _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}=***", text)
