"""Content checks on a page's visible text: resident ID numbers and serious wording errors.

Only what a visitor reads counts: text outside ``<script>``, ``<style>`` and comments,
never attribute values (an ID number in a ``data-`` attribute or a hidden form field is
not a 泄露 a person can see). A false red costs a unit a day's work, so an ID number
counts only when it is exactly 18 characters, its region is a real province, its birth
date is a real day in the last 120 years and its GB 11643 check digit is right; masked
forms (``510722********1234``) never match. Evidence never repeats a full number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree
from lxml.html import HtmlElement

CONTEXT = 16
MAX_HITS = 20                 # per page and kind: enough to act on, bounded for storage
_INVISIBLE = ("script", "style", "template", "noscript")
# A plain run of 17 digits first (cheap to scan for); the fields are checked in Python.
_ID = re.compile(r"[0-9]{17}[0-9Xx]")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PROVINCES = frozenset({11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
                        50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82})


def visible_text(tree: HtmlElement) -> str:
    """The text a visitor reads, as the browser runs it together. Removes scripts and styles from ``tree``.

    libxml2's text serializer does the walk in C (five times faster than ``itertext``);
    like a browser it joins inline pieces, so a number split by ``<span>`` is seen whole.
    """
    etree.strip_elements(tree, *_INVISIBLE, etree.Comment, etree.ProcessingInstruction, with_tail=False)
    body = tree.find("body")
    text: str = etree.tostring(body if body is not None else tree, method="text", encoding="unicode")
    return text


def check_digit_ok(number: str) -> bool:
    """GB 11643-1999: the 18th character is the ISO 7064 MOD 11-2 check of the first 17."""
    total = sum(int(d) * w for d, w in zip(number[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == number[17].upper()


def plausible_birth(number: str, today: date) -> bool:
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return False
    return born <= today and today.year - born.year <= 120


def _alone(text: str, start: int, end: int) -> bool:
    """Not part of a longer number (an account or order number that happens to contain 18 digits)."""
    return (start == 0 or not text[start - 1].isdigit()) and (end == len(text) or not text[end].isdigit())


def _valid(number: str, today: date) -> bool:
    return (number[0] != "0" and int(number[:2]) in _PROVINCES and plausible_birth(number, today)
            and check_digit_ok(number))


def mask_id(number: str) -> str:
    """The form a page may show: region and last four, birth date and sequence hidden."""
    return number[:6] + "*" * 8 + number[14:]


def find_id_numbers(text: str, today: date) -> list[dict[str, str]]:
    """Unmasked valid resident ID numbers in ``text``, each as its masked form and masked context."""
    hits: list[dict[str, str]] = []
    for match in _ID.finditer(text):
        number = match.group()
        if not _alone(text, match.start(), match.end()) or not _valid(number, today):
            continue
        masked = mask_id(number)
        before = text[max(0, match.start() - CONTEXT):match.start()]
        after = text[match.end():match.end() + CONTEXT]
        hits.append({"masked": masked, "context": _one_line(f"{before}{masked}{after}")})
        if len(hits) >= MAX_HITS:
            break
    return hits


@dataclass(frozen=True)
class Entry:
    wrong: str
    right: str | None
    source: str


@dataclass
class WordList:
    """Serious wording errors (严重表述错误) to look for, from ``rules/wordlists/*.txt``."""

    entries: list[Entry] = field(default_factory=list)

    @classmethod
    def load(cls, paths: list[Path]) -> WordList:
        seen: dict[str, Entry] = {}
        for path in paths:
            for line in path.read_text(encoding="utf-8-sig").splitlines():
                entry = parse_entry(line, path.name)
                if entry is not None:
                    seen.setdefault(entry.wrong, entry)
        # Longest first, so "台湾国民党" is not reported as its shorter entry too.
        return cls(sorted(seen.values(), key=lambda e: -len(e.wrong)))

    def find(self, text: str) -> list[dict[str, Any]]:
        hits: list[dict[str, Any]] = []
        taken: list[tuple[int, int]] = []
        for entry in self.entries:
            if entry.wrong not in text:          # str.find is far cheaper than one big regex
                continue
            start = text.find(entry.wrong)
            while start >= 0 and len(hits) < MAX_HITS:
                end = start + len(entry.wrong)
                if not any(s < end and start < e for s, e in taken):
                    taken.append((start, end))
                    context = text[max(0, start - CONTEXT):end + CONTEXT]
                    hits.append({"wrong": entry.wrong, "right": entry.right, "list": entry.source,
                                 "context": _one_line(context)})
                start = text.find(entry.wrong, end)
        return hits


def parse_entry(line: str, source: str) -> Entry | None:
    """``wrong`` or ``wrong => right``; blank lines and ``#`` comments give None."""
    text = line.split(" #", 1)[0].strip()
    if not text or text.startswith("#"):
        return None
    wrong, _, right = text.partition("=>")
    wrong, right = wrong.strip(), right.strip()
    return Entry(wrong, right or None, source) if wrong else None


def _one_line(text: str) -> str:
    return " ".join(text.split())
