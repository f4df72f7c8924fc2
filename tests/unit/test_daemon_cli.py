"""The daemon's log lines and the systemd unit it prints."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import main
from monitor.daemon.logs import JsonFormatter, KeyValueFormatter, configure


def record(message: str, **fields: object) -> logging.LogRecord:
    return logging.getLogger("monitor.daemon.runtime").makeRecord(
        "monitor.daemon.runtime", logging.INFO, __file__, 1, message, (), None, extra=fields)


def test_key_value_line() -> None:
    line = KeyValueFormatter().format(record("job finished", job="round", status="ok", seconds=41.2,
                                             error=None, failed_sites="a,b", reason="未正常退出 (killed)"))
    assert line.endswith(' INFO monitor.daemon.runtime: job finished job=round status=ok seconds=41.2 '
                         'failed_sites=a,b reason="未正常退出 (killed)"')
    assert "error=" not in line


def test_json_line() -> None:
    data = json.loads(JsonFormatter().format(record("job finished", job="probe", failed=0)))
    assert {k: data[k] for k in ("level", "logger", "message", "job", "failed")} == {
        "level": "INFO", "logger": "monitor.daemon.runtime", "message": "job finished", "job": "probe", "failed": 0}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "apscheduler", "alembic")}
    yield
    root.handlers[:], root.level = handlers, level
    for name, value in quiet.items():
        logging.getLogger(name).setLevel(value)


def test_request_loggers_are_kept_quiet(restore_logging: None) -> None:
    configure("json")
    assert isinstance(logging.getLogger().handlers[0].formatter, JsonFormatter)
    assert logging.getLogger().level == logging.INFO
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)   # it would log webhook URLs with tokens


def test_systemd_unit_names_this_program_and_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    assert main(["--config", str(config), "systemd-unit", "--user", "monitor"]) == 0
    unit = capsys.readouterr().out
    exec_start = next(line for line in unit.splitlines() if line.startswith("ExecStart="))
    assert exec_start.endswith(f"monitor --config {config} run")
    for line in ("User=monitor", f"WorkingDirectory={tmp_path}", "EnvironmentFile=-/etc/zwgk-monitor/env",
                 "KillSignal=SIGTERM", "Restart=on-failure", "WantedBy=multi-user.target"):
        assert line in unit.splitlines()
    assert "{" not in unit

