"""bench/bench_config.py: the config the benchmark's rounds run with, read from the generator's truth file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from monitor.config import load_config

BENCH_CONFIG = Path(__file__).resolve().parents[2] / "bench" / "bench_config.py"


def _truth(path: Path, pages: int) -> Path:
    """A truth file in ``gen_portal.py``'s layout (``indent=1``), with what the config reads."""
    truth = {
        "broken_links": [{"source": "/", "target": "/gone.html"}],
        "generator": {"pages": pages, "seed": 1, "today": "2026-11-01", "ext_base": "http://localhost:1"},
        "county": "云溪县",
        "columns": [{"id": "zwyw", "name": "政务要闻", "kind": "news", "url": "/xwzx/zwyw/index.html"},
                    {"id": "bmwj", "name": "部门文件", "kind": "finance", "url": "/col/col5250/index.html"}],
        "counts": {"html_pages": pages},
    }
    path.write_text(json.dumps(truth, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _write(tmp_path: Path, pages: int, *extra: str) -> tuple[str, Path]:
    out = tmp_path / "state"
    done = subprocess.run([sys.executable, str(BENCH_CONFIG), str(_truth(tmp_path / "_truth.json", pages)),
                           "http://127.0.0.1:18080/", str(out), *extra],
                          capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.strip(), out / "config.toml"


@pytest.mark.parametrize(("pages", "cap"), [(20_000, 200_000), (100_000, 200_000), (150_000, 300_000)])
def test_the_crawls_page_cap_leaves_room_for_every_request_of_the_portal(tmp_path: Path, pages: int,
                                                                         cap: int) -> None:
    now, path = _write(tmp_path, pages)
    config = load_config(path, env={})
    assert now == "2026-11-01T09:00:00+08:00"
    assert config.crawl.max_pages == cap
    assert [(c.id, c.category, c.url) for c in config.columns] == [
        ("zwyw", "news", "http://127.0.0.1:18080/xwzx/zwyw/index.html"),
        ("bmwj", "policy", "http://127.0.0.1:18080/col/col5250/index.html")]
    assert config.sites[0].name == "云溪县人民政府"


def test_crawl_only_writes_the_site_without_its_columns(tmp_path: Path) -> None:
    _, path = _write(tmp_path, 20_000, "--crawl-only")
    config = load_config(path, env={})
    assert not config.columns and config.sites[0].url == "http://127.0.0.1:18080/"
