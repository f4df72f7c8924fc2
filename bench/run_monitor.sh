#!/usr/bin/env bash
# Usage: bench/run_monitor.sh TRUTH_JSON BASE_URL CONCURRENCY STATE_DIR [fresh|again] [full|crawl]
# One `monitor check --json` round over the shared benchmark's generated portal (the --cmd of run_bench.sh):
# writes STATE_DIR/config.toml naming the site and its columns (from _truth.json), with a SQLite database
# in STATE_DIR — "fresh" starts from an empty one (first round), "again" keeps it (the incremental round);
# "crawl" names the site alone, without its columns: the whole-site crawl and nothing else.
set -euo pipefail
[ $# -ge 4 ] || { sed -n 2,6p "$0" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
MONITOR=${MONITOR:-$HERE/../.venv/bin/monitor}          # the README's venv; MONITOR=… for another
[ -x "$MONITOR" ] || MONITOR=$(command -v monitor)
PY=$(dirname "$MONITOR")/python
[ "${5:-fresh}" = fresh ] && rm -rf "$4"
ONLY=(); [ "${6:-full}" = crawl ] && ONLY=(--crawl-only)
NOW=$("$PY" "$HERE/bench_config.py" "$1" "$2" "$4" --concurrency "$3" "${ONLY[@]}")
exec "$MONITOR" --config "$4/config.toml" --now "$NOW" check --json
