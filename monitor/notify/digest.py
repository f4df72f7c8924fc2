"""The weekly digest (一周一通报) as plain data, built by one function from the database.

``build_digest`` reads alerts, their events and the rounds' observations, and returns a
``Digest``; the templates (``digest.{html,txt,md}.j2``) only lay it out. Later sections
(new-media accounts, availability probes) are new fields filled here.

Counts at a past instant (the week-on-week trend) are replayed from the alert events,
the append-only truth: an alert is open from ``opened``/``unwaived`` until
``resolved``/``waived``, at the severity of its latest event.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from monitor.config import PLATFORM_NAMES, Config
from monitor.notify.notices import issuer_name
from monitor.notify.outbox import Draft, OutboxHealth, draft_key, enqueue, outbox_health
from monitor.notify.render import cn_date, render
from monitor.rules import Rule, load_config_rules
from monitor.store.probes import probe_summaries
from monitor.store.tables import AlertEventRow, AlertRow, ObservationRow, OutboxRow, RoundRow

WEEK = timedelta(days=7)
TREND_WEEKS = 4
OPENING = {"opened": "open", "unwaived": "open", "resolved": "resolved", "waived": "waived"}

Status = Literal["ok", "near", "over", "nodata"]


@dataclass(frozen=True)
class AlertLine:
    """One alert as the digest lists it."""

    id: int
    unit_id: str
    unit: str
    severity: str
    message: str
    target: str
    url: str
    opened: str
    days_open: int
    overdue: bool
    when: str = ""                     # the event's date, for 本周新增 / 整改完成


@dataclass(frozen=True)
class UnitLine:
    unit_id: str
    name: str
    red: int
    yellow: int
    new: int
    resolved: int
    overdue: int

    @property
    def open(self) -> int:
        return self.red + self.yellow


@dataclass(frozen=True)
class WeekPoint:
    """One week of the trend: what was opened and resolved, and what stood open at its end."""

    label: str                         # the week's last day: 11月24日
    opened: int
    resolved: int
    red: int
    yellow: int


@dataclass(frozen=True)
class Indicator:
    """One single-veto indicator (单项否决) against its line."""

    name: str
    value: str
    line: str
    status: Status
    note: str = ""


@dataclass(frozen=True)
class SitePanel:
    site_id: str
    name: str
    url: str
    indicators: list[Indicator]

    @property
    def worst(self) -> Status:
        order: list[Status] = ["over", "near", "nodata", "ok"]
        return next(s for s in order if any(i.status == s for i in self.indicators)) if self.indicators else "ok"


@dataclass(frozen=True)
class PlatformLine:
    """One platform's accounts: how many, how many 睡眠 (yellow), 僵尸 (red), and unreadable."""

    name: str
    accounts: int
    sleeping: int
    zombie: int
    blind: int


@dataclass(frozen=True)
class MediaSection:
    """政务新媒体: accounts by platform against the two-week single-veto line."""

    platforms: list[PlatformLine]
    stale: list[AlertLine]             # zombie (red) first, then sleeping (yellow)
    blind: list[AlertLine]             # source.failing on accounts: not counted as updated
    line: str = "国办秘函〔2019〕19号：政务新媒体检查时间点前2周内无更新即单项否决"

    @property
    def accounts(self) -> int:
        return sum(p.accounts for p in self.platforms)

    @property
    def sleeping(self) -> int:
        return sum(p.sleeping for p in self.platforms)

    @property
    def zombie(self) -> int:
        return sum(p.zombie for p in self.platforms)


@dataclass
class Digest:
    now: datetime
    start: datetime
    title: str
    period: str
    issuer: str
    generated: str
    open_red: int
    open_yellow: int
    new: list[AlertLine]
    resolved: list[AlertLine]
    overdue: list[AlertLine]
    reds: list[AlertLine]
    units: list[UnitLine]
    trend: list[WeekPoint]
    sites: list[SitePanel]
    accounts: Indicator
    media: MediaSection
    delivery: OutboxHealth

    @property
    def last_week(self) -> WeekPoint | None:
        return self.trend[-2] if len(self.trend) >= 2 else None

    @property
    def max_open(self) -> int:
        return max((u.open for u in self.units), default=0)


