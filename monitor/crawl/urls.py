"""Addresses as the crawler sees them: resolution, normalization, scope, kinds, private ranges.

One page of a county portal carries forty-odd links, most of them the same navigation,
so resolution is cached per (directory, href) and the common shapes skip ``urljoin``.
Two forms of an address matter:

- the *fetch URL*, absolute and cleaned (no fragment, lower-case host, no default
  port, no session id) — what is requested and what a finding names;
- the *key*, which also folds ``…/index.html`` into ``…/`` — what "already seen" means.
  The page is still fetched as it was linked, since ``/col/`` may well be a 403 where
  ``/col/index.html`` works.
"""

from __future__ import annotations

import ipaddress
import re
from functools import lru_cache
from urllib.parse import urljoin, urlsplit, urlunsplit

SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "about:", "vbscript:", "sms:", "ftp:", "file:")
SESSION_PARAMS = frozenset({"jsessionid", "phpsessid", "sid", "sessionid", "aspsessionid", "cfid", "cftoken",
                            "sessid", "session_id"})
INDEX_NAMES = ("index.html", "index.htm", "index.shtml", "index.jsp", "index.php", "index.asp", "index.aspx",
               "default.html", "default.htm", "default.asp", "default.aspx")
# Files a page links to that are checked (HEAD) but never parsed: attachments, images, media.
RESOURCE_EXTENSIONS = frozenset({
    "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "wps", "et", "dps", "ofd", "ceb", "txt", "csv", "rtf",
    "zip", "rar", "7z", "gz", "tar", "jpg", "jpeg", "png", "gif", "bmp", "webp", "svg", "ico", "tif", "tiff",
    "mp3", "mp4", "avi", "wmv", "flv", "mov", "swf", "apk", "exe", "msi", "xml", "css", "js",
})
_DEFAULT_PORTS = {"http": "80", "https": "443"}
_PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.I)


_PLAIN = re.compile(r"[A-Za-z0-9_\-][A-Za-z0-9_\-.~/%]*")     # a relative path needing no cleaning
# Entries per cache below. What repeats is a portal's navigation, a few hundred addresses; an article's
# address comes once or twice. 16,384 held 10 MB more in the 20,000-page benchmark's crawl, for the same CPU.
_CACHED = 4096


def resolve(base: str, href: str) -> str | None:
    """The fetch URL of ``href`` on a page at normalized ``base``; None for javascript:, mailto:, '#' and junk.

    The commonest shapes — ``/path``, ``./name`` and ``name`` with nothing to clean — are
    joined by hand; everything else goes through ``urljoin`` and ``normalize`` (cached).
    """
    query = base.find("?")
    slash = base.rfind("/", 0, query if query >= 0 else len(base))
    if slash <= 7 or href[:1] in ("?", "#", ""):
        return _resolve(base, href)
    if href[0] == "/":
        if href[1:2] != "/" and _PLAIN.fullmatch(href, 1) and "/." not in href:
            return base[:base.find("/", base.find("//") + 2)] + href
    else:
        plain = href[2:] if href.startswith("./") else href
        if _PLAIN.fullmatch(plain) and "/." not in plain and not plain.startswith("."):
            return base[:slash + 1] + plain
    return _resolve(base[:slash + 1], href)


@lru_cache(maxsize=_CACHED)
def _resolve(base: str, href: str) -> str | None:
    href = href.strip()
    if not href or href[0] == "#":
        return None
    lowered = href[:12].lower()
    if lowered.startswith(SKIP_SCHEMES):
        return None
    href = href.replace("\\", "/")
    try:
        return normalize(urljoin(base, href))
    except ValueError:
        return None


@lru_cache(maxsize=_CACHED)
def normalize(url: str) -> str | None:
    """An absolute http(s) URL cleaned for fetching; None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.rstrip(".")
    netloc = host if port is None or str(port) == _DEFAULT_PORTS[scheme] else f"{host}:{port}"
    if ":" in host and not host.startswith("["):
        netloc = f"[{host}]" + netloc[len(host):]
    path = parts.path or "/"
    if ";" in path:
        path = _PATH_SESSION.sub("", path)
    path = _dot_segments(path) if "/." in path else path
    query = _without_sessions(parts.query) if parts.query else ""
    return urlunsplit((scheme, netloc, path, query, ""))


def _dot_segments(path: str) -> str:
    out: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if len(out) > 1:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/".join(out) or "/"


def _without_sessions(query: str) -> str:
    pairs = query.split("&")
    kept = [p for p in pairs if p.split("=", 1)[0].lower() not in SESSION_PARAMS]
    return "&".join(kept) if len(kept) != len(pairs) else query


@lru_cache(maxsize=_CACHED)
def key(url: str) -> str:
    """What "the same page" means: ``…/index.html`` and ``…/`` are one.

    Cached: every link of every page is looked up by it, and most are the same navigation."""
    query = url.find("?")
    path = url if query < 0 else url[:query]
    if path.endswith(INDEX_NAMES):
        name = path.rsplit("/", 1)[1]
        if name in INDEX_NAMES:
            return path[:-len(name)] + (url[query:] if query >= 0 else "")
    return url


def forget() -> None:
    """Empty the caches above: they serve a crawl, and at its end hold some 3 MB that what
    follows (the rules, the round's findings) can use instead."""
    for cached in (_resolve, normalize, key):
        cached.cache_clear()


def netloc_of(url: str) -> str:
    """``host[:port]`` of a normalized URL (default ports already dropped)."""
    start = url.find("//") + 2
    end = url.find("/", start)
    return url[start:end if end >= 0 else None]


def host_of(netloc: str) -> str:
    if netloc.startswith("["):
        return netloc[1:netloc.find("]")]
    return netloc.rsplit(":", 1)[0] if netloc.count(":") == 1 else netloc


def site_netlocs(url: str, hosts: tuple[str, ...]) -> frozenset[str]:
    """The ``host[:port]`` values a site may be crawled on: configured ``hosts``, default the URL's."""
    own = normalize(url)
    if not hosts:
        return frozenset({netloc_of(own)} if own else set())
    found = set()
    for host in hosts:
        cleaned = normalize(f"http://{host.strip().lower()}/")
        if cleaned:
            found.add(netloc_of(cleaned))
    return frozenset(found)


def is_resource(url: str) -> bool:
    """An attachment, image or other file: checked, never parsed."""
    query = url.find("?")
    path = url if query < 0 else url[:query]
    name = path.rsplit("/", 1)[-1]
    dot = name.rfind(".")
    return dot > 0 and name[dot + 1:].lower() in RESOURCE_EXTENSIONS


def is_private_address(host: str) -> bool:
    """Loopback, private, link-local or otherwise non-public: the crawler must not be turned on the LAN."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return not address.is_global or address.is_multicast
