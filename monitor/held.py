"""A round's observations and findings, kept on disk from the moment they are made until they are used.

A whole-site round makes thousands of observations — every dead link with its linking
pages, every policy document with its interpretations, column pages listing thousands of
entries — and they grew with the site while they waited in memory for the rules and the
database. Here each one is pickled to an anonymous temporary file as its target finishes,
and read back one at a time, in a fixed order whatever order the targets finished in:
once for the rules, then once for each thing the store writes.

The findings the rules make of them — one per dead link, each with up to ten linking pages —
go to disk in turn (``HeldFindings``) and are read back for the store, the alert engine and
the report, in the orders the report needs.
"""

from __future__ import annotations

import pickle
import sqlite3
import tempfile
import weakref
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain
from types import TracebackType
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:      # the domain's Inspection holds HeldFindings: no import of it at run time
    from monitor.domain import Finding, Observation, TargetRef


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


class HeldFindings:
    """Findings in a private temporary SQLite database, pickled, read back in the order they were
    added or in one of the report's orders. Its page cache is capped (``_CACHE_KIB``); the rest is
    on disk and goes when the object does. Empty, it opens nothing."""

    _CACHE_KIB = 512
    _SCHEMA = ("CREATE TABLE finding (seq INTEGER PRIMARY KEY, red INTEGER, unit TEXT, rule TEXT,"
               " target TEXT, data BLOB)",
               "CREATE INDEX report ON finding (red DESC, unit, rule, target, seq)",
               "CREATE INDEX by_unit ON finding (unit, red DESC, rule, target, seq)")

    def __init__(self, findings: Iterable[Finding] = ()) -> None:
        self._db: sqlite3.Connection | None = None
        self._closer: weakref.finalize | None = None
        self._len = 0
        self.add(findings)

    def add(self, findings: Iterable[Finding]) -> None:
        """Keep each finding as it comes (``findings`` may be a generator)."""
        pending = iter(findings)
        first = next(pending, None)
        if first is None:
            return
        rows = ((f.severity == "red", f.unit, f.rule, f.target.id, pickle.dumps(f, pickle.HIGHEST_PROTOCOL))
                for f in chain((first,), pending))
        db = self._open()
        with db:
            self._len += db.executemany("INSERT INTO finding (red, unit, rule, target, data) VALUES (?, ?, ?, ?, ?)",
                                        rows).rowcount

    def __len__(self) -> int:
        return self._len

    def __iter__(self) -> Iterator[Finding]:
        """In the order they were added."""
        return self._read("SELECT data FROM finding ORDER BY seq")

    def count(self, severity: str) -> int:
        return 0 if self._db is None else int(self._db.execute(
            "SELECT COUNT(*) FROM finding WHERE red = ?", (severity == "red",)).fetchone()[0])

    def in_report_order(self) -> Iterator[Finding]:
        """Red first, then by unit, rule and target id (``check --json``)."""
        return self._read("SELECT data FROM finding ORDER BY red DESC, unit, rule, target, seq")

    def units(self) -> list[str]:
        """The units with findings, those with the most red ones first (``check``'s text report)."""
        if self._db is None:
            return []
        return [unit for (unit,) in self._db.execute("SELECT unit FROM finding GROUP BY unit"
                                                     " ORDER BY SUM(red) DESC, unit")]

    def of_unit(self, unit: str) -> Iterator[Finding]:
        """One unit's findings, red first, then by rule and target id."""
        return self._read("SELECT data FROM finding WHERE unit = ? ORDER BY red DESC, rule, target, seq", (unit,))

    def close(self) -> None:
        if self._closer is not None:
            self._closer()

    def _read(self, query: str, args: tuple[str, ...] = ()) -> Iterator[Finding]:
        if self._db is None:
            return iter(())
        return (pickle.loads(data) for (data,) in self._db.execute(query, args))

    def _open(self) -> sqlite3.Connection:
        if self._db is None:
            # "": a private database on disk, deleted on close. A daemon's round may end in another
            # thread than the one that drops it; one thread uses it at a time.
            self._db = sqlite3.connect("", check_same_thread=False)
            self._closer = weakref.finalize(self, self._db.close)
            self._db.execute(f"PRAGMA cache_size = -{self._CACHE_KIB}")
            for statement in self._SCHEMA:
                self._db.execute(statement)
        return self._db
