#!/usr/bin/env python3
"""Usage: bench_config.py TRUTH_JSON BASE_URL OUT_DIR [--concurrency C] [--crawl-only]

Writes OUT_DIR/config.toml for the shared benchmark's generated portal: its site, and
its columns with their categories, read from the generator's _truth.json (none with
``--crawl-only``: the round is then the whole-site crawl alone). Prints the ``--now`` to
use (the generator's "today", 09:00 Asia/Shanghai).

The truth file of a 100,000-page portal is 37 MB, and this runs inside the timed
command: loading it whole would make this script, not the monitor, the run's peak
memory. So it reads the file line by line (``gen_portal.py`` writes it with
``indent=1``) and keeps only what the config needs.

The crawl's page cap is twice the portal's page count (at least 200,000): a round fetches
attachments and datastore-only pages too, about 1.26 requests per generated page.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

_FIELD = re.compile(r'^(?P<indent> *)"(?P<key>[a-z_]+)": (?P<value>"(?:[^"\\]|\\.)*"|\d+)')

CATEGORIES = {"news": "news", "notice": "notice", "policy": "policy", "interpretation": "interpretation",
              "personnel": "personnel", "planning": "planning", "finance": "policy", "interaction": "news"}


def config_text(truth: dict, base: str, database: str, concurrency: int, columns: bool = True) -> str:
    lines = ["[monitor]", f'database = "{database}"', "", "[crawl]", f"concurrency = {concurrency}",
             f"per_host = {concurrency}", "retries = 0", "timeout_s = 20", f"max_pages = {max_pages(truth)}", "",
             "[[units]]", 'id = "xzfb"', 'name = "县政府办"', "",
             "[[sites]]", 'id = "portal"', f'name = "{truth["county"]}人民政府"', f'url = "{base}/"',
             'unit = "xzfb"', ""]
    for column in truth["columns"] if columns else ():
        lines += ["[[columns]]", f'id = "{column["id"]}"', 'site = "portal"', f'name = "{column["name"]}"',
                  f'url = "{base}{column["url"]}"', f'category = "{CATEGORIES.get(column["kind"], "static")}"',
                  'unit = "xzfb"', ""]
    return "\n".join(lines)


def max_pages(truth: dict) -> int:
    """``crawl.max_pages`` for the portal: room for every request its crawl makes."""
    return max(200_000, 2 * int(truth["generator"].get("pages", 0)))


def read_truth(path: Path) -> dict[str, Any]:
    """``county``, ``generator.today`` and ``generator.pages``, and each column's id, name, kind and url — streamed."""
    truth: dict[str, Any] = {"columns": [], "generator": {}}
    in_columns = False
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            if line.startswith(' "'):
                in_columns = line.startswith(' "columns"')
            match = _FIELD.match(line)
            if match is None:
                continue
            indent, name, value = len(match["indent"]), match["key"], json.loads(match["value"])
            if indent == 1 and name == "county":
                truth["county"] = value
            elif indent == 2 and name in ("today", "pages"):
                truth["generator"][name] = value
            elif in_columns and indent == 3 and name in ("id", "name", "kind", "url"):
                if name == "id":
                    truth["columns"].append({})
                truth["columns"][-1][name] = value
    if "county" not in truth or not truth["columns"]:        # another layout: read it whole
        return dict(json.loads(path.read_text(encoding="utf-8")))
    return truth


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("truth")
    parser.add_argument("base")
    parser.add_argument("out")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--crawl-only", action="store_true", help="the site without its columns")
    args = parser.parse_args()
    truth = read_truth(Path(args.truth))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    database = f"sqlite:///{out / 'monitor.db'}"
    (out / "config.toml").write_text(config_text(truth, args.base.rstrip("/"), database, args.concurrency,
                                                 columns=not args.crawl_only),
                                     encoding="utf-8")
    print(f'{truth["generator"]["today"]}T09:00:00+08:00')


if __name__ == "__main__":
    main()
