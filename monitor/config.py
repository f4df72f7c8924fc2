"""Load and validate ``config.toml`` (DESIGN §6).

Every problem is collected with its key path (``columns[3].category: …``) and
reported at once as one ``ConfigError``; the CLI prints them and exits 2.
``${NAME}`` in any string is replaced from the environment; a missing variable
is a problem like any other. Secrets therefore never sit in the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from monitor.errors import ConfigError
from monitor.schedule import parse_schedule

CATEGORIES = ("news", "notice", "policy", "interpretation", "personnel", "planning", "static")
#: Platforms of government new-media accounts and how people call them (messages, notices, digest).
PLATFORM_NAMES = {"wechat": "微信公众号", "weibo": "微博", "douyin": "抖音", "toutiao": "今日头条",
                  "bilibili": "哔哩哔哩", "kuaishou": "快手", "other": "政务新媒体"}
PLATFORMS = tuple(PLATFORM_NAMES)
SECURITY = ("ssl", "starttls", "none")


@dataclass(frozen=True)
class MonitorSettings:
    timezone: str = "Asia/Shanghai"
    database: str = "sqlite:///var/monitor.db"
    rules: tuple[str, ...] = ()          # empty: the shipped rules
    recheck_time: time = time(9, 0)
    working_days_only: bool = False
    office_unit: str = ""                 # receives source.failing; default: the first unit

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class ScheduleSettings:
    round: str = "mon 02:00"
    probe: str = "every 1h"
    digest: str = "mon 09:00"
    recheck: str = "every 5m"
    outbox: str = "every 1m"


@dataclass(frozen=True)
class CrawlSettings:
    concurrency: int = 16
    per_host: int = 8
    timeout_s: float = 20.0
    max_pages: int = 50000
    max_bytes: int = 5_000_000
    user_agent: str = "zwgk-monitor/1.0 (+contact)"
    retries: int = 2
    max_redirects: int = 5
    enabled: bool = True                  # crawl each site for dead links and content checks
    max_depth: int = 30                   # clicks from the homepage; next-page links do not count
    max_links_per_page: int = 20000       # a page with more links is read up to this many
    check_external: bool = True           # check (never crawl) links to other hosts
    max_external: int = 2000              # external links checked per site and round
    external_concurrency: int = 4         # external link checks at a time (politeness)
    allow_private: bool = False           # links to loopback/private addresses (automatic when the site is there)


EXEMPT_TITLE_KEYWORDS = ("任免", "任职", "免职", "人事", "职务", "工作分工", "批复", "表彰", "通报")
INTERPRETATION_LINK_WORDS = ("解读", "图解", "一图读懂", "一图看懂", "H5")
DOCUMENT_LINK_WORDS = ("原文", "相关文件", "政策文件", "文件链接")
GRAPHIC_KEYWORDS = ("图解", "一图读懂", "一图看懂", "图说", "漫画", "长图")
H5_KEYWORDS = ("H5",)
VIDEO_KEYWORDS = ("视频", "动画", "动漫")


@dataclass(frozen=True)
class PolicySettings:
    """Policy documents and their interpretations (rules policy.*, ``monitor stats``)."""

    window_days: int = 365
    max_pages: int = 2000
    max_list_pages: int = 50
    exempt_url_patterns: tuple[str, ...] = ()
    exempt_title_keywords: tuple[str, ...] = EXEMPT_TITLE_KEYWORDS
    interpretation_link_words: tuple[str, ...] = INTERPRETATION_LINK_WORDS
    document_link_words: tuple[str, ...] = DOCUMENT_LINK_WORDS
    graphic_keywords: tuple[str, ...] = GRAPHIC_KEYWORDS
    h5_keywords: tuple[str, ...] = H5_KEYWORDS
    video_keywords: tuple[str, ...] = VIDEO_KEYWORDS


@dataclass(frozen=True)
class Unit:
    id: str
    name: str
    dingtalk_mobiles: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()


@dataclass(frozen=True)
class Site:
    id: str
    name: str
    url: str
    unit: str
    hosts: tuple[str, ...] = ()           # host[:port] the crawler may enter; default the URL's


@dataclass(frozen=True)
class Column:
    id: str
    site: str
    name: str
    url: str
    category: str
    unit: str
    item_selector: str | None = None
    date_selector: str | None = None


@dataclass(frozen=True)
class Account:
    id: str
    platform: str
    name: str
    unit: str
    feed: str | None = None               # RSS / Atom / JSON Feed
    page: str | None = None               # an HTML list page, read like a column
    item_selector: str | None = None
    date_selector: str | None = None

    @property
    def url(self) -> str:
        return self.feed or self.page or ""


@dataclass(frozen=True)
class DingTalkSettings:
    webhook: str
    secret: str | None = None
    keyword: str | None = None


@dataclass(frozen=True)
class EmailSettings:
    host: str
    port: int = 465
    security: str = "ssl"
    username: str | None = None
    password: str | None = None
    sender: str = ""
    digest_to: tuple[str, ...] = ()
    ca_file: str | None = None            # a private CA for an intranet mail server; relative to the config


@dataclass(frozen=True)
class NotifySettings:
    dingtalk: DingTalkSettings | None = None
    email: EmailSettings | None = None


@dataclass(frozen=True)
class Config:
    base_dir: Path                        # relative paths (rules, sqlite) resolve against it
    monitor: MonitorSettings = field(default_factory=MonitorSettings)
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    crawl: CrawlSettings = field(default_factory=CrawlSettings)
    policy: PolicySettings = field(default_factory=PolicySettings)
    units: tuple[Unit, ...] = ()
    sites: tuple[Site, ...] = ()
    columns: tuple[Column, ...] = ()
    accounts: tuple[Account, ...] = ()
    notify: NotifySettings = field(default_factory=NotifySettings)
    source: str = ""                      # the file it came from, for messages

    def unit(self, unit_id: str) -> Unit:
        return next(u for u in self.units if u.id == unit_id)

    def site(self, site_id: str) -> Site:
        return next(s for s in self.sites if s.id == site_id)

    @property
    def office_unit(self) -> str:
        return self.monitor.office_unit or (self.units[0].id if self.units else "")


# --------------------------------------------------------------------------- loading

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Key:
    """One supported key: its type, default (``REQUIRED`` if none) and one-line help."""

    type: type | tuple[type, ...]
    default: Any
    help: str


REQUIRED = object()

SECTIONS: dict[str, dict[str, Key]] = {
    "monitor": {
        "timezone": Key(str, "Asia/Shanghai", "IANA 时区"),
        "database": Key(str, "sqlite:///var/monitor.db", "数据库 URL，相对路径基于配置文件所在目录"),
        "rules": Key(list, [], "规则文件（glob），相对配置文件；缺省用内置规则"),
        "recheck_time": Key(str, "09:00", "复查时刻 HH:MM"),
        "working_days_only": Key(bool, False, "复查只落在工作日（含法定节假日与调休）"),
        "office_unit": Key(str, "", "政务公开办自身的单位 id（接收 source.failing）；缺省为第一个单位"),
    },
    "schedule": {
        "round": Key(str, "mon 02:00", "每周巡检"),
        "probe": Key(str, "every 1h", "首页可用性探测"),
        "digest": Key(str, "mon 09:00", "周报"),
        "recheck": Key(str, "every 5m", "检查到期复查"),
        "outbox": Key(str, "every 1m", "发送待发消息"),
    },
    "crawl": {
        "concurrency": Key(int, 16, "总并发"),
        "per_host": Key(int, 8, "每主机并发"),
        "timeout_s": Key((int, float), 20, "单次请求超时（秒）"),
        "max_pages": Key(int, 50000, "每站最多页面数"),
        "max_bytes": Key(int, 5_000_000, "单页最大字节数"),
        "user_agent": Key(str, "zwgk-monitor/1.0 (+contact)", "User-Agent"),
        "retries": Key(int, 2, "失败重试次数"),
        "max_redirects": Key(int, 5, "最多跟随重定向次数"),
        "enabled": Key(bool, True, "全站抓取：检查错链断链、身份证号、严重表述错误"),
        "max_depth": Key(int, 30, "从首页起最多点击层数（“下一页”不计层数）"),
        "max_links_per_page": Key(int, 20000, "单页最多读取的链接数"),
        "check_external": Key(bool, True, "检查指向外站的链接（只检查，不抓取外站）"),
        "max_external": Key(int, 2000, "每站每轮最多检查的外站链接数"),
        "external_concurrency": Key(int, 4, "同时检查的外站链接数"),
        "allow_private": Key(bool, False, "允许请求内网/本机地址的链接（网站本身在内网时自动允许）"),
    },
    "policy": {
        "window_days": Key(int, 365, "检查最近多少天内发布的政策文件（政策文件、解读栏目按翻页回溯）"),
        "max_pages": Key(int, 2000, "每个网站每次政策文件检查最多抓取的页面数"),
        "max_list_pages": Key(int, 50, "每个政策文件、政策解读栏目最多翻几页"),
        "exempt_url_patterns": Key(list, [], "无需解读的文件网址（通配符，如 */rsrm/*）"),
        "exempt_title_keywords": Key(list, list(EXEMPT_TITLE_KEYWORDS), "标题含这些词的文件无需解读"),
        "interpretation_link_words": Key(list, list(INTERPRETATION_LINK_WORDS), "文件页上指向解读的链接文字或标签"),
        "document_link_words": Key(list, list(DOCUMENT_LINK_WORDS), "解读页上指向文件的链接文字或标签"),
        "graphic_keywords": Key(list, list(GRAPHIC_KEYWORDS), "标题含这些词的解读算图解类"),
        "h5_keywords": Key(list, list(H5_KEYWORDS), "标题含这些词的解读算 H5 类"),
        "video_keywords": Key(list, list(VIDEO_KEYWORDS), "标题含这些词的解读算视频类"),
    },
}

TABLES: dict[str, dict[str, Key]] = {
    "units": {
        "id": Key(str, REQUIRED, "单位 id"),
        "name": Key(str, REQUIRED, "单位名称"),
        "dingtalk_mobiles": Key(list, [], "钉钉 @ 的手机号"),
        "emails": Key(list, [], "通知邮箱"),
    },
    "sites": {
        "id": Key(str, REQUIRED, "网站 id"),
        "name": Key(str, REQUIRED, "网站名称"),
        "url": Key(str, REQUIRED, "首页 URL"),
        "unit": Key(str, REQUIRED, "责任单位 id"),
        "hosts": Key(list, [], "允许抓取的主机（host[:port]），缺省为首页主机"),
    },
    "columns": {
        "id": Key(str, REQUIRED, "栏目 id"),
        "site": Key(str, REQUIRED, "所属网站 id"),
        "name": Key(str, REQUIRED, "栏目名称"),
        "url": Key(str, REQUIRED, "栏目列表页 URL"),
        "category": Key(str, REQUIRED, "栏目类别: " + ", ".join(CATEGORIES)),
        "unit": Key(str, REQUIRED, "责任单位 id"),
        "item_selector": Key(str, None, "列表条目 CSS 选择器（可选）"),
        "date_selector": Key(str, None, "条目内日期 CSS 选择器（可选）"),
    },
    "accounts": {
        "id": Key(str, REQUIRED, "账号 id"),
        "platform": Key(str, REQUIRED, "平台: " + ", ".join(PLATFORMS)),
        "name": Key(str, REQUIRED, "账号名称"),
        "unit": Key(str, REQUIRED, "责任单位 id"),
        "feed": Key(str, None, "RSS/Atom/JSON Feed 地址"),
        "page": Key(str, None, "HTML 列表页地址（无 feed 时）"),
        "item_selector": Key(str, None, "列表条目 CSS 选择器（可选）"),
        "date_selector": Key(str, None, "条目内日期 CSS 选择器（可选）"),
    },
}

NOTIFY: dict[str, dict[str, Key]] = {
    "dingtalk": {
        "webhook": Key(str, REQUIRED, "钉钉自定义机器人 Webhook"),
        "secret": Key(str, None, "加签密钥"),
        "keyword": Key(str, None, "自定义关键词"),
    },
    "email": {
        "host": Key(str, REQUIRED, "SMTP 服务器"),
        "port": Key(int, 465, "端口"),
        "security": Key(str, "ssl", "ssl | starttls | none"),
        "username": Key(str, None, "用户名"),
        "password": Key(str, None, "密码"),
        "sender": Key(str, REQUIRED, "发件人"),
        "digest_to": Key(list, [], "周报收件人"),
        "ca_file": Key(str, None, "CA 证书文件（内网邮件服务器使用自建 CA 时），相对配置文件"),
    },
}

TOP_LEVEL = (*SECTIONS, *TABLES, "notify")


class _Problems:
    """Collects ``path: message`` strings so that every problem is reported at once."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.items.append(f"{path}: {message}")


