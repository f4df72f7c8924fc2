"""The crawl's set of every URL met in a round, at about 20 bytes per URL.

It is the one thing a crawl must keep per URL (DESIGN §8), so it is the one thing that
grows with the site. A dict of key hashes cost 75 bytes per URL — its table plus an int
object per key — and those int objects, allocated among the parser's short-lived
objects, kept the allocator's arenas from being given back: from 20,000 to 100,000 pages
the dict alone added 9 MB. Here the hashes sit in one ``array`` (open addressing, linear
probing, at most half full) and their flags in a ``bytearray`` beside it; only the few
URLs with an ``Entry`` (being fetched, or failed) keep an object, in a small dict.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from typing import Generic, TypeVar

E = TypeVar("E")

_EMPTY = -1          # hash() never returns -1, so no key can be mistaken for an empty slot
_HAS_ENTRY = 0x80    # the URL's value is its entry in ``_entries``; flags use the low 7 bits
_FIRST = 1024


class SeenUrls(Generic[E]):
    """Maps the ``hash()`` of a URL's key to small flags (0–127) or to an object of type ``E``.

    Like a dict, without removal: a URL once met stays met for the round.
    """

    __slots__ = ("_count", "_entries", "_flags", "_keys", "_mask")

    def __init__(self) -> None:
        self._keys = array("q", [_EMPTY]) * _FIRST
        self._flags = bytearray(_FIRST)
        self._mask = _FIRST - 1
        self._count = 0
        self._entries: dict[int, E] = {}

    def __len__(self) -> int:
        return self._count

    def get(self, h: int) -> int | E | None:
        """The flags or the entry for ``h``; None for a URL not met. The crawl's hottest call."""
        keys, mask = self._keys, self._mask
        i = h & mask
        while True:
            k = keys[i]
            if k == h:
                flags = self._flags[i]
                return self._entries[h] if flags & _HAS_ENTRY else flags
            if k == _EMPTY:
                return None
            i = (i + 1) & mask

    def __setitem__(self, h: int, value: int | E) -> None:
        if isinstance(value, int) and not 0 <= value < _HAS_ENTRY:
            raise ValueError(f"flags must be 0–127, not {value}")
        i = self._slot(h)
        if self._keys[i] == _EMPTY:
            self._count += 1
            if 2 * self._count > len(self._keys):
                self._grow()
                i = self._slot(h)
            self._keys[i] = h
        if isinstance(value, int):
            if self._flags[i] & _HAS_ENTRY:
                del self._entries[h]
            self._flags[i] = value
        else:
            self._flags[i] = _HAS_ENTRY
            self._entries[h] = value

    def entries(self) -> Iterator[E]:
        """The objects held (URLs being fetched or failed), in the order they were set."""
        return iter(self._entries.values())

    def _slot(self, h: int) -> int:
        """Where ``h`` is, or the empty slot where it would go."""
        keys, mask = self._keys, self._mask
        i = h & mask
        while (k := keys[i]) != h and k != _EMPTY:
            i = (i + 1) & mask
        return i

    def _grow(self) -> None:
        keys, flags = self._keys, self._flags
        size = 2 * len(keys)
        self._keys = array("q", [_EMPTY]) * size
        self._flags = bytearray(size)
        self._mask = size - 1
        for old, k in enumerate(keys):
            if k != _EMPTY:
                i = self._slot(k)
                self._keys[i] = k
                self._flags[i] = flags[old]
