"""The record of inspection rounds: start, finish with what was seen, and recover after a crash.

A round is ``running`` from ``start_round`` until ``finish_round`` stores its
observations (one row per inspected target, ``ok=False`` for each error), its findings
and the published items they show (``items``, for ``monitor stats``) in one go. An
observation's row names its entries only by digests of their addresses (``shown``): the
entries themselves are rows of ``items``, and one Hanweb column page may list thousands. A daemon
killed mid-round leaves it ``running``; ``abandon_stale_rounds`` marks such rounds
``abandoned`` at the next start, so no half-round is ever read as done.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterable, Iterator
from datetime import datetime
from hashlib import blake2b
from itertools import islice
from typing import Any

from sqlalchemy import case, func, insert, select, update
from sqlalchemy.orm import Session

from monitor.domain import Finding, Inspection, InspectionError, Observation
from monitor.store.items import record_items
from monitor.store.tables import FindingRow, ObservationRow, RoundKind, RoundRow

_ROWS = 500     # rows per INSERT: a whole-site round has thousands, each with its JSON facts
_ENTRIES = 2000     # and entries: one column page may list thousands, each unpickled while its batch is written
_DIGEST = 8     # bytes of BLAKE2b per address in a row's ``url_digests``
# Facts whose record is elsewhere: a policy scan's ``listed`` (every document and interpretation
# its columns list, thousands on a big portal) becomes rows of ``items``, not a copy in its row.
_NOT_IN_ROW = frozenset({"listed"})

log = logging.getLogger(__name__)

def start_round(session: Session, kind: RoundKind, now: datetime) -> int:
    """Record a new running round and return its id."""
    row = RoundRow(kind=kind, started_at=now, status="running")
    session.add(row)
    session.flush()
    return row.id


def finish_round(
    session: Session,
    round_id: int,
    inspection: Inspection,
    observations: Iterable[Observation],
    now: datetime,
    *,
    finished_at: datetime | None = None,
) -> None:
    """Store the round's observations, errors and findings, its counts, and mark it done.

    ``now`` is the instant the round observed; ``finished_at`` (default ``now``) when it ended.
    """
    row = session.get(RoundRow, round_id)
    if row is None:
        raise LookupError(f"round {round_id} does not exist")
    if row.status == "done":
        raise ValueError(f"round {round_id} is already done")
    if row.status == "abandoned":
        # Another process gave up on it, but its results are real: keep them.
        log.warning("finishing a round marked abandoned", extra={"round_id": round_id})
    for batch in _batches(observations):
        session.execute(insert(ObservationRow), [_observation(round_id, o) for o in batch])
    _insert(session, ObservationRow, (_error(round_id, e) for e in inspection.errors))
    _insert(session, FindingRow, (_finding(round_id, f) for f in inspection.findings))
    record_items(session, observations, now)
    row.status = "done"
    row.finished_at = finished_at or now
    row.pages = inspection.stats.pages
    row.links_checked = inspection.stats.links_checked
    row.seconds = inspection.stats.seconds
    row.findings = len(inspection.findings)
    row.errors = len(inspection.errors)
    session.flush()


def abandon_stale_rounds(
    session: Session, now: datetime, *, started_before: datetime | None = None
) -> int:
    """Mark running rounds abandoned (all, or those started before ``started_before``)."""
    statement = update(RoundRow).where(RoundRow.status == "running")
    if started_before is not None:
        statement = statement.where(RoundRow.started_at < started_before)
    result = session.execute(
        statement.values(status="abandoned", finished_at=now),
        execution_options={"synchronize_session": False},
    )
    count: int = getattr(result, "rowcount", 0)
    if count:
        log.warning("abandoned unfinished rounds", extra={"count": count})
    return count


def abandon_round(session: Session, round_id: int, now: datetime) -> bool:
    """Mark one round abandoned if it is still running (it stopped early, on purpose or not)."""
    result = session.execute(
        update(RoundRow).where(RoundRow.id == round_id, RoundRow.status == "running")
        .values(status="abandoned", finished_at=now),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


def consecutive_failures(session: Session, target_kind: str, target_id: str) -> int:
    """How many of the latest done rounds that looked at this target, in a row, could not inspect it.

    Rounds that did not look at the target at all (a recheck of another target) neither
    count nor break the run; a round with any ok observation of it does break it.
    ``monitor check`` runs are not rounds: an operator trying a config twice must not
    make a target look blind for two rounds.
    """
    any_ok = func.max(case((ObservationRow.ok, 1), else_=0))
    statement = (
        select(any_ok)
        .join(RoundRow, RoundRow.id == ObservationRow.round_id)
        .where(ObservationRow.target_kind == target_kind,
               ObservationRow.target_id == target_id,
               RoundRow.status == "done",
               RoundRow.kind != "check")
        .group_by(ObservationRow.round_id)
        .order_by(ObservationRow.round_id.desc())
    )
    failures = 0
    for ok in session.scalars(statement):
        if ok:
            break
        failures += 1
    return failures


def _insert(session: Session, table: type[ObservationRow | FindingRow], rows: Iterable[dict[str, Any]]) -> None:
    """INSERT ``rows`` ``_ROWS`` at a time: a whole-site round has thousands of findings and errors,
    and every row's JSON is encoded while its statement runs."""
    pending = iter(rows)
    while chunk := list(islice(pending, _ROWS)):
        session.execute(insert(table), chunk)