def load_config(path: Path | str, env: Mapping[str, str] | None = None) -> Config:
    """Read, substitute ``${ENV}``, validate; raise ``ConfigError`` listing every problem."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError([f"找不到配置文件 {path}（用 --config 指定，或设置 MONITOR_CONFIG）"],
                          str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError([f"不是有效的 TOML: {exc}"], str(path)) from None
    return parse_config(raw, base_dir=path.resolve().parent, env=os.environ if env is None else env,
                        source=str(path))


def parse_config(raw: Mapping[str, Any], *, base_dir: Path, env: Mapping[str, str],
                 source: str = "") -> Config:
    problems = _Problems()
    data = _substitute(raw, env, "", problems)
    for key in data:
        if key not in TOP_LEVEL:
            problems.add(key, f"未知的配置项（可用: {', '.join(TOP_LEVEL)}）")
    sections = {name: _section(data.get(name, {}), name, spec, problems)
                for name, spec in SECTIONS.items()}
    tables = {name: _table(data.get(name, []), name, spec, problems) for name, spec in TABLES.items()}
    notify = _notify(data.get("notify", {}), problems)
    config = _build(sections, tables, notify, base_dir, source, problems)
    _check_references(config, tables, problems)
    if problems.items:
        raise ConfigError(problems.items, source)
    return config


def _substitute(value: Any, env: Mapping[str, str], path: str, problems: _Problems) -> Any:
    if isinstance(value, str):
        def repl(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                problems.add(path, f"环境变量 {name} 未设置（密钥等应通过环境变量提供）")
                return ""
            return env[name]
        return _ENV_REF.sub(repl, value)
    if isinstance(value, dict):
        return {k: _substitute(v, env, f"{path}.{k}" if path else k, problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, env, f"{path}[{i}]", problems) for i, v in enumerate(value)]
    return value


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {str: "字符串", int: "整数", float: "数字", bool: "true/false", list: "数组"}
    types = t if isinstance(t, tuple) else (t,)
    return " 或 ".join(names.get(x, x.__name__) for x in types)


def _section(value: Any, path: str, spec: dict[str, Key], problems: _Problems) -> dict[str, Any]:
    """Check one table against its spec; return values with defaults filled in."""
    if not isinstance(value, dict):
        problems.add(path, "应为一个表（[section]）")
        return {k: key.default for k, key in spec.items() if key.default is not REQUIRED}
    out: dict[str, Any] = {}
    for name in value:
        if name not in spec:
            problems.add(f"{path}.{name}", f"未知的配置项（可用: {', '.join(spec)}）")
    for name, key in spec.items():
        if name not in value:
            if key.default is REQUIRED:
                problems.add(f"{path}.{name}", "缺少必填项")
            out[name] = None if key.default is REQUIRED else key.default
            continue
        item = value[name]
        ok = isinstance(item, key.type) and not (isinstance(item, bool) and key.type in (int, (int, float)))
        if not ok:
            problems.add(f"{path}.{name}", f"应为{_type_name(key.type)}，实际为 {item!r}")
            out[name] = None if key.default is REQUIRED else key.default
        elif isinstance(item, list) and not all(isinstance(x, str) for x in item):
            problems.add(f"{path}.{name}", "数组的元素应为字符串")
            out[name] = [str(x) for x in item]
        else:
            out[name] = item
    return out


def _table(value: Any, name: str, spec: dict[str, Key], problems: _Problems) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        problems.add(name, f"应为表数组（[[{name}]]）")
        return []
    rows = [_section(row, f"{name}[{i}]", spec, problems) for i, row in enumerate(value)]
    seen: dict[str, int] = {}
    for i, row in enumerate(rows):
        ident = row.get("id")
        if not isinstance(ident, str):
            continue
        if not _ID.match(ident):
            problems.add(f"{name}[{i}].id", f"{ident!r} 只能包含字母、数字、_ . -")
        if ident in seen:
            problems.add(f"{name}[{i}].id", f"{ident!r} 与 {name}[{seen[ident]}] 重复")
        else:
            seen[ident] = i
    return rows


def _notify(value: Any, problems: _Problems) -> dict[str, dict[str, Any] | None]:
    if not isinstance(value, dict):
        problems.add("notify", "应为一个表（[notify.dingtalk] / [notify.email]）")
        return {}
    for name in value:
        if name not in NOTIFY:
            problems.add(f"notify.{name}", f"未知的通知渠道（可用: {', '.join(NOTIFY)}）")
    return {name: _section(value[name], f"notify.{name}", spec, problems) if name in value else None
            for name, spec in NOTIFY.items()}


def _check_url(url: Any, path: str, problems: _Problems) -> None:
    if not isinstance(url, str):
        return
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problems.add(path, f"{url!r} 不是有效的 http(s) 地址")


def _check_webhook(url: Any, problems: _Problems) -> None:
    """Like ``_check_url``, but the message must not repeat the URL: its query holds the robot's token."""
    if isinstance(url, str):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            problems.add("notify.dingtalk.webhook", "不是有效的 http(s) 地址（应形如 "
                         "https://oapi.dingtalk.com/robot/send?access_token=…）")


