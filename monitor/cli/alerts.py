"""``round``, ``recheck``, ``alerts``, ``waive``, ``unwaive``: the alert lifecycle from the command line."""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from typing import Any

import click

from monitor.alerts.lifecycle import unwaive, waive
from monitor.alerts.service import Outcome, Selection, deadline_policy, run_recheck, run_round
from monitor.alerts.store import Applied, apply_changes, events_of, get_alert, list_alerts, to_state
from monitor.cli.app import App, pass_app
from monitor.cli.check import COLOURS, dump_inspection, dump_json, echo_report, terminal_progress
from monitor.cli.notify import drain, report_line
from monitor.errors import UsageError
from monitor.notify.notices import notice_hook
from monitor.rules.kinds import kind_name
from monitor.store.tables import AlertEventRow, AlertRow

STATUS_NAMES = {"open": "未关闭", "resolved": "已整改", "waived": "已豁免"}
EVENT_NAMES = {"opened": "开出", "raised": "升级", "resolved": "整改完成", "overdue": "逾期未整改",
               "escalated": "黄升红", "lowered": "降为黄色", "uninspected": "复查未能检查", "waived": "豁免",
               "unwaived": "取消豁免", "notified": "已通知"}


def operator() -> str:
    """Who is at the terminal, for the event history (``operator:<login>``)."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = os.environ.get("USER", "unknown")
    return f"operator:{name}"


def iso(value: datetime | None, app: App) -> str | None:
    return value.astimezone(app.config.monitor.tz).isoformat(timespec="seconds") if value else None


def short(value: datetime | None, app: App) -> str:
    return value.astimezone(app.config.monitor.tz).strftime("%Y-%m-%d %H:%M") if value else "—"


# --------------------------------------------------------------------------- round / recheck

@click.command("round")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def round_cmd(app: App, as_json: bool) -> int:
    """立即进行一轮全面巡检：检查全部目标，更新预警，生成并发送通知。"""
    outcome = run_round(app.config, app.rules, app.database, app.now(), kind="manual",
                        progress=None if as_json else terminal_progress(), after_apply=notice_hook(app.config))
    report = drain(app)
    if as_json:
        assert outcome.inspection is not None
        dump_inspection(outcome.inspection, {"round": outcome.round_id,
                                             "changes": [change_json(a, app) for a in outcome.applied],
                                             "outbox": report.to_json()})
    else:
        assert outcome.inspection is not None
        echo_report(outcome.inspection, app.config)
        click.echo(render_changes(outcome, app))
        click.echo(report_line(report, app.config))
    return 0


@click.command("recheck")
@click.argument("alert_ids", nargs=-1, type=int, metavar="[ALERT-ID]...")
@click.option("--unit", default=None, help="复查该单位的全部未关闭预警")
@click.option("--due", is_flag=True, help="复查已到期的预警（守护进程每隔几分钟做一次）")
@click.option("--all", "all_open", is_flag=True, help="复查全部未关闭的预警")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def recheck_cmd(app: App, alert_ids: tuple[int, ...], unit: str | None, due: bool, all_open: bool,
                as_json: bool) -> int:
    """立即复查指定预警的目标（只检查这些目标，不是整站），并更新预警。"""
    chosen = sum([bool(alert_ids), unit is not None, due, all_open])
    if chosen != 1:
        raise UsageError("请指定且只指定一种: ALERT-ID…、--unit UNIT、--due 或 --all")
    if unit is not None and unit not in {u.id for u in app.config.units}:
        raise UsageError(f"未知的单位 {unit!r}（可用: {', '.join(u.id for u in app.config.units)}）")
    selection = Selection(ids=alert_ids, unit=unit, all_open=all_open, due=due)
    outcome = run_recheck(app.config, app.rules, app.database, app.now(), selection, owner=app.owner(),
                          actor="recheck" if due else operator(),
                          progress=None if as_json else terminal_progress(),
                          after_apply=notice_hook(app.config, how="复查"))
    report = drain(app)
    if as_json:
        dump_json({"round": outcome.round_id, "changes": [change_json(a, app) for a in outcome.applied],
                   "skipped": outcome.skipped,
                   "errors": [e.to_json() for e in outcome.inspection.errors] if outcome.inspection else [],
                   "outbox": report.to_json()})
    else:
        click.echo(render_changes(outcome, app, nothing="没有需要复查的预警。"))
        click.echo(report_line(report, app.config))
    return 0


def change_json(applied: Applied, app: App) -> dict[str, Any]:
    after = applied.change.after
    return {"alert": applied.alert_id, "events": [e.kind for e in applied.change.events],
            "severity": after.severity, "status": after.status, "overdue": after.overdue,
            "recheck_due": iso(after.recheck_due, app), "notice": applied.change.notice,
            "target": after.target.to_json(), "unit": after.unit, "message": after.message}


def render_changes(outcome: Outcome, app: App, nothing: str = "预警没有变化。") -> str:
    lines = [click.style(s, fg="magenta") for s in outcome.skipped]
    if outcome.inspection is not None:
        for error in outcome.inspection.errors:
            named = f"{kind_name(error.target.kind, error.facts)}“{error.target.name or error.target.id}”"
            lines.append(click.style(f"无法检查 {named}: {error.error}", fg="magenta"))
    shown = [a for a in outcome.applied if a.change.events]
    if not shown:
        lines.append(nothing)
    for applied in shown:
        after = applied.change.after
        label, colour = COLOURS[after.severity]
        events = "、".join(EVENT_NAMES.get(e.kind, e.kind) for e in applied.change.events)
        due = f"，复查 {short(after.recheck_due, app)}" if after.status == "open" else ""
        what = after.message if after.status != "resolved" else f"原问题：{after.message}"
        lines.append(f"预警 {applied.alert_id} {click.style(f'[{label}]', fg=colour, bold=True)} {events}{due}："
                     f"{what}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- alerts

@click.group("alerts", invoke_without_command=True)
@click.option("--open", "open_only", is_flag=True, help="只列未关闭的预警")
@click.option("--unit", default=None, help="只列该单位的预警")
@click.option("--severity", type=click.Choice(["red", "yellow"]), default=None, help="只列该颜色")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON（DESIGN §5 格式）")
@pass_app
@click.pass_context
def alerts_group(ctx: click.Context, app: App, open_only: bool, unit: str | None, severity: str | None,
                 as_json: bool) -> int:
    """列出预警（默认全部）；monitor alerts show ID 查看一条预警及其完整历史。"""
    if ctx.invoked_subcommand is not None:
        return 0
    with app.database.session() as session:
        rows = list_alerts(session, open_only=open_only, unit=unit, severity=severity)
        if as_json:
            dump_json([alert_json(r, app) for r in rows])
        else:
            click.echo(render_alert_table(rows, app))
    return 0


def alert_json(row: AlertRow, app: App) -> dict[str, Any]:
    return {"id": row.id, "rule": row.rule, "severity": row.severity, "status": row.status,
            "target": {"kind": row.target_kind, "id": row.target_id, "name": row.target_name,
                       "url": row.target_url},
            "unit": row.unit_id, "opened_at": iso(row.opened_at, app), "recheck_due": iso(row.recheck_due, app),
            "overdue": row.overdue, "rechecks": row.rechecks, "message": row.message, "evidence": row.evidence,
            "closed_at": iso(row.closed_at, app)}


def event_json(row: AlertEventRow, app: App) -> dict[str, Any]:
    return {"at": iso(row.at, app), "kind": row.kind, "actor": row.actor, "detail": row.detail,
            "severity": row.severity}


def render_alert_table(rows: list[AlertRow], app: App) -> str:
    if not rows:
        return "没有符合条件的预警。"
    units = {u.id: u.name for u in app.config.units}
    today = app.now().astimezone(app.config.monitor.tz).date()
    lines = ["编号  单位            颜色  状态    已开   复查期限          问题"]
    for row in sorted(rows, key=lambda r: (r.status != "open", r.severity != "red", r.unit_id, r.id)):
        label, colour = COLOURS[row.severity]
        age = (today - row.opened_at.astimezone(app.config.monitor.tz).date()).days
        overdue = click.style(" 逾期未整改", fg="red", bold=True) if row.overdue and row.status == "open" else ""
        due = short(row.recheck_due, app) if row.status == "open" else "—"
        unit = units.get(row.unit_id, row.unit_id)
        lines.append(f"{row.id:<5} {_pad(unit, 15)} {click.style(f'[{label}]', fg=colour, bold=True)}  "
                     f"{_pad(STATUS_NAMES[row.status], 7)} {age:>3}天  {due:<17} {row.message}{overdue}")
    return "\n".join(lines)


def _pad(text: str, width: int) -> str:
    """Pad for the terminal, where a Chinese character is two columns wide."""
    shown = sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
    return text + " " * max(0, width - shown)


@alerts_group.command("show")
@click.argument("alert_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@pass_app
def alerts_show(app: App, alert_id: int, as_json: bool) -> int:
    """显示一条预警及其完整的事件历史。"""
    with app.database.session() as session:
        row = _existing(session, alert_id)
        events = events_of(session, alert_id)
        if as_json:
            dump_json(alert_json(row, app) | {"events": [event_json(e, app) for e in events]})
            return 0
        label, _ = COLOURS[row.severity]
        late = ("（逾期未整改）" if row.status == "open" else "（曾逾期未整改）") if row.overdue else ""
        lines = [f"预警 {row.id}  [{label}] {STATUS_NAMES[row.status]}{late}",
                 f"问题    {row.message}", f"规则    {row.rule}",
                 f"目标    {row.target_name or row.target_id}  {row.target_url}",
                 f"单位    {row.unit_id}", f"开出    {short(row.opened_at, app)}",
                 f"复查    {short(row.recheck_due, app)}（已复查 {row.rechecks} 次）", "", "历史:"]
        lines += [f"  {short(e.at, app)}  {EVENT_NAMES.get(e.kind, e.kind):<6} {e.actor:<18} {e.detail}"
                  for e in events]
        click.echo("\n".join(lines))
    return 0


def _existing(session: Any, alert_id: int) -> AlertRow:
    row = get_alert(session, alert_id)
    if row is None:
        raise UsageError(f"没有编号为 {alert_id} 的预警（monitor alerts 查看全部）")
    return row


# --------------------------------------------------------------------------- waive / unwaive

@click.command("waive")
@click.argument("alert_id", type=int)
@click.option("--reason", required=True, help="豁免理由（误报、栏目已撤销等），记入历史")
@pass_app
def waive_cmd(app: App, alert_id: int, reason: str) -> int:
    """豁免一条预警（误报/豁免）：同一问题在以后的巡检中不再报告，直到取消豁免。"""
    if not reason.strip():
        raise UsageError("--reason 不能为空：请写明豁免理由")
    _operate(app, alert_id, lambda state: waive(state, reason.strip()))
    click.echo(f"预警 {alert_id} 已豁免。取消豁免: monitor unwaive {alert_id}")
    return 0


@click.command("unwaive")
@click.argument("alert_id", type=int)
@click.option("--reason", default="", help="取消豁免的理由（可选）")
@pass_app
def unwaive_cmd(app: App, alert_id: int, reason: str) -> int:
    """取消豁免：预警重新打开，按其颜色重新计算复查时间。"""
    now = app.now()
    changed = _operate(app, alert_id, lambda state: unwaive(state, now, deadline_policy(app.config), reason))
    click.echo(f"预警 {alert_id} 已取消豁免，复查时间 {short(changed.recheck_due, app)}。")
    return 0


def _operate(app: App, alert_id: int, decide: Any) -> Any:
    with app.database.session() as session:
        state = to_state(_existing(session, alert_id))
        try:
            change = decide(state)
        except ValueError as exc:
            raise UsageError(f"预警 {alert_id}: {exc}") from None
        if not apply_changes(session, [change], actor=operator(), now=app.now()):
            raise UsageError(f"预警 {alert_id} 刚被另一进程修改，请重试")
    return change.after
