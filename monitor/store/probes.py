"""Homepage availability probes in the database: every result is kept (site.unreachable, status)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, insert, select
from sqlalchemy.orm import Session

from monitor.domain import Probe
from monitor.store.tables import ProbeRow


@dataclass(frozen=True)
class SiteProbe:
    """One probe result with the site and URL it was taken on."""

    site_id: str
    url: str
    probe: Probe


def record_probes(session: Session, results: Iterable[SiteProbe]) -> int:
    """Store probe results; return how many."""
    rows = [{"site_id": r.site_id, "url": r.url, "at": r.probe.at, "ok": r.probe.ok, "status": r.probe.status,
             "seconds": r.probe.seconds, "error": r.probe.error} for r in results]
    if rows:
        session.execute(insert(ProbeRow), rows)
    return len(rows)


def probe_history(session: Session, site_id: str, since: datetime, until: datetime) -> list[Probe]:
    """The site's probes taken after ``since`` and up to ``until``, oldest first."""
    rows = session.scalars(select(ProbeRow).where(ProbeRow.site_id == site_id, ProbeRow.at > since,
                                                  ProbeRow.at <= until).order_by(ProbeRow.at, ProbeRow.id))
    return [Probe(r.at, r.ok, r.seconds, r.status, r.error) for r in rows]


def last_probe_at(session: Session) -> datetime | None:
    """When any site was last probed: the daemon's catch-up looks at it after a restart."""
    return session.scalar(select(func.max(ProbeRow.at)))


@dataclass(frozen=True)
class ProbeSummary:
    site_id: str
    probes: int
    failed: int           # not ok, or slower than ``slow_s``
    last: Probe | None


def probe_summaries(session: Session, since: datetime, until: datetime, slow_s: float) -> list[ProbeSummary]:
    """Per site: probes and failures in the window, and the latest probe (``monitor status``)."""
    bad = func.sum(case(((ProbeRow.ok.is_(False)) | (ProbeRow.seconds > slow_s), 1), else_=0))
    counts = session.execute(select(ProbeRow.site_id, func.count(), bad)
                             .where(ProbeRow.at > since, ProbeRow.at <= until)
                             .group_by(ProbeRow.site_id)).all()
    summaries = []
    for site_id, total, failed in counts:
        row = session.scalars(select(ProbeRow).where(ProbeRow.site_id == site_id, ProbeRow.at <= until)
                              .order_by(ProbeRow.at.desc(), ProbeRow.id.desc()).limit(1)).first()
        last = Probe(row.at, row.ok, row.seconds, row.status, row.error) if row else None
        summaries.append(ProbeSummary(site_id, total, int(failed or 0), last))
    return sorted(summaries, key=lambda s: s.site_id)