_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.\-]*[A-Za-z0-9])?(:\d{1,5})?$")


def _check_host(host: str, path: str, problems: _Problems) -> None:
    if not _HOST.match(host):
        problems.add(path, f"{host!r} 不是有效的主机名（写作 host 或 host:port，不含 http://）")


def _check_choice(value: Any, choices: tuple[str, ...], path: str, problems: _Problems) -> None:
    if isinstance(value, str) and value not in choices:
        problems.add(path, f"{value!r} 不是可选值之一: {', '.join(choices)}")


def _build(sections: dict[str, dict[str, Any]], tables: dict[str, list[dict[str, Any]]],
           notify: dict[str, dict[str, Any] | None], base_dir: Path, source: str,
           problems: _Problems) -> Config:
    mon, sched, crawl = sections["monitor"], sections["schedule"], sections["crawl"]
    policy = _policy(sections["policy"], problems)
    try:
        ZoneInfo(mon["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.add("monitor.timezone", f"{mon['timezone']!r} 不是有效的时区（例如 Asia/Shanghai）")
        mon["timezone"] = "Asia/Shanghai"
    recheck = _parse_hhmm(mon["recheck_time"], "monitor.recheck_time", problems)
    for name, text in sched.items():
        try:
            parse_schedule(text)
        except ValueError as exc:
            problems.add(f"schedule.{name}", str(exc))
    for name in ("concurrency", "per_host", "max_pages", "max_bytes", "max_redirects", "max_depth",
                 "max_links_per_page", "external_concurrency"):
        if crawl[name] < 1:
            problems.add(f"crawl.{name}", f"应为正整数，实际为 {crawl[name]}")
    if crawl["timeout_s"] <= 0:
        problems.add("crawl.timeout_s", "应大于 0")
    for name in ("retries", "max_external"):
        if crawl[name] < 0:
            problems.add(f"crawl.{name}", "不能为负数")

    for i, row in enumerate(tables["sites"]):
        _check_url(row["url"], f"sites[{i}].url", problems)
        for j, host in enumerate(row["hosts"] or []):
            _check_host(host, f"sites[{i}].hosts[{j}]", problems)
    for i, row in enumerate(tables["columns"]):
        _check_url(row["url"], f"columns[{i}].url", problems)
        _check_choice(row["category"], CATEGORIES, f"columns[{i}].category", problems)
    for i, row in enumerate(tables["accounts"]):
        _check_choice(row["platform"], PLATFORMS, f"accounts[{i}].platform", problems)
        if (row["feed"] is None) == (row["page"] is None):
            problems.add(f"accounts[{i}]", "feed 与 page 必须且只能填写一个")
        for key in ("feed", "page"):
            if row[key] is not None:
                _check_url(row[key], f"accounts[{i}].{key}", problems)

    return Config(
        base_dir=base_dir,
        source=source,
        monitor=MonitorSettings(
            timezone=mon["timezone"], database=mon["database"], rules=tuple(mon["rules"]),
            recheck_time=recheck, working_days_only=mon["working_days_only"],
            office_unit=mon["office_unit"]),
        schedule=ScheduleSettings(**sched),
        crawl=CrawlSettings(**{**crawl, "timeout_s": float(crawl["timeout_s"])}),
        policy=policy,
        units=tuple(Unit(r["id"], r["name"], tuple(r["dingtalk_mobiles"]), tuple(r["emails"]))
                    for r in tables["units"]),
        sites=tuple(Site(r["id"], r["name"], r["url"], r["unit"], tuple(r["hosts"]))
                    for r in tables["sites"]),
        columns=tuple(Column(**r) for r in tables["columns"]),
        accounts=tuple(Account(**r) for r in tables["accounts"]),
        notify=_build_notify(notify, problems),
    )


def _policy(values: dict[str, Any], problems: _Problems) -> PolicySettings:
    """Counts must be positive; an empty word would match every title or link, so it is refused."""
    for name in ("window_days", "max_pages", "max_list_pages"):
        if values[name] < 1:
            problems.add(f"policy.{name}", f"应为正整数，实际为 {values[name]}")
    lists = {}
    for name, value in values.items():
        if isinstance(value, list):
            for i, word in enumerate(value):
                if not str(word).strip():
                    problems.add(f"policy.{name}[{i}]", "不能为空字符串（空词会匹配一切）")
            lists[name] = tuple(str(w).strip() for w in value if str(w).strip())
    return PolicySettings(**{**values, **lists})


def _parse_hhmm(text: str, path: str, problems: _Problems) -> time:
    match = re.fullmatch(r"(\d{1,2}):(\d{2})", text.strip())
    if match and int(match.group(1)) < 24 and int(match.group(2)) < 60:
        return time(int(match.group(1)), int(match.group(2)))
    problems.add(path, f"{text!r} 不是有效的时刻（HH:MM，例如 09:00）")
    return time(9, 0)


def _build_notify(notify: dict[str, dict[str, Any] | None], problems: _Problems) -> NotifySettings:
    ding = notify.get("dingtalk")
    mail = notify.get("email")
    dingtalk = email = None
    if ding is not None:
        _check_webhook(ding["webhook"], problems)
        dingtalk = DingTalkSettings(ding["webhook"] or "", ding["secret"] or None,
                                    ding["keyword"] or None)
    if mail is not None:
        _check_choice(mail["security"], SECURITY, "notify.email.security", problems)
        email = EmailSettings(mail["host"] or "", mail["port"], mail["security"],
                              mail["username"] or None, mail["password"] or None,
                              mail["sender"] or "", tuple(mail["digest_to"]), mail["ca_file"] or None)
    return NotifySettings(dingtalk, email)


def _check_references(config: Config, tables: dict[str, list[dict[str, Any]]],
                      problems: _Problems) -> None:
    units = {u.id for u in config.units}
    sites = {s.id for s in config.sites}
    for name in ("sites", "columns", "accounts"):
        for i, row in enumerate(tables[name]):
            if isinstance(row["unit"], str) and row["unit"] not in units:
                problems.add(f"{name}[{i}].unit", f"未定义的单位 {row['unit']!r}（[[units]] 中有: "
                             f"{', '.join(sorted(units)) or '无'}）")
    for i, row in enumerate(tables["columns"]):
        if isinstance(row["site"], str) and row["site"] not in sites:
            problems.add(f"columns[{i}].site", f"未定义的网站 {row['site']!r}（[[sites]] 中有: "
                         f"{', '.join(sorted(sites)) or '无'}）")
    office = config.monitor.office_unit
    if office and office not in units:
        problems.add("monitor.office_unit", f"未定义的单位 {office!r}")
    target_ids: dict[str, str] = {}
    for name in ("sites", "columns", "accounts"):
        for i, row in enumerate(tables[name]):
            ident = row.get("id")
            if isinstance(ident, str):
                if ident in target_ids and not target_ids[ident].startswith(name):
                    problems.add(f"{name}[{i}].id", f"{ident!r} 已被 {target_ids[ident]} 使用"
                                 "（网站、栏目、账号的 id 须互不相同，便于 monitor check ID）")
                target_ids.setdefault(ident, f"{name}[{i}]")


def resolve_path(config: Config, relative: str) -> Path:
    """A path from the config, relative to the config file's folder."""
    p = Path(relative)
    return p if p.is_absolute() else config.base_dir / p