def build_digest(session: Session, config: Config, now: datetime) -> Digest:
    """Everything the weekly digest shows, for the 7 days ending at ``now``."""
    tz = config.monitor.tz
    start = now - WEEK
    names = {u.id: u.name for u in config.units}
    alerts = _alerts(session, now - WEEK * TREND_WEEKS)
    events = _events(session, [a.id for a in alerts], now)
    today = now.astimezone(tz).date()
    availability = next(iter(load_config_rules(config).of_kind("availability")), None)

    def line(row: AlertRow, when: datetime | None = None) -> AlertLine:
        opened = row.opened_at.astimezone(tz).date()
        until = when.astimezone(tz).date() if when else today
        return AlertLine(row.id, row.unit_id, names.get(row.unit_id, row.unit_id), row.severity, row.message,
                         row.target_name or row.target_id, row.target_url, cn_date(opened), (until - opened).days,
                         row.overdue and row.status == "open", cn_date(when, tz) if when else "")

    by_id = {a.id: a for a in alerts}
    live = [a for a in alerts if a.status == "open"]
    new = [line(by_id[e.alert_id], e.at) for e in events if e.kind == "opened" and start < e.at <= now]
    resolved = [line(by_id[e.alert_id], e.at) for e in events if e.kind == "resolved" and start < e.at <= now]
    reds = sorted((line(a) for a in live if a.severity == "red"), key=lambda x: (not x.overdue, -x.days_open, x.id))
    overdue = [x for x in reds if x.overdue]
    return Digest(
        now=now, start=start, title=f"政务公开巡检周报（{cn_date(today)}）",
        period=f"{cn_date(start, tz)}至{cn_date(now, tz)}", issuer=issuer_name(config),
        generated=f"{cn_date(now, tz)} {now.astimezone(tz):%H:%M}",
        open_red=len(reds), open_yellow=sum(a.severity == "yellow" for a in live),
        new=new, resolved=resolved, overdue=overdue, reds=reds,
        units=_units(config, live, new, resolved),
        trend=_trend(alerts, events, now, tz),
        sites=[_site_panel(session, config, site.id, live, now, availability) for site in config.sites],
        accounts=_accounts(live), media=_media(config, live, line), delivery=outbox_health(session, now))


def _alerts(session: Session, since: datetime) -> list[AlertRow]:
    """Alerts that were open at some point of the trend's weeks."""
    return list(session.scalars(select(AlertRow).where(or_(AlertRow.closed_at.is_(None), AlertRow.closed_at > since))
                                .order_by(AlertRow.id)))


def _events(session: Session, ids: list[int], now: datetime) -> list[AlertEventRow]:
    if not ids:
        return []
    return list(session.scalars(select(AlertEventRow).where(AlertEventRow.alert_id.in_(ids), AlertEventRow.at <= now)
                                .order_by(AlertEventRow.at, AlertEventRow.id)))


def _units(config: Config, live: list[AlertRow], new: list[AlertLine], resolved: list[AlertLine]) -> list[UnitLine]:
    """Every configured unit (a clean one is news too), worst first."""
    names = {u.id: u.name for u in config.units}
    for unit_id in {a.unit_id for a in live} - set(names):
        names[unit_id] = unit_id
    count: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for a in live:
        count[a.unit_id][a.severity] += 1
        count[a.unit_id]["overdue"] += int(a.overdue)
    for x in new:
        count[x.unit_id]["new"] += 1
    for x in resolved:
        count[x.unit_id]["resolved"] += 1
    lines = [UnitLine(uid, name, count[uid]["red"], count[uid]["yellow"], count[uid]["new"], count[uid]["resolved"],
                      count[uid]["overdue"]) for uid, name in names.items()]
    return sorted(lines, key=lambda u: (-u.red, -u.yellow, -u.new, u.unit_id))


