"""``outbox``, ``digest``, ``notify-test``: the messages the office sends, from the command line."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from monitor.cli.app import App, pass_app
from monitor.cli.check import dump_json
from monitor.config import Config
from monitor.errors import UsageError
from monitor.notify.base import CHANNEL_NAMES, Message, TransportError
from monitor.notify.digest import build_digest, queue_digest
from monitor.notify.outbox import (
    FlushReport,
    OutboxHealth,
    backlog,
    build_transports,
    flush,
    outbox_health,
    retry_failed,
)
from monitor.notify.render import render
from monitor.store.tables import OutboxRow

KIND_NAMES = {"notice": "通报", "escalation": "升级", "digest": "周报"}
STATUS_NAMES = {"pending": "待发送", "sending": "发送中", "sent": "已发送", "failed": "失败"}


def drain(app: App) -> FlushReport:
    """Send what is due now; ``round`` and ``recheck`` call it when they finish."""
    return flush(app.config, app.database, app.now(), owner=app.owner())


def report_line(report: FlushReport, config: Config | None = None) -> str:
    """One line on what was sent; with the config, says plainly when no channel is configured."""
    if config is not None and config.notify.dingtalk is None and config.notify.email is None:
        return "通知：未配置钉钉或邮件（config.toml 的 [notify.dingtalk] / [notify.email]），没有发送通知。"
    parts = [f"已发送 {report.sent} 条（{report.messages} 次发送）"]
    if report.deferred:
        parts.append(f"{report.deferred} 条因钉钉限速稍后发送")
    if report.retrying:
        parts.append(f"{report.retrying} 条发送失败、稍后重试")
    if report.failed:
        parts.append(click.style(f"{report.failed} 条发送失败且不再重试", fg="red", bold=True))
    line = "通知：" + "，".join(parts) + "。"
    return line + "".join(f"\n  {error}" for error in dict.fromkeys(report.errors))


# --------------------------------------------------------------------------- outbox

@click.command("outbox")
@click.option("--flush", "do_flush", is_flag=True, help="立即发送已到时间的消息")
@click.option("--retry", is_flag=True, help="把发送失败与暂停的消息重新排队（修复配置后使用，常与 --flush 同用）")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def outbox_cmd(app: App, do_flush: bool, retry: bool, as_json: bool) -> int:
    """列出待发送与发送失败的消息；--flush 立即发送已到时间的消息。"""
    now = app.now()
    requeued = 0
    if retry:
        with app.database.session() as session:
            requeued = retry_failed(session, now)
    report = drain(app) if do_flush else None
    with app.database.session() as session:
        rows = backlog(session)
        health = outbox_health(session, now)
        if as_json:
            dump_json({"flush": report.to_json() if report else None, "requeued": requeued,
                       "health": health.to_json(), "messages": [row_json(r, app) for r in rows]})
        else:
            if retry:
                click.echo(f"已重新排队 {requeued} 条发送失败的消息。")
            if report is not None:
                click.echo(report_line(report))
            click.echo(render_backlog(rows, health, app))
    return 1 if health.failed else 0


def _iso(value: datetime | None, app: App) -> str | None:
    return value.astimezone(app.config.monitor.tz).isoformat(timespec="seconds") if value else None


def row_json(row: OutboxRow, app: App) -> dict[str, Any]:
    return {"id": row.id, "channel": row.channel, "kind": row.kind, "unit": row.unit_id,
            "recipients": row.recipients, "subject": row.subject, "status": row.status, "attempts": row.attempts,
            "created_at": _iso(row.created_at, app), "next_attempt_at": _iso(row.next_attempt_at, app),
            "sent_at": _iso(row.sent_at, app), "last_error": row.last_error, "alerts": row.alert_ids}


def render_backlog(rows: list[OutboxRow], health: OutboxHealth, app: App) -> str:
    summary = (f"待发送 {health.pending} 条（已到时间 {health.due} 条，重试中 {health.retrying} 条），"
               f"发送中 {health.sending} 条，发送失败 {health.failed} 条。")
    if not rows:
        return summary + "\n发件箱是空的：所有消息都已送达。"
    lines = [summary, "编号   渠道  类型  状态    尝试  下次发送          标题"]
    tz = app.config.monitor.tz
    for row in rows:
        status = STATUS_NAMES[row.status]
        styled = click.style(f"{status:<6}", fg="red", bold=True) if row.status == "failed" else f"{status:<6}"
        when = row.next_attempt_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if row.status == "pending" else "—"
        lines.append(f"{row.id:<6} {CHANNEL_NAMES[row.channel]:<4} {KIND_NAMES.get(row.kind, row.kind):<4} "
                     f"{styled} {row.attempts:>3}  {when:<17} {row.subject}")
        if row.last_error:
            lines.append(f"       └ {row.last_error}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- digest

@click.command("digest")
@click.option("--preview", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="把周报写成 HTML 文件，用浏览器查看")
@click.option("--send", is_flag=True, help="发送周报（钉钉群与 digest_to 邮箱）")
@pass_app
def digest_cmd(app: App, preview: Path | None, send: bool) -> int:
    """生成一周一通报的周报：默认打印文本版；--preview 写 HTML；--send 发送。"""
    now = app.now()
    with app.database.session() as session:
        if send:
            digest, queued = queue_digest(session, app.config, now)
        else:
            digest, queued = build_digest(session, app.config, now), []
    if preview is not None:
        preview.write_text(render("digest.html.j2", d=digest), encoding="utf-8")
        click.echo(f"周报已写入 {preview}（用浏览器打开查看）。")
    if send:
        if not queued:
            raise UsageError("没有配置周报的发送渠道（[notify.dingtalk] 或 [notify.email] 的 digest_to）")
        if not any(queued):
            click.echo("今天的周报已经发送过（或已在发件箱中），不再重复发送。")
        click.echo(report_line(drain(app)))
    if preview is None and not send:
        click.echo(render("digest.txt.j2", d=digest))
    return 0


# --------------------------------------------------------------------------- notify-test

@click.command("notify-test")
@click.option("--channel", type=click.Choice(["dingtalk", "email"]), default=None,
              help="只测试该渠道（默认全部已配置的）")
@pass_app
def notify_test_cmd(app: App, channel: str | None) -> int:
    """向已配置的渠道直接发送一条测试消息（不经发件箱），报告结果。"""
    transports = build_transports(app.config)
    if channel is not None and channel not in transports:
        raise UsageError(f"没有配置 [notify.{channel}]")
    if not transports:
        raise UsageError("没有配置任何通知渠道（[notify.dingtalk] / [notify.email]）")
    now = app.now()
    failures = 0
    for name, transport in transports.items():
        if channel is not None and name != channel:
            continue
        try:
            transport.send([test_message(app, name)], now)
        except TransportError as error:
            failures += 1
            click.echo(click.style(f"{transport.label}：发送失败 —— {error.reason}", fg="red"), err=True)
        else:
            click.echo(f"{transport.label}：测试消息已发送（{transport.describe([test_message(app, name)])}）。")
        finally:
            transport.close()
    return 1 if failures else 0


def test_message(app: App, channel: str) -> Message:
    now = app.now().astimezone(app.config.monitor.tz)
    subject = "政务公开巡检：通知渠道测试"
    text = (f"这是一条测试消息：政务公开巡检的{CHANNEL_NAMES[channel]}通知渠道工作正常。"
            f"\n\n发送时间 {now:%Y-%m-%d %H:%M}")
    email = app.config.notify.email
    to = (email.digest_to or (email.sender,)) if email else ()
    if channel == "dingtalk":
        return Message(id=0, key="notify-test", kind="test", subject=subject, body=f"### {subject}\n\n{text}")
    return Message(id=0, key=f"notify-test-{now:%Y%m%d%H%M%S}", kind="test", subject=subject, body=text,
                   recipients=tuple(to))
