"""Stopping long work on request.

The daemon's SIGTERM sets a ``threading.Event``; a round or probe in progress runs its
asyncio work through ``until_stopped``, which cancels it at once (fetches are abandoned,
nothing of them is written) and raises ``Interrupted`` so the caller can record a clean end.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

from monitor.errors import Interrupted

T = TypeVar("T")

POLL_S = 0.1


async def until_stopped(work: Coroutine[Any, Any, T], stop: threading.Event | None) -> T:
    """Await ``work``; if ``stop`` is set first, cancel it and raise ``Interrupted``."""
    if stop is None:
        return await work
    task = asyncio.ensure_future(work)
    while not task.done():
        if stop.is_set():
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            raise Interrupted("守护进程正在停止，工作已中止")
        await asyncio.wait({task}, timeout=POLL_S)
    return task.result()