def _state_at(events: list[AlertEventRow], instant: datetime) -> tuple[str, str] | None:
    """(status, severity) of one alert at ``instant``, replayed from its events; None before it opened."""
    status = severity = None
    for event in events:
        if event.at > instant:
            break
        status = OPENING.get(event.kind, status)
        severity = event.severity
    return (status, severity) if status and severity else None


def _md(instant: datetime, tz: ZoneInfo) -> str:
    local = instant.astimezone(tz)
    return f"{local.month}月{local.day}日"


def _trend(alerts: list[AlertRow], events: list[AlertEventRow], now: datetime, tz: ZoneInfo) -> list[WeekPoint]:
    per_alert: dict[int, list[AlertEventRow]] = defaultdict(list)
    for event in events:
        per_alert[event.alert_id].append(event)
    points = []
    for back in range(TREND_WEEKS - 1, -1, -1):
        end = now - WEEK * back
        begin = end - WEEK
        states = [_state_at(per_alert[a.id], end) for a in alerts]
        open_now = [s for s in states if s and s[0] == "open"]
        label = _md(end, tz)
        points.append(WeekPoint(label,
                                sum(e.kind == "opened" and begin < e.at <= end for e in events),
                                sum(e.kind == "resolved" and begin < e.at <= end for e in events),
                                sum(s[1] == "red" for s in open_now), sum(s[1] == "yellow" for s in open_now)))
    return points


def _count_indicator(name: str, value: int, line: int, note: str = "") -> Indicator:
    status: Status = "over" if value > line else "near" if value >= (line + 1) // 2 else "ok"
    return Indicator(name, f"{value}个", f"超过{line}个即单项否决", status, note)


def _site_panel(session: Session, config: Config, site_id: str, live: list[AlertRow], now: datetime,
                availability: Rule | None) -> SitePanel:
    site = config.site(site_id)
    columns = {c.id for c in config.columns if c.site == site_id}
    mine = [a for a in live if a.target_kind == "column" and a.target_id in columns]
    stale_red = sum(a.rule == "column.stale" and a.severity == "red" for a in mine)
    stale_yellow = sum(a.rule == "column.stale" and a.severity == "yellow" for a in mine)
    blank = sum(a.rule == "column.blank" for a in mine)
    indicators = [
        _count_indicator("栏目不更新", stale_red, 5, f"另有黄色预警{stale_yellow}个" if stale_yellow else ""),
        _count_indicator("空白栏目", blank, 5),
        _homepage(session, site_id, now.astimezone(config.monitor.tz).date()),
        _unreachable(session, availability, site_id, now),
    ]
    return SitePanel(site_id, site.name, site.url, indicators)


def _homepage(session: Session, site_id: str, today: date) -> Indicator:
    """Days since the newest item linked from the homepage, as the last round that saw it found it."""
    latest = session.scalar(select(ObservationRow.latest).join(RoundRow, RoundRow.id == ObservationRow.round_id)
                            .where(ObservationRow.target_kind == "site", ObservationRow.target_id == site_id,
                                   ObservationRow.ok.is_(True), RoundRow.status == "done")
                            .order_by(ObservationRow.round_id.desc()).limit(1))
    if latest is None:
        return Indicator("首页不更新", "暂无数据", "2周（14天）未更新即单项否决", "nodata")
    days = (today - latest).days
    status: Status = "over" if days >= 14 else "near" if days >= 10 else "ok"
    return Indicator("首页不更新", f"{days}天", "2周（14天）未更新即单项否决", status, f"最新信息 {cn_date(latest)}")


