"""SeenUrls: the crawl's URL set answers like the dict of hashes it replaced, through its growth."""

from __future__ import annotations

import random
import tracemalloc

import pytest

from monitor.crawl.seen import SeenUrls


def test_answers_like_a_dict_through_growth_and_collisions() -> None:
    rng = random.Random(7)
    # low bits shared by many keys: every probe chain is long, and each growth moves them
    keys = [rng.getrandbits(40) << 12 for _ in range(5000)] + [hash(f"http://x/{n}.html") for n in range(20000)]
    seen = SeenUrls()
    expected: dict[int, int] = {}
    for n, h in enumerate(keys):
        seen[h] = expected[h] = n % 256
    for h in keys[::3]:                       # set again: the flags change, the count does not
        seen[h] = expected[h] = 5
    assert len(seen) == len(expected)
    assert all(seen.get(h) == expected[h] for h in keys)
    assert seen.get(-2) is None and seen.get(0) is None and seen.get(1 << 62) is None


def test_flags_out_of_range_are_refused() -> None:
    seen = SeenUrls()
    with pytest.raises(ValueError, match="0–255"):
        seen[1] = 256
    assert len(seen) == 0 and seen.get(1) is None


def test_growing_never_holds_the_whole_table_twice() -> None:
    """A single table, doubling, held its old arrays beside the new: half its size again, at the
    round's peak. Growing a segment at a time keeps the peak near what the set then holds."""
    rng = random.Random(11)
    hashes = [rng.getrandbits(64) - (1 << 63) for _ in range(100_000)]
    tracemalloc.start()
    try:
        seen = SeenUrls()
        for h in hashes:
            seen[h] = 1
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(seen) == len(set(hashes)) and all(seen.get(h) == 1 for h in hashes[::7])
    assert peak < 1.1 * held
