"""Plain data that flows through the pipeline: targets, what was observed on them, findings.

fetch → extract gives ``PageView``; inspecting a target gives an ``Observation``
(or an ``InspectionError``); rules turn observations into ``Finding``s. None of
these types touch the database or the network, so every stage is testable alone (a
round's findings wait in a temporary file of their own, ``HeldFindings``).
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from monitor.held import HeldFindings

Severity = Literal["yellow", "red"]
SEVERITY_RANK: dict[str, int] = {"yellow": 1, "red": 2}

TargetKind = Literal["site", "column", "account", "page", "link", "policy"]


@dataclass(frozen=True, slots=True)
class TargetRef:
    """What a finding is about. ``id`` is the config id for site/column/account, else an absolute URL."""

    kind: str
    id: str
    name: str = ""
    url: str = ""

    @property
    def key(self) -> tuple[str, str]:
        return (self.kind, self.id)

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind, "id": self.id, "name": self.name, "url": self.url}


@dataclass(frozen=True, slots=True)
class Item:
    """One entry of a list page or feed."""

    title: str
    url: str
    date: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {"title": self.title, "url": self.url,
                "date": self.date.isoformat() if self.date else None}


def flat_items(items: Iterable[Item]) -> list[str | int | date | None]:
    """Items as one flat list (title, address, day number) for pickling a list of thousands.

    Pickle remembers every object it writes or reads until the whole object is done, and an Item
    costs it a tuple, a dict and a date's own tuple and bytes: 3 MB at once for the 6,233 entries
    of one big column page. Here each costs only its day number.
    """
    flat: list[str | int | date | None] = []
    for item in items:
        day = item.date
        flat += (item.title, item.url, day.toordinal() if type(day) is date else day)
    return flat


def items_of(flat: list[Any]) -> list[Item]:
    """The Items ``flat_items`` flattened."""
    return [Item(flat[k], flat[k + 1], date.fromordinal(day) if type(day := flat[k + 2]) is int else day)
            for k in range(0, len(flat), 3)]


@dataclass(frozen=True, slots=True)
class Listing:
    """A column's entries as the policy check read them back through its pages (a policy scan's
    ``listed`` fact, for ``monitor stats``): thousands on a big portal, so Items, not dicts."""

    column: str | None
    unit: str | None
    category: str
    items: list[Item]

    def __reduce__(self) -> tuple[Any, ...]:
        return _listing, (self.column, self.unit, self.category, flat_items(self.items))


def _listing(column: str | None, unit: str | None, category: str, flat: list[Any]) -> Listing:
    return Listing(column, unit, category, items_of(flat))


@dataclass(slots=True)
class PageView:
    """What the monitor sees on one page (``monitor probe``)."""

    url: str
    status: int
    encoding: str | None
    kind: Literal["list", "article", "feed", "other"]
    items: list[Item] = field(default_factory=list)
    published: date | None = None
    links: int = 0
    blank: bool = False          # the page says it has no entries (暂无信息 …)
    notes: list[str] = field(default_factory=list)

    @property
    def latest(self) -> date | None:
        dates = [i.date for i in self.items if i.date]
        return max(dates) if dates else None

    def to_json(self) -> dict[str, Any]:
        latest = self.latest
        return {
            "url": self.url, "status": self.status, "encoding": self.encoding, "kind": self.kind,
            "items": [i.to_json() for i in self.items],
            "latest": latest.isoformat() if latest else None,
            "published": self.published.isoformat() if self.published else None,
            "links": self.links,
            "blank": self.blank,
            "notes": self.notes,
        }


@dataclass(slots=True)
class Observation:
    """The result of inspecting one target successfully: the facts rules look at.

    ``facts`` carries kind-specific data (e.g. ``category`` for columns, ``platform``
    for accounts) so one observation type serves every target kind.
    """

    target: TargetRef
    unit: str
    items: list[Item] = field(default_factory=list)
    blank: bool = False
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def latest_item(self) -> Item | None:
        dated = [i for i in self.items if i.date]
        return max(dated, key=lambda i: i.date) if dated else None  # type: ignore[arg-type,return-value]

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (``HeldObservations``) with its items flat: a column page may list thousands."""
        return _observation, (self.target, self.unit, flat_items(self.items), self.blank, self.facts)


