"""The ``monitor`` command: one small module per group of verbs (DESIGN §5).

``main(argv) -> int`` is what tests call; ``entry()`` is the console script.
Our own errors print as one line (or a list, for configuration) and exit 2;
only bugs show a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from monitor.cli.app import App, setup_logging
from monitor.errors import ConfigError, MonitorError
from monitor.heap import hold_mmap_threshold

# Each verb and where it lives, as ``module:attribute`` under ``monitor.cli``. Only the module
# of the verb being run is imported: the scheduler, the notifiers and their templates cost
# every other command a second.
VERBS = {
    "check": "check:check_cmd", "probe": "check:probe_cmd",
    "round": "alerts:round_cmd", "recheck": "alerts:recheck_cmd", "alerts": "alerts:alerts_group",
    "waive": "alerts:waive_cmd", "unwaive": "alerts:unwaive_cmd",
    "run": "daemon:run_cmd", "status": "daemon:status_cmd", "systemd-unit": "daemon:systemd_unit_cmd",
    "demo": "demo:demo_cmd", "config": "admin:config_group", "db": "admin:db_group",
    "outbox": "notify:outbox_cmd", "digest": "notify:digest_cmd", "notify-test": "notify:notify_test_cmd",
    "stats": "stats:stats_cmd",
}


class LazyGroup(click.Group):
    """A group whose verbs are imported when they are asked for (``VERBS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(VERBS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in VERBS:
            return None
        module, attribute = VERBS[cmd_name].split(":")
        command: click.Command = getattr(importlib.import_module(f"monitor.cli.{module}"), attribute)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--config", "config_path", envvar="MONITOR_CONFIG", default="config.toml", show_default=True,
              help="配置文件（也可用环境变量 MONITOR_CONFIG）")
@click.option("--now", "now_text", envvar="MONITOR_NOW", default=None,
              help="把时钟固定在该时刻（ISO 格式，如 2026-11-26T09:00:00+08:00），用于补跑、复现与测试")
@click.option("-v", "--verbose", count=True, help="输出更多日志（-vv 为调试）")
@click.version_option(package_name="zwgk-monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str, now_text: str | None, verbose: int) -> None:
    """政务公开巡检：县政府门户网站与政务新媒体的每周巡检、红黄双色预警与通报。"""
    setup_logging(verbose)
    ctx.obj = App.create(config_path, now_text)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return its exit code instead of exiting (so tests can call it)."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="monitor",
                          standalone_mode=False)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        return 2
    except MonitorError as exc:
        click.echo(f"错误: {exc}", err=True)
        return 2
    except click.exceptions.Abort:
        click.echo("已中止。", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return 2 if exc.exit_code == 1 else exc.exit_code  # bad usage is 2 (DESIGN §5)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    return result if isinstance(result, int) else 0


def entry() -> None:
    hold_mmap_threshold()
    sys.exit(main())
