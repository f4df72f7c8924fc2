"""Per-unit notices from one round's or recheck's alert changes, queued in the same transaction.

Who is told what (DESIGN §4), as the lifecycle decided it in ``Change.notice``:

- opened / raised / overdue → one notice per unit per round or recheck (红色通报 when any
  item is red, else 黄色预警), red items first, overdue ones marked 逾期未整改;
- escalated → a separate short message per unit (黄色预警升级为红色通报);
- resolved → no message: 整改完成 goes into the weekly digest.

Each notice goes to the DingTalk group (@ the unit's mobiles) and to the unit's e-mail
addresses, as one outbox row per channel whose idempotency key is derived from the
alert events it reports: running the same after_apply twice queues nothing new.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parseaddr
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitor.alerts.lifecycle import AlertState
from monitor.alerts.store import Applied
from monitor.config import Config
from monitor.notify.dingtalk import MAX_BYTES
from monitor.notify.mail import format_address
from monitor.notify.outbox import Draft, draft_key, enqueue
from monitor.notify.render import cn_date, cn_weekday, render, safe_url
from monitor.store.tables import AlertEventRow

log = logging.getLogger(__name__)

AfterApply = Callable[[Session, list[Applied], datetime], None]

NOTICE_KINDS = ("opened", "raised", "overdue")
PART_BYTES = MAX_BYTES - 1_000          # room for the @ line, the 编号 footer and the keyword
KIND_NAMES = {"site": "网站", "column": "栏目", "account": "账号", "page": "页面", "link": "链接",
              "policy": "政策文件"}
STATUS_LABELS = {"opened": "新发现", "raised": "升级为红色", "overdue": "逾期未整改",
                 "escalated": "黄色预警升级为红色通报"}


@dataclass(frozen=True)
class Evidence:
    label: str
    text: str
    url: str | None = None


@dataclass(frozen=True)
class NoticeItem:
    """One alert as a notice shows it: the problem in plain words, its evidence and its deadline."""

    alert_id: int
    severity: str
    status: str
    overdue: bool
    problem: str
    target: str
    target_url: str
    evidence: tuple[Evidence, ...]
    deadline: str


@dataclass
class Notice:
    kind: str                                      # notice | escalation
    unit_id: str
    unit_name: str
    subject: str
    items: list[NoticeItem]
    when: str
    how: str                                       # 巡检 | 复查
    issuer: str
    event_ids: list[int] = field(default_factory=list)

    @property
    def has_red(self) -> bool:
        return any(i.severity == "red" for i in self.items)


def deadline_text(alert: AlertState, tz: ZoneInfo) -> str:
    """次日复查 with date and time for red, 次周复查 with the date for yellow."""
    if alert.recheck_due is None:
        return "无"
    due = alert.recheck_due.astimezone(tz)
    day = f"{cn_date(due.date())}（{cn_weekday(due.date())}）"
    if alert.severity == "red":
        return f"次日复查，{day}{due:%H:%M}前完成整改"
    return f"次周复查，{day}前完成整改"


def _cn_iso(value: Any) -> str:
    """An ISO date from the evidence in Chinese (``2026年11月2日``); anything else unchanged."""
    try:
        return cn_date(date.fromisoformat(str(value)))
    except ValueError:
        return str(value)


def evidence_of(alert: AlertState) -> tuple[Evidence, ...]:
    """The facts a person needs to verify the finding, in words; unknown evidence keys are left out."""
    ev = alert.evidence
    kind = KIND_NAMES.get(alert.target.kind, "对象")
    lines = [Evidence(f"检查{kind}", alert.target.name or alert.target.id, safe_url(alert.target.url))]
    if ev.get("latest"):
        since = f"（距今{ev['days']}天）" if ev.get("days") is not None else ""
        lines.append(Evidence("最新信息日期", f"{_cn_iso(ev['latest'])}{since}"))
    if ev.get("latest_title"):
        lines.append(Evidence("最新一条", f"《{ev['latest_title']}》", safe_url(ev.get("latest_url"))))
    if ev.get("red_days"):
        yellow = f"预警线{ev['yellow_days']}天，" if ev.get("yellow_days") else ""
        lines.append(Evidence("更新要求", f"{yellow}红线{ev['red_days']}天"))
    if ev.get("items") == 0:
        lines.append(Evidence("栏目内容", "没有任何信息"))
    if ev.get("error"):
        lines.append(Evidence("无法检查的原因", str(ev["error"])))
    if ev.get("status"):
        lines.append(Evidence("HTTP 状态", str(ev["status"])))
    for page in list(ev.get("pages") or [])[:3]:
        lines.append(Evidence("所在页面", str(page), safe_url(page)))
    return tuple(lines)


def notice_item(alert_id: int, alert: AlertState, status: str, tz: ZoneInfo) -> NoticeItem:
    return NoticeItem(alert_id=alert_id, severity=alert.severity, status=STATUS_LABELS.get(status, status),
                      overdue=alert.overdue, problem=alert.message,
                      target=alert.target.name or alert.target.id, target_url=alert.target.url,
                      evidence=evidence_of(alert), deadline=deadline_text(alert, tz))


def issuer_name(config: Config) -> str:
    """Who signs notices: the e-mail sender's display name, else 政务公开办."""
    email = config.notify.email
    name = parseaddr(email.sender)[0] if email else ""
    return name or "政务公开办"


def _subject(kind: str, unit: str, items: Sequence[NoticeItem]) -> str:
    if kind == "escalation":
        return f"关于{unit}黄色预警升级为红色通报的通知"
    if any(i.severity == "red" for i in items):
        if all(i.overdue for i in items if i.severity == "red"):
            return f"关于{unit}逾期未整改问题的红色通报"
        return f"关于{unit}政务公开问题的红色通报"
    return f"关于{unit}政务公开问题的黄色预警"


