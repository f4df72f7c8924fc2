"""HeldObservations: observations on disk until the round is stored, read back in a fixed order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from monitor.config import Column
from monitor.domain import Item, Observation, TargetRef
from monitor.held import HeldObservations
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


def test_the_file_goes_when_closed() -> None:
    with HeldObservations(COLUMNS) as held:
        held.add([_obs("column", "zwyw")])
    with pytest.raises(ValueError):
        list(held)
