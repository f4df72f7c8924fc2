#!/usr/bin/env python3
"""Usage: bench_config.py TRUTH_JSON BASE_URL OUT_DIR [--concurrency C]

Writes OUT_DIR/config.toml for the shared benchmark's generated portal: its site, and
its columns with their categories, read from the generator's _truth.json. Prints the
``--now`` to use (the generator's "today", 09:00 Asia/Shanghai).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

CATEGORIES = {"news": "news", "notice": "notice", "policy": "policy", "interpretation": "interpretation",
              "personnel": "personnel", "planning": "planning", "finance": "policy", "interaction": "news"}


def config_text(truth: dict, base: str, database: str, concurrency: int) -> str:
    lines = ["[monitor]", f'database = "{database}"', "", "[crawl]", f"concurrency = {concurrency}",
             f"per_host = {concurrency}", "retries = 0", "timeout_s = 20", "max_pages = 200000", "",
             "[[units]]", 'id = "xzfb"', 'name = "县政府办"', "",
             "[[sites]]", 'id = "portal"', f'name = "{truth["county"]}人民政府"', f'url = "{base}/"',
             'unit = "xzfb"', ""]
    for column in truth["columns"]:
        lines += ["[[columns]]", f'id = "{column["id"]}"', 'site = "portal"', f'name = "{column["name"]}"',
                  f'url = "{base}{column["url"]}"', f'category = "{CATEGORIES.get(column["kind"], "static")}"',
                  'unit = "xzfb"', ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("truth")
    parser.add_argument("base")
    parser.add_argument("out")
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    truth = json.loads(Path(args.truth).read_text(encoding="utf-8"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{out / 'monitor.db'}"
    (out / "config.toml").write_text(config_text(truth, args.base.rstrip("/"), database, args.concurrency),
                                     encoding="utf-8")
    print(f'{truth["generator"]["today"]}T09:00:00+08:00')


if __name__ == "__main__":
    main()
