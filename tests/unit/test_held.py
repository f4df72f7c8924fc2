"""HeldObservations and HeldFindings: a round's observations and findings on disk, read back in fixed orders."""

from __future__ import annotations

import pickle
import tempfile
import tracemalloc
from collections.abc import Iterator
from datetime import date, datetime

import pytest

from monitor.config import Column
from monitor.domain import Finding, Item, Listing, Observation, TargetRef
from monitor.held import HeldFindings, HeldObservations
from monitor.inspect import ColumnTarget

COLUMNS = [ColumnTarget(Column(id=c, site="portal", name=c, url=f"http://x/{c}/", category="news", unit="xzfb"))
           for c in ("zwyw", "tzgg")]


def _obs(kind: str, ident: str, items: int = 0) -> Observation:
    entries = [Item(f"标题{n}", f"http://x/{ident}/{n}.html", date(2026, 11, n % 28 + 1)) for n in range(items)]
    return Observation(TargetRef(kind, ident, ident, f"http://x/{ident}"), "xzfb", entries, facts={"n": items})


def test_read_back_in_target_order_whatever_order_they_came_in() -> None:
    with HeldObservations(COLUMNS) as held:
        held.add([_obs("link", "http://x/b"), _obs("policy", "http://x/a")])
        held.add([_obs("column", "tzgg", items=3)])
        held.add([_obs("page", "http://x/a"), _obs("column", "zwyw", items=2000)])
        first = [(o.target.kind, o.target.id) for o in held]
        again = list(held)

    assert first == [("column", "zwyw"), ("column", "tzgg"), ("page", "http://x/a"), ("policy", "http://x/a"),
                     ("link", "http://x/b")]
    assert [(o.target.kind, o.target.id) for o in again] == first
    assert again[0] == _obs("column", "zwyw", items=2000) and len(held) == 5


def test_a_generator_is_kept_as_it_comes_and_all_or_nothing() -> None:
    def observations(fail: bool) -> Iterator[Observation]:
        yield _obs("policy", "http://x/a")
        yield _obs("policy", "http://x/b")
        if fail:
            raise RuntimeError("a hostile page")

    with HeldObservations(COLUMNS) as held:
        assert held.add(observations(fail=False)) == {("policy", "http://x/a"), ("policy", "http://x/b")}
        with pytest.raises(RuntimeError):
            held.add(observations(fail=True))
        assert [o.target.id for o in held] == ["http://x/a", "http://x/b"]
        held.add([_obs("column", "tzgg")])
        assert [o.target.id for o in held] == ["tzgg", "http://x/a", "http://x/b"]


def test_thousands_of_entries_are_pickled_without_a_copy_of_each_in_memory() -> None:
    """Pickle remembers each object until the whole observation is written: a dataclass Item cost it
    a tuple, a dict and a date's tuple and bytes, 3.4 MB at once for 6,000 entries."""
    obs = _obs("column", "zwyw", items=6000)
    obs.items[:3] = [Item("无日期", "http://x/u"), Item("有时刻", "http://x/t", datetime(2026, 11, 2, 8, 30)),
                     Item("", "http://x/e", date(1, 1, 1))]
    obs.facts["listed"] = [Listing("zcwj", None, "policy", obs.items[:2000])]
    with tempfile.TemporaryFile() as file:
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            pickle.dump(obs, file, protocol=pickle.HIGHEST_PROTOCOL)
            peak = tracemalloc.get_traced_memory()[1] - before
        finally:
            tracemalloc.stop()
        file.seek(0)
        back = pickle.load(file)

    assert back == obs and peak < 2_000_000
    assert type(back.items[1].date) is datetime and back.facts["listed"][0].items[2].date == date(1, 1, 1)


def test_the_file_goes_when_closed() -> None:
    with HeldObservations(COLUMNS) as held:
        held.add([_obs("column", "zwyw")])
    with pytest.raises(ValueError):
        list(held)


def _finding(severity: str, unit: str, rule: str, ident: str, pages: int = 0) -> Finding:
    evidence = {"pages": [{"url": f"http://x/{ident}/from/{n}.html", "text": f"链接文字{n}"} for n in range(pages)]}
    return Finding(rule, severity, TargetRef("link", f"http://x/{ident}", "", f"http://x/{ident}"), unit,  # type: ignore[arg-type]
                   f"{ident} 失效", evidence)


# Units and ids that sort differently by bytes, by code point and by insertion: the report's order
# is Python's (code points), which UTF-8 compared byte by byte keeps.
FINDINGS = [_finding("yellow", "xzfb", "link.broken", "b"), _finding("red", "教育局", "link.broken", "z"),
            _finding("yellow", "Xcb", "content.privacy", "a"), _finding("red", "xzfb", "link.broken", "a"),
            _finding("red", "xzfb", "content.privacy", "é"), _finding("yellow", "教育局", "link.broken", "a"),
            _finding("red", "xzfb", "link.broken", "a")]


def test_findings_come_back_as_added_and_in_the_reports_orders() -> None:
    held = HeldFindings(iter(FINDINGS[:3]))
    held.add(f for f in FINDINGS[3:])
    report = sorted(FINDINGS, key=lambda f: (f.severity != "red", f.unit, f.rule, f.target.id))

    assert list(held) == FINDINGS and list(held) == FINDINGS      # read as often as needed
    assert list(held.in_report_order()) == report
    assert (len(held), held.count("red"), held.count("yellow")) == (7, 4, 3)
    assert held.units() == ["xzfb", "教育局", "Xcb"]
    assert list(held.of_unit("xzfb")) == [FINDINGS[4], FINDINGS[3], FINDINGS[6], FINDINGS[0]]


def test_no_findings_open_nothing() -> None:
    held = HeldFindings()
    held.add([])
    held.add(iter(()))

    assert held._db is None
    assert (len(held), held.count("red"), list(held), list(held.in_report_order()), held.units()) == (0, 0, [], [], [])


def test_findings_wait_on_disk_not_in_memory() -> None:
    """3,000 dead links with ten linking pages each are 12.4 MB of objects in a list."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        held = HeldFindings(_finding("yellow", "xzfb", "link.broken", str(n), pages=10) for n in range(3000))
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()

    assert len(held) == 3000 and kept < 400_000
    assert next(iter(held)) == _finding("yellow", "xzfb", "link.broken", "0", pages=10)


def test_findings_go_when_closed() -> None:
    held = HeldFindings(FINDINGS)
    held.close()
    held.close()
    with pytest.raises(Exception, match="closed"):
        list(held)
