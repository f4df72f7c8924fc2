"""The annual-report figures (政府信息公开工作年度报告) from the ``items`` table: ``monitor stats``.

Per year and unit: items published per column category, policy documents and how many are
linked both ways to an interpretation, interpretations and how many are graphic, H5 or
video. Every item counts once, in the year of its own date. How complete that is depends on
what the rounds saw, so the report says it: since when items are counted, which columns are
followed back through their pages, and where a column's first page turned over completely
between two rounds (items may have been missed there).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.policy.pairing import interpretation_form
from monitor.store.rounds import shown
from monitor.store.tables import ItemRow, ObservationRow, RoundRow

CATEGORY_ORDER = ("news", "notice", "policy", "interpretation", "personnel", "planning")
FORMS = ("text", "graphic", "h5", "video")
JUDGED = ("both", "one_way", "none")
PAGED = ("policy", "interpretation")      # categories the policy check follows back through their pages


@dataclass
class Figures:
    """The counts of one year for one unit (or for all units)."""

    items: Counter[str] = field(default_factory=Counter)        # by column category
    links: Counter[str] = field(default_factory=Counter)        # policy documents by link status (None: unjudged)
    forms: Counter[str] = field(default_factory=Counter)        # interpretations by form

    def add(self, category: str, link_status: str | None, form: str | None) -> None:
        self.items[category] += 1
        if category == "policy":
            self.links[link_status or "unjudged"] += 1
        if form:
            self.forms[form] += 1

    def to_json(self) -> dict[str, Any]:
        judged = sum(self.links[s] for s in JUDGED)
        documents = self.items["policy"]
        return {
            "items": {**{c: self.items[c] for c in CATEGORY_ORDER},
                      **{c: n for c, n in self.items.items() if c not in CATEGORY_ORDER},
                      "total": sum(self.items.values())},
            "policy": {"documents": documents, "exempt": self.links["exempt"], "judged": judged,
                       "with_interpretation": self.links["both"] + self.links["one_way"],
                       "linked_both_ways": self.links["both"], "not_judged": documents - judged - self.links["exempt"],
                       "both_ways_share": round(self.links["both"] / judged, 4) if judged else None},
            "interpretations": {"total": self.items["interpretation"], **{f: self.forms[f] for f in FORMS},
                                "graphic_or_video": sum(self.forms[f] for f in FORMS if f != "text")},
        }


@dataclass
class Report:
    years: dict[int, dict[str, Figures]]        # year → unit → figures
    undated: int
    since: datetime | None
    columns: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    window_days: int

    def to_json(self, unit_names: dict[str, str]) -> dict[str, Any]:
        return {
            "years": [_year_json(year, units, unit_names) for year, units in sorted(self.years.items(), reverse=True)],
            "undated": self.undated,
            "coverage": {"since": self.since.date().isoformat() if self.since else None, "columns": self.columns,
                         "possible_gaps": self.gaps, "notes": self.notes()},
        }

    def notes(self) -> list[str]:
        """How complete the counts are, in the office's words."""
        notes = ["每条信息只统计一次，按信息自身的发布日期计入年度和单位（栏目的责任单位）。",
                 f"政策文件、政策解读栏目每轮翻页回溯{self.window_days}天；其他栏目每轮只读第一页，"
                 "两轮巡检之间新发布的信息超过一页时，多出的部分统计不到。"]
        if self.since:
            notes.append(f"统计从{self.since.date().isoformat()}的巡检开始；此前发布的信息只在当时仍出现在已读取的页面上时才计入。")
        if self.undated:
            notes.append(f"另有{self.undated}条信息识别不出发布日期，未计入任何年度。")
        notes += [f"栏目“{g['name']}”在{g['between'][0]}与{g['between'][1]}两轮巡检之间第一页全部换新，可能漏统计。"
                  for g in self.gaps]
        return notes


def _year_json(year: int, units: dict[str, Figures], unit_names: dict[str, str]) -> dict[str, Any]:
    total = Figures()
    for figures in units.values():
        total.items.update(figures.items)
        total.links.update(figures.links)
        total.forms.update(figures.forms)
    return {"year": year, "total": total.to_json(),
            "units": [{"unit": u, "name": unit_names.get(u, u), **units[u].to_json()} for u in sorted(units)]}


def build_report(session: Session, config: Config, year: int | None = None) -> Report:
    """Count the stored items (all years, or one) and describe how complete the counts are."""
    years: dict[int, dict[str, Figures]] = defaultdict(lambda: defaultdict(Figures))
    if year is not None:
        years[year] = defaultdict(Figures)
    undated = 0
    rows = session.execute(select(ItemRow.published, ItemRow.unit_id, ItemRow.category, ItemRow.link_status,
                                  ItemRow.title))
    for published, unit, category, link_status, title in rows:
        if published is None:
            undated += 1
            continue
        if year is None or published.year == year:
            form = interpretation_form(title, config.policy) if category == "interpretation" else None
            years[published.year][unit].add(category, link_status, form)
    return Report(years, undated, _since(session), _columns(session, config), _gaps(session, config, year),
                  config.policy.window_days)


def _since(session: Session) -> datetime | None:
    return session.scalar(select(func.min(ItemRow.first_seen)))


def _columns(session: Session, config: Config) -> list[dict[str, Any]]:
    """Per configured column: items counted, since when, and whether its pages are followed."""
    counted = dict(session.execute(select(ItemRow.column_id, func.count()).group_by(ItemRow.column_id)).all())
    first = dict(session.execute(select(ItemRow.column_id, func.min(ItemRow.first_seen))
                                 .group_by(ItemRow.column_id)).all())
    return [{"id": c.id, "name": c.name, "category": c.category, "unit": c.unit, "items": counted.get(c.id, 0),
             "since": first[c.id].date().isoformat() if first.get(c.id) else None,
             "follows_pages": c.category in PAGED}
            for c in config.columns if c.category != "static"]


def _gaps(session: Session, config: Config, year: int | None) -> list[dict[str, Any]]:
    """Rounds between which a first-page-only column showed entirely new entries."""
    names = {c.id: c.name for c in config.columns if c.category not in (*PAGED, "static")}
    rows = session.execute(
        select(ObservationRow.target_id, ObservationRow.data, RoundRow.started_at)
        .join(RoundRow, RoundRow.id == ObservationRow.round_id)
        .where(ObservationRow.target_kind == "column", ObservationRow.ok, RoundRow.status == "done",
               ObservationRow.target_id.in_(list(names)))
        .order_by(ObservationRow.target_id, ObservationRow.round_id))
    gaps: list[dict[str, Any]] = []
    previous: dict[str, tuple[set[bytes], date]] = {}
    for column, data, started in rows:
        urls = shown(data)
        day = started.astimezone(config.monitor.tz).date()
        before = previous.get(column)
        if before and before[0] and urls and not before[0] & urls and (year is None or day.year == year):
            gaps.append({"column": column, "name": names[column],
                         "between": [before[1].isoformat(), day.isoformat()]})
        previous[column] = (urls, day)
    return gaps

