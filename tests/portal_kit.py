"""A tiny editable county portal for integration tests, and a way to run the CLI on it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.cli import main
from monitor.siteserver import SiteServer

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head><body>
<div class="top">今天是2026年11月26日 星期四</div>
<div class="nav"><a href="/">首页</a> <a href="/zwyw/">政务要闻</a> <a href="/tzgg/">通知公告</a></div>
<div class="main"><h2>{title}</h2><ul class="list">
{rows}
</ul></div>
<div class="foot">版权所有 © 2003-2026 测试县人民政府</div></body></html>"""


def list_page(title: str, items: list[tuple[str, date]], prefix: str) -> str:
    rows = "\n".join(f'<li><a href="{prefix}{i}.html">{t}</a><span class="date">{d.isoformat()}</span></li>'
                     for i, (t, d) in enumerate(items))
    return PAGE.format(title=title, rows=rows)


@dataclass
class Portal:
    server: SiteServer

    @property
    def url(self) -> str:
        return self.server.base_url + "/"

    def column(self, path: str, title: str, dates: list[date]) -> None:
        items = [(f"{title}第{n}条信息", d) for n, d in enumerate(dates)]
        self.server.set(path, list_page(title, items, path))

    def requested(self) -> list[str]:
        return self.server.paths_requested("GET")


CONFIG = """
[monitor]
database = "{db}"
recheck_time = "09:00"
working_days_only = {workdays}

[crawl]
timeout_s = 2
retries = 0
enabled = false        # these portals list articles they do not serve; the crawl has its own tests

[[units]]
id = "xzfb"
name = "县政府办"

[[units]]
id = "fgj"
name = "县发改局"

[[sites]]
id = "portal"
name = "测试县人民政府"
url = "{base}/"
unit = "xzfb"

[[columns]]
id = "zwyw"
site = "portal"
name = "政务要闻"
url = "{base}/zwyw/"
category = "news"
unit = "xzfb"

[[columns]]
id = "tzgg"
site = "portal"
name = "通知公告"
url = "{base}/tzgg/"
category = "notice"
unit = "fgj"
"""


def write_config(tmp_path: Path, base_url: str, db_url: str, *, workdays: bool = False, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.format(db=db_url, base=base_url, workdays=str(workdays).lower()) + extra,
                    encoding="utf-8")
    return path


@dataclass
class Cli:
    config: Path
    capsys: pytest.CaptureFixture[str]

    def run(self, now: datetime | str, *args: str) -> tuple[int, str, str]:
        stamp = now if isinstance(now, str) else now.isoformat()
        code = main(["--config", str(self.config), "--now", stamp, *args])
        out, err = self.capsys.readouterr()
        return code, out, err

    def json(self, now: datetime | str, *args: str) -> Any:
        code, out, err = self.run(now, *args, "--json")
        assert code == 0, err
        return json.loads(out)
