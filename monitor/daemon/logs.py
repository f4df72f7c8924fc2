"""The daemon's log lines: one line per event, ``key=value`` fields (or one JSON object each).

Fields come from ``extra={…}`` on the logging call, so code logs facts, not formatted
prose. Loggers that would print every HTTP request (and with it a webhook's token) are
kept at WARNING; nothing here ever receives a secret.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from typing import Any

FORMATS = ("kv", "json")
QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "alembic")
_STANDARD = {*vars(logging.LogRecord("", 0, "", 0, "", (), None)), "message", "asctime"}


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    """The ``extra`` fields of a record, in the order they were given."""
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and v is not None}


def _timestamp(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created).astimezone().isoformat(timespec="milliseconds")


def _value(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if text and not any(ch in text for ch in ' "=\n\t'):
        return text
    return json.dumps(text, ensure_ascii=False)


class KeyValueFormatter(logging.Formatter):
    """``2026-11-23T02:00:41.200+08:00 INFO monitor.daemon.runtime: job finished job=round status=ok …``"""

    def format(self, record: logging.LogRecord) -> str:
        parts = [f"{_timestamp(record)} {record.levelname} {record.name}: {record.getMessage()}"]
        parts += [f"{key}={_value(value)}" for key, value in fields_of(record).items()]
        line = " ".join(parts)
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"ts": _timestamp(record), "level": record.levelname, "logger": record.name,
                                "message": record.getMessage(), **fields_of(record)}
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def configure(fmt: str) -> None:
    """Send every log line to stderr (journald collects it) in ``fmt``; INFO unless -vv asked for DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else KeyValueFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(min(logging.INFO, root.level or logging.INFO))
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
