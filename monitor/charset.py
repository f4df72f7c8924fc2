"""Bytes to text for pages of Chinese government sites (DESIGN §7).

Their declarations cannot be trusted blindly: GB2312/GBK pages are declared in
the HTTP header, a ``<meta>`` tag or nowhere; Java servers stamp
``charset=ISO-8859-1`` on everything; pages re-saved as UTF-8 still say
``gb2312``; a second charset tag hides in the body. So the rule is: take the
first declaration, but *trust the bytes* when it does not decode them.

Order (``decode_html``):

1. a byte-order mark — the bytes themselves speak, so it beats any label;
2. the HTTP header charset, unless it is a "weak" server default (Latin-1,
   ASCII, Windows-1252), which only counts when the page declares nothing;
3. the XML declaration at the very start, or the FIRST ``<meta charset>`` /
   ``<meta http-equiv content="…charset=…">`` in the first 4 KB;
4. no declaration: strict UTF-8, then charset_normalizer's guess;
5. UTF-8 with replacement characters.

A declared charset is decoded strictly; on failure we try UTF-8, then
GB18030, then detection, and only then the declaration with replacement.
Declared non-UTF-8 bytes that are valid, clearly multi-byte UTF-8 are read as
UTF-8, because GBK bytes almost never form valid UTF-8 while a UTF-8 page
usually *does* decode as GB18030 — into mojibake.

Every GB label (gb2312, gbk, x-gbk, cp936, euc-cn …) decodes as gb18030, its
superset: real "gb2312" pages use GBK characters (e.g. 镕, 堃) all the time.
Encoding names returned are Python codec names ("utf-8", "gb18030", "big5").
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

GB_LABELS = frozenset({
    "gb2312", "gbk", "gb18030", "x-gbk", "cp936", "ms936", "windows-936", "gb_2312",
    "gb_2312-80", "gb2312-80", "csgb2312", "chinese", "euc-cn", "x-euc-cn", "iso-ir-58",
})
# Server defaults that say nothing about a Chinese page; see the module docstring.
_WEAK = frozenset({"latin-1", "iso8859-1", "ascii", "cp1252"})
_GB_CODECS = frozenset({"gb2312", "gbk", "gb18030", "hz"})

_META_SCAN = 4096
_DETECT_SCAN = 65536
_MIN_UTF8_EXTRA = 6  # ≥ 6 continuation bytes (≈ 3 CJK characters) before we overrule a label
_META_RE = re.compile(rb"""<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.I)
_XML_DECL_RE = re.compile(rb"""^\s*<\?xml\b[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)""")
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)


def decode_html(content: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode an HTML page; returns ``(text, encoding name)``. Never raises on bad bytes."""
    return _decode(content, header_charset, scan_meta=True)


def decode_text(content: bytes, header_charset: str | None) -> tuple[str, str]:
    """Decode a feed, XML or JSON body: like ``decode_html`` but only the XML declaration counts.

    ``<meta>`` tags are not looked for, since a feed may quote HTML with its own
    charset inside an entry.
    """
    return _decode(content, header_charset, scan_meta=False)


def normalize_label(label: str | None) -> str | None:
    """The Python codec name for a charset label, gb18030 for any GB label; None if unknown."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    if cleaned in GB_LABELS:
        return "gb18030"
    try:
        name = codecs.lookup(cleaned).name
    except LookupError:
        return None
    return "gb18030" if name in _GB_CODECS else name


def _decode(content: bytes, header_charset: str | None, *, scan_meta: bool) -> tuple[str, str]:
    if not content:
        return "", normalize_label(header_charset) or "utf-8"
    by_bom = _decode_bom(content)
    if by_bom is not None:
        return by_bom
    declared = _declared(content, header_charset, scan_meta=scan_meta)
    if declared is not None:
        return _decode_declared(content, declared)
    return _decode_undeclared(content)


def _decode_bom(content: bytes) -> tuple[str, str] | None:
    for bom, codec, name in _BOMS:
        if content.startswith(bom):
            return content.decode(codec, errors="replace"), name
    return None


def _declared(content: bytes, header_charset: str | None, *, scan_meta: bool) -> str | None:
    """The first usable declaration: a strong header, else the document's own, else a weak header."""
    header = normalize_label(header_charset)
    if header is not None and header not in _WEAK:
        return header
    in_document = _document_charset(content, scan_meta=scan_meta)
    if in_document is not None:
        return in_document
    # A weak header alone is honoured only for bytes it cannot garble (pure ASCII);
    # otherwise the bytes are guessed, which is what a browser user would see.
    if header is not None and content.isascii():
        return header
    return None


def _document_charset(content: bytes, *, scan_meta: bool) -> str | None:
    head = content[:_META_SCAN]
    match = _XML_DECL_RE.match(head)
    if match is None and scan_meta:
        match = _META_RE.search(head)  # the FIRST tag wins; later ones are ignored
    if match is None:
        return None
    label = normalize_label(match.group(1).decode("ascii", errors="replace"))
    if label is not None and label.startswith("utf-16"):
        return "utf-8"  # an ASCII-compatible document cannot really be UTF-16 (WHATWG rule)
    return label


def _decode_declared(content: bytes, declared: str) -> tuple[str, str]:
    if declared != "utf-8":
        as_utf8 = _clear_utf8(content)
        if as_utf8 is not None:
            return as_utf8, "utf-8"
    for encoding in dict.fromkeys((declared, "utf-8", "gb18030")):
        text = _strict(content, encoding)
        if text is not None:
            return text, encoding
    detected = _detect(content)
    if detected is not None:
        text = _strict(content, detected)
        if text is not None:
            return text, detected
    return content.decode(declared, errors="replace"), declared


def _decode_undeclared(content: bytes) -> tuple[str, str]:
    text = _strict(content, "utf-8")
    if text is not None:
        return text, "utf-8"
    detected = _detect(content)
    if detected is not None:
        return content.decode(detected, errors="replace"), detected
    return content.decode("utf-8", errors="replace"), "utf-8"


def _clear_utf8(content: bytes) -> str | None:
    """The UTF-8 text if the bytes are valid UTF-8 with enough multi-byte characters to be sure."""
    text = _strict(content, "utf-8")
    if text is None or len(content) - len(text) < _MIN_UTF8_EXTRA:
        return None
    return text


def _strict(content: bytes, encoding: str) -> str | None:
    try:
        return content.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _detect(content: bytes) -> str | None:
    """charset_normalizer's best guess on the first 64 KB (enough, and bounded in time)."""
    best = charset_normalizer.from_bytes(content[:_DETECT_SCAN]).best()
    if best is None:
        return None
    name = normalize_label(best.encoding)
    return "utf-8" if name == "ascii" else name