def _observation(target: TargetRef, unit: str, flat: list[Any], blank: bool, facts: dict[str, Any]) -> Observation:
    return Observation(target, unit, items_of(flat), blank, facts)


@dataclass(slots=True)
class InspectionError:
    """A target that could not be inspected: never a finding, never a silent pass.

    ``facts`` are what the configuration says about the target (an account's platform),
    so that messages about a blind target can still name it fully.
    """

    target: TargetRef
    unit: str
    error: str
    facts: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"target": self.target.to_json(), "unit": self.unit, "error": self.error}


@dataclass(frozen=True, slots=True)
class Probe:
    """One availability probe of a site's homepage: when, whether it answered, how fast."""

    at: datetime
    ok: bool
    seconds: float
    status: int | None = None
    error: str | None = None


@dataclass(slots=True)
class Finding:
    """One rule violated by one target."""

    rule: str
    severity: Severity
    target: TargetRef
    unit: str
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    @property
    def fingerprint(self) -> tuple[str, str, str]:
        return (self.rule, self.target.kind, self.target.id)

    def to_json(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "target": self.target.to_json(),
                "unit": self.unit, "message": self.message, "evidence": self.evidence}


@dataclass(slots=True)
class InspectionStats:
    pages: int = 0
    links_checked: int = 0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"seconds": round(self.seconds, 1)}


class Observed:
    """The observations of a target that covers many others (a site crawl), and what else it learnt.

    A crawl returns observations only for what needs judging (dead links, pages with
    hits); ``covers`` answers for every other page or link it inspected, ``errors`` lists
    the URLs it could not judge. ``claims_target`` False: the target's own key says
    nothing (the crawl of a site must not vouch for the site's homepage check).

    The observations are read once, and may be made as they are read (a big site's
    thousand dead links, each with its linking pages, go to disk one by one).
    """

    def __init__(self, observations: Iterable[Observation] = (), *,
                 covers: Container[tuple[str, str]] | None = None, errors: Iterable[InspectionError] = (),
                 links_checked: int = 0, claims_target: bool = True) -> None:
        self._observations = observations
        self.covers = covers
        self.errors = list(errors)
        self.links_checked = links_checked
        self.claims_target = claims_target

    def __iter__(self) -> Iterator[Observation]:
        return iter(self._observations)


@dataclass(slots=True)
class Inspection:
    """Everything one pass produced: findings, errors, and which targets were seen at all.

    ``findings`` wait on disk (``HeldFindings``): a whole-site round has thousands, each dead
    link's with its linking pages. ``inspected`` holds the keys of targets inspected successfully,
    ``covered`` the compact answers of site crawls for their pages and links; the alert engine
    resolves an alert only when ``saw`` its target (an error never resolves).
    """

    now: datetime
    findings: HeldFindings = field(default_factory=HeldFindings)
    errors: list[InspectionError] = field(default_factory=list)
    inspected: set[tuple[str, str]] = field(default_factory=set)
    stats: InspectionStats = field(default_factory=InspectionStats)
    covered: list[Container[tuple[str, str]]] = field(default_factory=list)

    def __repr__(self) -> str:
        """Counts only: ``asyncio.run`` formats its main task's result (twice, as it puts back the SIGINT
        handler), and the full repr of a whole-site round was megabytes — that round's peak memory."""
        return (f"Inspection(now={self.now.isoformat()}, findings={len(self.findings)}, errors={len(self.errors)}, "
                f"inspected={len(self.inspected)}, stats={self.stats})")

    def saw(self, key: tuple[str, str]) -> bool:
        """Whether this pass inspected the target with this key successfully."""
        return key in self.inspected or any(key in c for c in self.covered)