def build_notices(config: Config, applied: Sequence[Applied], now: datetime, how: str) -> list[Notice]:
    """Group the changes that call for a notice by unit: one notice, plus one escalation message if any."""
    tz = config.monitor.tz
    groups: dict[tuple[str, str], list[NoticeItem]] = defaultdict(list)
    for a in applied:
        notice = a.change.notice
        if notice is None:
            continue
        kind = "escalation" if notice == "escalated" else "notice"
        groups[(a.change.after.unit, kind)].append(notice_item(a.alert_id, a.change.after, notice, tz))
    names = {u.id: u.name for u in config.units}
    when = cn_date(now, tz)
    notices = []
    for (unit_id, kind), items in sorted(groups.items()):
        items.sort(key=lambda i: (i.severity != "red", not i.overdue, i.alert_id))
        unit = names.get(unit_id, unit_id)
        notices.append(Notice(kind, unit_id, unit, _subject(kind, unit, items), items, when, how,
                              issuer_name(config)))
    return notices


def sections(items: Sequence[NoticeItem]) -> list[tuple[str, str, list[NoticeItem]]]:
    """Red items under 红色通报 first, then 黄色预警; empty groups left out."""
    reds = [i for i in items if i.severity == "red"]
    yellows = [i for i in items if i.severity != "red"]
    groups = (("红色通报", "red", reds), ("黄色预警", "yellow", yellows))
    return [group for group in groups if group[2]]


def render_notice(notice: Notice, suffix: str, items: Sequence[NoticeItem], part: int = 1, parts: int = 1) -> str:
    return render(f"{notice.kind}.{suffix}.j2", n=notice, items=items, sections=sections(items), part=part,
                  parts=parts)


def render_markdown_parts(notice: Notice) -> list[str]:
    """DingTalk markdown, split into parts under the size limit when a unit has very many items."""
    count = 1
    while True:
        size = -(-len(notice.items) // count)
        chunks = [notice.items[i:i + size] for i in range(0, len(notice.items), size)]
        parts = [render_notice(notice, "md", chunk, i + 1, len(chunks)) for i, chunk in enumerate(chunks)]
        if all(len(p.encode()) <= PART_BYTES for p in parts) or size == 1:
            return parts
        count += 1



def drafts_for(config: Config, notice: Notice) -> list[Draft]:
    """The outbox rows of one notice: DingTalk (maybe in parts) and e-mail, each with its own key."""
    alert_ids = tuple(sorted({i.alert_id for i in notice.items}))
    # The events reported are the key; the alerts and their statuses keep it unique even if none were found.
    events = ",".join(str(e) for e in sorted(notice.event_ids)) + "|" + ",".join(
        f"{i.alert_id}:{i.status}:{i.severity}" for i in sorted(notice.items, key=lambda i: i.alert_id))
    priority = 0 if notice.has_red else 1
    unit = next((u for u in config.units if u.id == notice.unit_id), None)
    drafts = []
    if config.notify.dingtalk is not None:
        mobiles = unit.dingtalk_mobiles if unit else ()
        parts = render_markdown_parts(notice)
        for number, body in enumerate(parts, start=1):
            subject = notice.subject + (f"（第{number}/{len(parts)}部分）" if len(parts) > 1 else "")
            drafts.append(Draft(draft_key(notice.kind, "dingtalk", notice.unit_id, events, number), "dingtalk",
                                notice.kind, subject, body, None, tuple(mobiles), notice.unit_id, alert_ids, priority))
    if config.notify.email is not None and unit and unit.emails:
        recipients = tuple(format_address(unit.name, address) for address in unit.emails)
        drafts.append(Draft(draft_key(notice.kind, "email", notice.unit_id, events), "email", notice.kind,
                            notice.subject, render_notice(notice, "txt", notice.items),
                            render_notice(notice, "html", notice.items), recipients,
                            notice.unit_id, alert_ids, priority))
    return drafts


def _event_ids(session: Session, applied: Sequence[Applied], now: datetime) -> dict[int, list[int]]:
    """The ids of the events these changes just wrote (flushed by the query), by alert."""
    ids = [a.alert_id for a in applied if a.change.notice]
    kinds = (*NOTICE_KINDS, "escalated")
    rows = session.execute(select(AlertEventRow.alert_id, AlertEventRow.id).where(
        AlertEventRow.alert_id.in_(ids), AlertEventRow.at == now, AlertEventRow.kind.in_(kinds)))
    found: dict[int, list[int]] = defaultdict(list)
    for alert_id, event_id in rows:
        found[alert_id].append(event_id)
    return found


def enqueue_notices(session: Session, config: Config, applied: Sequence[Applied], now: datetime,
                    how: str = "巡检") -> list[int]:
    """Queue every notice these changes call for; return the new outbox ids (none when already queued)."""
    if config.notify.dingtalk is None and config.notify.email is None:
        if any(a.change.notice for a in applied):
            log.info("notices not queued: no [notify.dingtalk] or [notify.email] configured")
        return []
    events = _event_ids(session, applied, now)
    queued = []
    for notice in build_notices(config, applied, now, how):
        notice.event_ids = [e for item in notice.items for e in events.get(item.alert_id, [])]
        for draft in drafts_for(config, notice):
            row_id = enqueue(session, draft, now)
            if row_id is not None:
                queued.append(row_id)
    return queued


def notice_hook(config: Config, how: str = "巡检") -> AfterApply:
    """The ``after_apply`` for ``run_round`` / ``run_recheck``: notices join the alert transaction."""

    def after_apply(session: Session, applied: list[Applied], now: datetime) -> None:
        enqueue_notices(session, config, applied, now, how)

    return after_apply
