"""The ``monitor`` command: one small module per group of verbs (DESIGN §5).

``main(argv) -> int`` is what tests call; ``entry()`` is the console script.
Our own errors print as one line (or a list, for configuration) and exit 2;
only bugs show a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from monitor.cli import admin, alerts, check, daemon, demo, notify, stats
from monitor.cli.app import App, setup_logging
from monitor.errors import ConfigError, MonitorError

VERB_MODULES = (check, alerts, daemon, demo, admin, notify, stats)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
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


for _module in VERB_MODULES:
    _module.register(cli)


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
    sys.exit(main())
