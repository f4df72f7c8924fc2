#!/usr/bin/env bash
# Usage: bench/run.sh PAGES [extra run_bench.sh options]
# Runs the shared harness (../shared/bench/run_bench.sh) with the floor, Scrapy and two monitor rounds over
# the same generated portal: the first from an empty database, the second over the unchanged site.
set -euo pipefail
[ $# -ge 1 ] || { sed -n 2,4p "$0" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${SHARED_BENCH:-$HERE/../../shared/bench}
[ -x "$SHARED/run_bench.sh" ] || SHARED=/work/shared/bench
STATE=${MONITOR_BENCH_STATE:-/tmp/monitor-bench}
PAGES=$1; shift
exec "$SHARED/run_bench.sh" --pages "$PAGES" -c 16 --tools floor,scrapy \
  --cmd "monitor=$HERE/run_monitor.sh {truth} {base} {c} $STATE fresh" \
  --cmd "monitor (2nd round)=$HERE/run_monitor.sh {truth} {base} {c} $STATE again" "$@"
