"""A first-in-first-out queue that keeps a few hundred items in memory and the rest on disk.

The crawl's breadth-first queue holds, at its widest, nearly every article URL of a site
at once (all list pages sit at depth 1 and announce their articles before any is read):
kept in memory, that alone grows by tens of megabytes from 20,000 to 100,000 pages. Here
the oldest ``chunk`` items (the next to be taken) and the newest ``chunk`` (being added)
stay in memory; everything between is pickled, a chunk at a time, to an anonymous
temporary file that disappears when the queue is closed. A queue that never outgrows one
chunk never touches the disk.
"""

from __future__ import annotations

import pickle
import tempfile
from collections import deque
from collections.abc import Iterator
from typing import IO, Generic, TypeVar

T = TypeVar("T")

CHUNK = 256         # items per pickled chunk; four chunks (two queues, both ends) stay in memory, about 0.2 MB


class SpillQueue(Generic[T]):
    """Items come back in the order they were added; those that went through the disk as copies."""

    def __init__(self, chunk: int | None = None) -> None:
        self._chunk = chunk or CHUNK
        self._front: deque[T] = deque()      # the oldest items
        self._back: list[T] = []             # the newest, written out when a chunk is full
        self._file: IO[bytes] | None = None
        self._read_at = 0
        self._chunks_on_disk = 0
        self._len = 0

    def __len__(self) -> int:
        return self._len

    def append(self, item: T) -> None:
        self._len += 1
        if not self._chunks_on_disk and not self._back and len(self._front) < self._chunk:
            self._front.append(item)
            return
        self._back.append(item)
        if len(self._back) >= self._chunk:
            self._write_back()

    def popleft(self) -> T:
        """The oldest item; ``IndexError`` when the queue is empty."""
        if not self._front:
            self._refill()
        item = self._front.popleft()
        self._len -= 1
        return item

    def __iter__(self) -> Iterator[T]:
        """Every item, oldest first, leaving them all in place (a chunk of the file in memory at a
        time). Nothing may be added or taken while it runs."""
        yield from self._front
        if self._file is not None:
            at = self._read_at
            for _ in range(self._chunks_on_disk):
                self._file.seek(at)
                chunk = pickle.load(self._file)
                at = self._file.tell()
                yield from chunk
        yield from self._back

    def drain(self) -> Iterator[T]:
        """Every item, oldest first, leaving the queue empty."""
        while self._len:
            yield self.popleft()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _write_back(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="monitor-crawl-")  # noqa: SIM115 (closed by close())
        self._file.seek(0, 2)
        pickle.dump(self._back, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self._back = []
        self._chunks_on_disk += 1

    def _refill(self) -> None:
        if self._chunks_on_disk and self._file is not None:
            self._file.seek(self._read_at)
            self._front.extend(pickle.load(self._file))
            self._read_at = self._file.tell()
            self._chunks_on_disk -= 1
            if not self._chunks_on_disk:          # all read back: start the file over
                self._file.seek(0)
                self._file.truncate()
                self._read_at = 0
        else:
            self._front.extend(self._back)
            self._back = []
