"""``monitor status``: is the daemon alive, what did the last round find, what runs next.

The report is a tuple of ``Section``s, each a pair of small functions: ``collect`` reads the
database into JSON-ready data, ``render`` turns that data into Chinese lines. ``--json``
prints ``{"now": …, <section key>: <collected data>, …}``. A new part of the product shows
itself by adding one ``Section`` to ``SECTIONS`` (the outbox's backlog and failures go there).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitor.config import Config
from monitor.daemon import record
from monitor.daemon.jobs import FULL_ROUNDS, JOBS
from monitor.notify.base import CHANNEL_NAMES
from monitor.notify.outbox import outbox_health
from monitor.rules import RuleSet
from monitor.store.probes import probe_summaries
from monitor.store.tables import AlertRow, RoundRow

KIND_NAMES = {"weekly": "每周巡检", "manual": "手动巡检", "recheck": "复查", "check": "检查"}
OUTCOME_NAMES = {"ok": "完成", "failed": "失败", "interrupted": "已中止"}


@dataclass(frozen=True)
class StatusContext:
    config: Config
    rules: RuleSet
    now: datetime        # the domain clock (``--now`` honoured): due rechecks, probe window
    wall: datetime       # the real clock: is the heartbeat fresh?

    def iso(self, value: datetime | None) -> str | None:
        return value.astimezone(self.config.monitor.tz).isoformat(timespec="seconds") if value else None


@dataclass(frozen=True)
class Section:
    key: str
    collect: Callable[[Session, StatusContext], Any]
    render: Callable[[Any, StatusContext], list[str]]


def collect_status(session: Session, ctx: StatusContext) -> dict[str, Any]:
    return {"now": ctx.iso(ctx.now), **{s.key: s.collect(session, ctx) for s in SECTIONS}}


def render_status(data: dict[str, Any], ctx: StatusContext) -> str:
    return "\n".join(line for s in SECTIONS for line in s.render(data[s.key], ctx))


def short(text: str | None) -> str:
    """An ISO timestamp as people read it: ``2026-11-23 02:00``."""
    return text[:16].replace("T", " ") if text else "—"


# --------------------------------------------------------------------------- daemon

def collect_daemon(session: Session, ctx: StatusContext) -> dict[str, Any]:
    row = record.latest(session)
    if row is None:
        return {"state": "never", "alive": False}
    alive = record.is_alive(row, ctx.wall)
    state = "running" if alive else "stopped" if row.stopped_at else "unresponsive"
    return {"state": state, "alive": alive, "host": row.host, "pid": row.pid, "version": row.version,
            "started_at": ctx.iso(row.started_at), "heartbeat_at": ctx.iso(row.heartbeat_at),
            "heartbeat_age_s": round((ctx.wall - row.heartbeat_at).total_seconds()),
            "stopped_at": ctx.iso(row.stopped_at), "stop_reason": row.stop_reason}


def render_daemon(data: dict[str, Any], ctx: StatusContext) -> list[str]:
    state = data["state"]
    if state == "never":
        return ["守护进程  从未运行（启动: monitor run，部署见 README“部署”一节）"]
    who = f"主机 {data['host']}，进程 {data['pid']}"
    if state == "running":
        return [f"守护进程  运行中（{who}，自 {short(data['started_at'])} 起，心跳 {data['heartbeat_age_s']} 秒前）"]
    if state == "unresponsive":
        return [f"守护进程  无响应：{who} 最近心跳在 {short(data['heartbeat_at'])}（进程可能已被终止）"]
    return [f"守护进程  未运行：{who} 于 {short(data['stopped_at'])} 停止（{data['stop_reason']}）"]


# --------------------------------------------------------------------------- rounds

def _round_json(row: RoundRow, ctx: StatusContext) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "status": row.status, "started_at": ctx.iso(row.started_at),
            "finished_at": ctx.iso(row.finished_at), "seconds": round(row.seconds, 1), "pages": row.pages,
            "findings": row.findings, "errors": row.errors}


def collect_rounds(session: Session, ctx: StatusContext) -> dict[str, Any]:
    last = session.scalars(select(RoundRow).where(RoundRow.kind.in_(FULL_ROUNDS), RoundRow.status == "done")
                           .order_by(RoundRow.started_at.desc(), RoundRow.id.desc()).limit(1)).first()
    running = session.scalars(select(RoundRow).where(RoundRow.status == "running").order_by(RoundRow.id))
    return {"last": _round_json(last, ctx) if last else None, "running": [_round_json(r, ctx) for r in running]}


def render_rounds(data: dict[str, Any], ctx: StatusContext) -> list[str]:
    last = data["last"]
    if last is None:
        lines = ["上次巡检  尚无完成的巡检"]
    else:
        kind = KIND_NAMES.get(last["kind"], last["kind"])
        lines = [f"上次巡检  {short(last['started_at'])} {kind}（#{last['id']}），用时 {last['seconds']:g} 秒，"
                 f"页面 {last['pages']} 个，问题 {last['findings']} 项，无法检查 {last['errors']} 个"]
    lines += [f"正在进行  {KIND_NAMES.get(r['kind'], r['kind'])}（#{r['id']}），自 {short(r['started_at'])} 起"
              for r in data["running"]]
    return lines


# --------------------------------------------------------------------------- jobs

def collect_jobs(session: Session, ctx: StatusContext) -> list[dict[str, Any]]:
    row = record.latest(session)
    alive = record.is_alive(row, ctx.wall)
    board = row.jobs if row is not None else {}
    jobs = []
    for job in JOBS:
        seen = board.get(job.name, {})
        jobs.append({"name": job.name, "title": job.title, "schedule": job.schedule_text(ctx.config),
                     "next_run": seen.get("next_run") if alive else None,
                     "running_since": seen.get("running_since") if alive else None,
                     "last": seen.get("last")})
    return jobs


def render_jobs(data: list[dict[str, Any]], ctx: StatusContext) -> list[str]:
    lines = []
    for i, job in enumerate(data):
        head = "计划任务  " if i == 0 else "          "
        name = job["title"]
        when = f"进行中（自 {short(job['running_since'])} 起）" if job["running_since"] else \
            f"下次 {short(job['next_run'])}" if job["next_run"] else "下次 —（守护进程未运行）"
        lines.append(f"{head}{name:<6} {job['schedule']:<12} {when}{_last_outcome(job['last'])}")
    return lines


def _last_outcome(last: dict[str, Any] | None) -> str:
    if not last:
        return ""
    outcome = OUTCOME_NAMES.get(last["status"], last["status"])
    error = f"（{last['error']}）" if last.get("error") else ""
    return f"；上次 {short(last['started_at'])} {outcome}{error}"


# --------------------------------------------------------------------------- alerts

def collect_alerts(session: Session, ctx: StatusContext) -> dict[str, int]:
    counts = dict(session.execute(select(AlertRow.severity, func.count()).where(AlertRow.status == "open")
                                  .group_by(AlertRow.severity)).all())

    def count(*where: Any) -> int:
        return int(session.scalar(select(func.count()).select_from(AlertRow).where(*where)) or 0)

    return {"red": int(counts.get("red", 0)), "yellow": int(counts.get("yellow", 0)),
            "overdue": count(AlertRow.status == "open", AlertRow.overdue.is_(True)),
            "due": count(AlertRow.status == "open", AlertRow.recheck_due <= ctx.now),
            "waived": count(AlertRow.status == "waived")}


def render_alerts(data: dict[str, int], ctx: StatusContext) -> list[str]:
    return [f"未关闭预警 红色 {data['red']} 项（逾期未整改 {data['overdue']} 项），黄色 {data['yellow']} 项；"
            f"已到复查时间 {data['due']} 项；豁免 {data['waived']} 项"]


# --------------------------------------------------------------------------- availability

def collect_availability(session: Session, ctx: StatusContext) -> list[dict[str, Any]]:
    rule = next(iter(ctx.rules.of_kind("availability")), None)
    if rule is None:
        return []
    window = ctx.rules.probe_window()
    assert window is not None
    names = {s.id: s.name for s in ctx.config.sites}
    result = []
    for summary in probe_summaries(session, ctx.now - window, ctx.now, float(rule.params["slow_s"])):
        last = summary.last
        result.append({"site": summary.site_id, "name": names.get(summary.site_id, summary.site_id),
                       "window_days": window.days, "probes": summary.probes, "failed": summary.failed,
                       "share_percent": round(100 * summary.failed / summary.probes, 2) if summary.probes else 0.0,
                       "last": None if last is None else {"at": ctx.iso(last.at), "ok": last.ok,
                                                          "seconds": last.seconds, "error": last.error}})
    return result


def render_availability(data: list[dict[str, Any]], ctx: StatusContext) -> list[str]:
    if not data:
        return ["可访问性  尚无首页探测记录"]
    lines = []
    for i, site in enumerate(data):
        last = site["last"]
        seen = "正常" if last and last["ok"] else f"失败（{last['error']}）" if last else "—"
        lines.append(f"{'可访问性  ' if i == 0 else '          '}{site['name']}：近{site['window_days']}天 "
                     f"{site['probes']} 次，无法访问 {site['failed']} 次（{site['share_percent']:g}%）；"
                     f"最近 {short(last['at'] if last else None)} {seen}")
    return lines


def collect_outbox(session: Session, ctx: StatusContext) -> dict[str, Any]:
    return outbox_health(session, ctx.now).to_json()


def render_outbox(data: dict[str, Any], ctx: StatusContext) -> list[str]:
    """The backlog, and loudly every message given up on (a wrong robot secret must not go unnoticed)."""
    head = (f"发件箱    待发 {data['pending']} 条（到期 {data['due']} 条，重试中 {data['retrying']} 条），"
            f"正在发送 {data['sending']} 条，发送失败 {data['failed']} 条")
    lines = [head if data["ok"] else click.style(head, fg="red", bold=True)]
    for failure in data["failures"][:5]:
        lines.append(f"          {CHANNEL_NAMES.get(failure['channel'], failure['channel'])}："
                     f"{failure['error']}（{short(ctx.iso(datetime.fromisoformat(failure['at'])))}）")
    if data["failed"]:
        lines.append("          修复配置后运行 monitor outbox --retry --flush 重新发送")
    return lines


SECTIONS: tuple[Section, ...] = (
    Section("daemon", collect_daemon, render_daemon),
    Section("rounds", collect_rounds, render_rounds),
    Section("jobs", collect_jobs, render_jobs),
    Section("alerts", collect_alerts, render_alerts),
    Section("availability", collect_availability, render_availability),
    Section("outbox", collect_outbox, render_outbox),
)