def _batches(observations: Iterable[Observation]) -> Iterator[list[Observation]]:
    """The observations in INSERT batches of at most ``_ROWS`` rows or about ``_ENTRIES`` entries: those
    of their rows, and a policy scan's listing, which its row leaves out but the batch holds all the same."""
    batch: list[Observation] = []
    entries = 0
    for observation in observations:
        batch.append(observation)
        entries += len(observation.items) + sum(len(listing.items) for listing in observation.facts.get("listed", ()))
        if len(batch) >= _ROWS or entries >= _ENTRIES:
            yield batch
            batch, entries = [], 0
    if batch:
        yield batch


def _observation(round_id: int, observation: Observation) -> dict[str, Any]:
    latest = observation.latest_item
    return {
        "round_id": round_id,
        "target_kind": observation.target.kind,
        "target_id": observation.target.id,
        "ok": True,
        "error": None,
        "latest": latest.date if latest else None,
        "item_count": len(observation.items),
        "data": {
            "unit": observation.unit,
            "blank": observation.blank,
            "facts": {k: v for k, v in observation.facts.items() if k not in _NOT_IN_ROW},
            "url_digests": url_digests(item.url for item in observation.items),
        },
    }


def url_digests(urls: Iterable[str]) -> str:
    """The addresses an observation showed, for comparing rounds (``shown``): 8 bytes of BLAKE2b
    each, in base64 — 11 characters an entry where the entry itself took 120 in the row."""
    digests = bytearray()
    for url in urls:
        digests += _digest(url)
    return base64.b64encode(digests).decode("ascii")


def shown(data: dict[str, Any] | None) -> set[bytes]:
    """The digests of the addresses a stored observation showed. Rows stored before ``url_digests``
    held the entries themselves (``items``)."""
    data = data or {}
    if "url_digests" not in data:
        return {_digest(item["url"]) for item in data.get("items", [])}
    raw = base64.b64decode(data["url_digests"])
    return {raw[k:k + _DIGEST] for k in range(0, len(raw), _DIGEST)}


def _digest(url: str) -> bytes:
    return blake2b(url.encode("utf-8"), digest_size=_DIGEST).digest()


def _error(round_id: int, error: InspectionError) -> dict[str, Any]:
    return {
        "round_id": round_id,
        "target_kind": error.target.kind,
        "target_id": error.target.id,
        "ok": False,
        "error": error.error,
        "latest": None,
        "item_count": 0,
        "data": {"unit": error.unit},
    }


def _finding(round_id: int, finding: Finding) -> dict[str, Any]:
    return {
        "round_id": round_id,
        "rule": finding.rule,
        "severity": finding.severity,
        "target_kind": finding.target.kind,
        "target_id": finding.target.id,
        "target_name": finding.target.name,
        "target_url": finding.target.url,
        "unit_id": finding.unit,
        "message": finding.message,
        "evidence": finding.evidence,
    }
