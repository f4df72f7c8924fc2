"""The crawl's set of every URL met in a round, at about 20 bytes per URL.

It is the one thing a crawl must keep per URL (DESIGN §8), so it is the one thing that
grows with the site. A dict of key hashes cost 75 bytes per URL — its table plus an int
object per key — and those int objects, allocated among the parser's short-lived
objects, kept the allocator's arenas from being given back: from 20,000 to 100,000 pages
the dict alone added 9 MB. Here the hashes sit in ``array``s (open addressing, linear
probing, at most half full) and their flags in ``bytearray``s beside them.

The table is cut into 64 segments by the top bits of the hash, each growing on its own: a
single table, doubling, held its old and its new arrays at once — at 100,000 pages 3.5 MB
for a moment, a megabyte above what it then kept, and that moment was the round's peak.
"""

from __future__ import annotations

from array import array

_EMPTY = -1          # hash() never returns -1, so no key can be mistaken for an empty slot
_SEGMENT_BITS = 6
_SHIFT = 64 - _SEGMENT_BITS       # hash() is a signed 64-bit value: its top bits pick the segment
_SEGMENT_MASK = (1 << _SEGMENT_BITS) - 1
_FIRST = 16          # slots per segment to begin with


class SeenUrls:
    """Maps the ``hash()`` of a URL's key to small flags (0–255).

    Like a dict, without removal: a URL once met stays met for the round.
    """

    __slots__ = ("_count", "_segments", "_used")

    def __init__(self) -> None:
        # per segment: its hashes, their flags, and the mask of its size (a power of two)
        self._segments = [_segment(_FIRST) for _ in range(_SEGMENT_MASK + 1)]
        self._used = [0] * (_SEGMENT_MASK + 1)
        self._count = 0

    def __len__(self) -> int:
        return self._count

    def get(self, h: int) -> int | None:
        """The flags for ``h``; None for a URL not met. The crawl's hottest call."""
        keys, flags, mask = self._segments[(h >> _SHIFT) & _SEGMENT_MASK]
        i = h & mask
        while True:
            k = keys[i]
            if k == h:
                return flags[i]
            if k == _EMPTY:
                return None
            i = (i + 1) & mask

    def __setitem__(self, h: int, value: int) -> None:
        if not 0 <= value <= 255:
            raise ValueError(f"flags must be 0–255, not {value}")
        s = (h >> _SHIFT) & _SEGMENT_MASK
        keys, flags, mask = self._segments[s]
        i = _slot(keys, mask, h)
        if keys[i] == _EMPTY:
            self._count += 1
            self._used[s] += 1
            if 2 * self._used[s] > mask + 1:
                keys, flags, mask = self._segments[s] = _grown(keys, flags)
                i = _slot(keys, mask, h)
            keys[i] = h
        flags[i] = value


def _segment(size: int) -> tuple[array[int], bytearray, int]:
    return array("q", [_EMPTY]) * size, bytearray(size), size - 1


def _slot(keys: array[int], mask: int, h: int) -> int:
    """Where ``h`` is, or the empty slot where it would go."""
    i = h & mask
    while (k := keys[i]) != h and k != _EMPTY:
        i = (i + 1) & mask
    return i


def _grown(keys: array[int], flags: bytearray) -> tuple[array[int], bytearray, int]:
    """A segment twice the size, holding the same hashes and flags."""
    new_keys, new_flags, mask = _segment(2 * len(keys))
    for old, k in enumerate(keys):
        if k != _EMPTY:
            i = _slot(new_keys, mask, k)
            new_keys[i] = k
            new_flags[i] = flags[old]
    return new_keys, new_flags, mask