def _unreachable(session: Session, rule: Rule | None, site_id: str, now: datetime) -> Indicator:
    """The share of failed or slow homepage probes in the availability rule's window (站点无法访问)."""
    line = "一周内无法访问次数超过5%即单项否决"
    if rule is None:
        return Indicator("站点无法访问", "未启用", line, "nodata")
    params = rule.params
    since = now - timedelta(days=params["window_days"])
    summary = next((s for s in probe_summaries(session, since, now, float(params["slow_s"]))
                    if s.site_id == site_id), None)
    probes = summary.probes if summary else 0
    if summary is None or probes < params["min_probes"]:
        value = f"探测{probes}次，不足以判定" if probes else "暂无探测数据"
        return Indicator("站点无法访问", value, line, "nodata")
    share = 100 * summary.failed / probes
    status: Status = ("over" if share >= params["red_percent"] else
                      "near" if share >= params["yellow_percent"] else "ok")
    return Indicator("站点无法访问", f"{share:.1f}%", line, status,
                     f"近{params['window_days']}天探测{probes}次，无法访问{summary.failed}次")


def _accounts(live: list[AlertRow]) -> Indicator:
    """New-media accounts with no post in two weeks (open red ``account.stale`` alerts)."""
    stale = [a for a in live if a.rule == "account.stale" and a.severity == "red"]
    names = "、".join(a.target_name or a.target_id for a in stale[:5]) + ("等" if len(stale) > 5 else "")
    return Indicator("政务新媒体2周未更新", f"{len(stale)}个", "任一账号2周未更新即单项否决",
                     "over" if stale else "ok", names)


def _media(config: Config, live: list[AlertRow], line: Callable[[AlertRow], AlertLine]) -> MediaSection:
    platform_of = {a.id: a.platform for a in config.accounts}
    mine = [a for a in live if a.target_kind == "account" and a.target_id in platform_of]
    stale = sorted((a for a in mine if a.rule == "account.stale"), key=lambda a: (a.severity != "red", a.id))
    blind = [a for a in mine if a.rule == "source.failing"]
    platforms = []
    for platform, name in PLATFORM_NAMES.items():
        ids = {i for i, p in platform_of.items() if p == platform}
        if ids:
            platforms.append(PlatformLine(
                name, len(ids), sum(a.target_id in ids and a.severity == "yellow" for a in stale),
                sum(a.target_id in ids and a.severity == "red" for a in stale), sum(a.target_id in ids for a in blind)))
    return MediaSection(platforms, [line(a) for a in stale], [line(a) for a in blind])


def queue_digest(session: Session, config: Config, now: datetime) -> tuple[Digest, list[int | None]]:
    """Build the digest and put it in the outbox; a second call on the same day queues nothing (None ids)."""
    digest = build_digest(session, config, now)
    return digest, [enqueue(session, draft, now) for draft in digest_drafts(config, digest)]


def last_digest(session: Session) -> datetime | None:
    """When a digest was last queued: a daemon that was down on Monday morning catches up once."""
    return session.scalar(select(func.max(OutboxRow.created_at)).where(OutboxRow.kind == "digest"))


def digest_drafts(config: Config, digest: Digest) -> list[Draft]:
    """The digest's outbox rows: compact markdown to the DingTalk group, the full digest to ``digest_to``.

    Keyed by the digest's day, so a digest job run twice on one day sends once.
    """
    day = digest.now.astimezone(config.monitor.tz).date().isoformat()
    drafts = []
    if config.notify.dingtalk is not None:
        drafts.append(Draft(draft_key("digest", "dingtalk", day), "dingtalk", "digest", digest.title,
                            render("digest.md.j2", d=digest)))
    email = config.notify.email
    if email is not None and email.digest_to:
        drafts.append(Draft(draft_key("digest", "email", day, *email.digest_to), "email", "digest", digest.title,
                            render("digest.txt.j2", d=digest), render("digest.html.j2", d=digest),
                            tuple(email.digest_to)))
    return drafts

