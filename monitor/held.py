"""A round's observations, kept on disk from the moment their target is done until the round is stored.

A whole-site round makes thousands of observations — every dead link with its linking
pages, every policy document with its interpretations, column pages listing thousands of
entries — and they grew with the site while they waited in memory for the rules and the
database. Here each one is pickled to an anonymous temporary file as its target finishes,
and read back one at a time, in a fixed order whatever order the targets finished in:
once for the rules, then once for each thing the store writes.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from types import TracebackType
from typing import IO, Protocol

from monitor.domain import Observation, TargetRef


class _Targeted(Protocol):
    ref: TargetRef


class HeldObservations:
    """Observations in the order of their targets in ``targets`` (the configuration's), then by target
    id and kind; observations of targets not among them (documents, links, pages) come last.
    Iterable any number of times; use as a context manager (the file goes when it closes)."""

    def __init__(self, targets: Sequence[_Targeted]) -> None:
        self._order = {t.ref.key: i for i, t in enumerate(targets)}
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="monitor-observations-")  # noqa: SIM115 (close())
        self._index: list[tuple[int, str, str, int]] = []      # sort key, then where the pickle starts

    def rank(self, target_key: tuple[str, str]) -> int:
        """Where a target stands in the configuration's order (after all of it when not there)."""
        return self._order.get(target_key, len(self._order))

    def add(self, observations: Iterable[Observation]) -> set[tuple[str, str]]:
        """Keep each observation as it comes (``observations`` may be a generator) and return
        their targets' keys. All or nothing: if the iterable raises, none of it is kept."""
        self._file.seek(0, 2)
        start, keys = len(self._index), set()
        try:
            for obs in observations:
                keys.add(obs.target.key)
                self._index.append((self.rank(obs.target.key), obs.target.id, obs.target.kind, self._file.tell()))
                pickle.dump(obs, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        except BaseException:
            del self._index[start:]
            raise
        return keys

    def __len__(self) -> int:
        return len(self._index)

    def __iter__(self) -> Iterator[Observation]:
        self._index.sort()
        for *_, offset in self._index:
            self._file.seek(offset)
            yield pickle.load(self._file)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> HeldObservations:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
