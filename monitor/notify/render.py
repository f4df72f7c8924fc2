"""Templates (``monitor/templates/``) and the escaping of crawled text.

Titles, URLs and messages quoting them come from the crawled sites and are untrusted:

- HTML e-mail: Jinja autoescaping; links only for http(s) URLs.
- DingTalk markdown: every ``{{ value }}`` passes through ``escape_md`` (the environment's
  ``finalize``) unless built by ``md_link``. DingTalk's renderer does not reliably honour
  backslash escapes, so markdown's active characters become their full-width forms, which
  render literally everywhere and read naturally in Chinese text; ``@`` too, so that a
  crawled title cannot mention anyone. URLs are percent-encoded where markdown would end them.
- Plain text: control characters and line breaks in values become spaces.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from functools import cache
from typing import Any
from urllib.parse import quote, urlsplit
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from monitor.resources import templates_dir

_MD_ACTIVE = str.maketrans({"*": "＊", "_": "＿", "[": "［", "]": "］", "(": "（", ")": "）", "#": "＃",
                            "<": "＜", ">": "＞", "`": "｀", "|": "｜", "!": "！", "~": "～", "\\": "＼",
                            "@": "＠", "&": "＆", "$": "＄"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
WEEKDAYS = "一二三四五六日"


class MdSafe(str):
    """Markdown we built ourselves (a link whose parts were escaped): ``finalize`` leaves it alone."""


def one_line(value: object) -> str:
    return _CONTROL.sub(" ", str(value)).strip()


def escape_md(value: object) -> str:
    if isinstance(value, MdSafe):
        return value
    return one_line(value).translate(_MD_ACTIVE)


def safe_url(url: object) -> str | None:
    """The URL if it is http(s), else None (``javascript:`` and friends are never linked)."""
    text = one_line(url or "")
    try:
        scheme = urlsplit(text).scheme.lower()
    except ValueError:
        return None
    return text if scheme in ("http", "https") else None


def md_url(url: object) -> str | None:
    text = safe_url(url)
    return quote(text, safe=":/?&=%#,;+~-._*'") if text else None


def md_link(text: object, url: object) -> MdSafe:
    """``[text](url)`` with both parts made inert; plain escaped text when the URL is not http(s)."""
    target = md_url(url)
    label = escape_md(text)
    return MdSafe(f"[{label}]({target})" if target else label)


def html_href(url: object) -> str:
    return safe_url(url) or ""


def _finalize_text(value: object) -> object:
    return one_line(value) if isinstance(value, str) else value


@cache
def _environments() -> dict[str, Environment]:
    loader = FileSystemLoader(str(templates_dir()))
    common: dict[str, Any] = {"loader": loader, "undefined": StrictUndefined, "trim_blocks": True,
                              "lstrip_blocks": True, "keep_trailing_newline": True}
    html = Environment(autoescape=select_autoescape(default=True, default_for_string=True), **common)
    markdown = Environment(autoescape=False, finalize=escape_md, **common)
    text = Environment(autoescape=False, finalize=_finalize_text, **common)
    for env in (html, markdown, text):
        env.filters.update(md_link=md_link, href=html_href)
    return {"html": html, "md": markdown, "txt": text}


def render(name: str, **context: Any) -> str:
    """Render ``name`` (``notice.md.j2``, ``digest.html.j2`` …) with the environment its suffix calls for."""
    kind = name.rsplit(".", 2)[-2]
    return _environments()[kind].get_template(name).render(**context)


def cn_date(value: date | datetime, tz: ZoneInfo | None = None) -> str:
    """``2026年11月24日`` (a datetime is first put in the office's timezone)."""
    day = value.astimezone(tz).date() if isinstance(value, datetime) and tz else value
    if isinstance(day, datetime):
        day = day.date()
    return f"{day.year}年{day.month}月{day.day}日"


def cn_weekday(value: date) -> str:
    return f"星期{WEEKDAYS[value.weekday()]}"
