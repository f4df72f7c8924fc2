#!/usr/bin/env bash
# Usage: [ROUND=crawl] bench/memory.sh [SMALL] [LARGE] [PAIRS]      (defaults: 20000 100000 2)
# Is a round's peak memory flat as the site grows? Generates the shared benchmark's portal at both
# sizes (kept under $BENCH_DIR, default /tmp/crawlbench, and reused), serves each with its own nginx
# (ports 18180 and 18190; the floor/Scrapy harness uses 18080), and runs PAIRS first rounds of each,
# the sizes alternating, each alone under /usr/bin/time with the command run_monitor.sh runs.
# Prints one Markdown row per round: peak RSS in MiB (KiB / 1024, as the harness's tables), CPU,
# wall, and the broken targets found against the truth file. ROUND=crawl runs the whole-site crawl alone
# (the site without its columns, so no column or policy checks): the crawl's own memory.
set -euo pipefail
SMALL=${1:-20000}; LARGE=${2:-100000}; PAIRS=${3:-2}; ROUND=${ROUND:-full}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${SHARED:-$HERE/../../shared/bench}
BENCH_DIR=${BENCH_DIR:-/tmp/crawlbench}
MONITOR=${MONITOR:-$HERE/../.venv/bin/monitor}
[ -x "$MONITOR" ] || MONITOR=$(command -v monitor)
PY=$(dirname "$MONITOR")/python
STATE=$(mktemp -d /tmp/monitor-memory-XXXXXX)
PORTS=(18180 18190)
trap '"$SHARED/stop.sh" 18180 >/dev/null 2>&1 || true; "$SHARED/stop.sh" 18190 >/dev/null 2>&1 || true; rm -rf "$STATE"' EXIT

site_dir() { echo "$BENCH_DIR/memory-n$1-s1-p$2"; }
i=0
for pages in "$SMALL" "$LARGE"; do
  port=${PORTS[$i]}; dir=$(site_dir "$pages" "$port"); i=$((i + 1))
  if [ ! -f "$dir/_truth.json" ]; then
    echo "generating $pages pages in $dir …" >&2
    "$PY" "$SHARED/gen_portal.py" --pages "$pages" --seed 1 --out "$dir" --ext-base "http://localhost:$((port + 1))" >&2
  fi
  "$SHARED/serve.sh" "$dir" "$port" >&2
done

echo "| pages | run | peak RSS MiB | CPU s | wall s | broken found | false + |"
echo "|--:|--:|--:|--:|--:|--:|--:|"
for run in $(seq "$PAIRS"); do
  i=0
  for pages in "$SMALL" "$LARGE"; do
    port=${PORTS[$i]}; dir=$(site_dir "$pages" "$port"); i=$((i + 1))
    out=$STATE/round-$pages-$run
    /usr/bin/time -f "%M %U %S %e" -o "$out.time" \
      "$HERE/run_monitor.sh" "$dir/_truth.json" "http://127.0.0.1:$port" 16 "$out.state" fresh "$ROUND" > "$out.json" || true
    "$PY" - "$dir/_truth.json" "$out.json" "$out.time" "$pages" "$run" "http://127.0.0.1:$port" <<'PY'
import json
import sys
from urllib.parse import urlsplit

truth_path, doc_path, time_path, pages, run, base = sys.argv[1:]
truth = {b["target"] for b in json.load(open(truth_path))["broken_links"]}      # paths, as report.py reads them
ids = [urlsplit(f["target"]["id"]) for f in json.load(open(doc_path))["findings"] if f["rule"] == "link.broken"]
found = {u.path + (f"?{u.query}" if u.query else "") for u in ids if u.netloc == urlsplit(base).netloc}
kib, user, system, wall = open(time_path).read().split()[-4:]
print(f"| {int(pages):,} | {run} | {int(kib) / 1024:.1f} | {float(user) + float(system):.1f} | {float(wall):.1f} "
      f"| {len(found & truth)} / {len(truth)} | {len(found - truth)} |")
PY
  done
done
