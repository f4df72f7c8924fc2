"""bench/peak.py: runs a monitor command in its own process and notes what the process holds as its peak rises."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PEAK = Path(__file__).resolve().parents[2] / "bench" / "peak.py"
NUMBER = r" +[\d.]+"
ROW = re.compile(rf"^\s*[\d.]+ +(?P<peak>[\d.]+){NUMBER * 3} \|{NUMBER * 3} \| +(?P<arenas>\d+){NUMBER} \|")


def test_notes_each_rise_of_the_peak_and_runs_the_command() -> None:
    done = subprocess.run([sys.executable, str(PEAK), "--every", "1", "--step", "512", "--", "--help"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "check" in done.stdout                          # the monitor's own help was printed
    lines = done.stderr.splitlines()
    assert lines[0].split()[:3] == ["s", "peak", "rss"]
    rows = [m for m in map(ROW.match, lines[1:-1]) if m]
    assert rows, done.stderr                               # importing the CLI raises the peak by megabytes
    peaks = [float(m["peak"]) for m in rows]
    assert peaks == sorted(peaks) and peaks[-1] > peaks[0]
    assert all(int(m["arenas"]) > 0 for m in rows)
    final = re.fullmatch(r"peak ([\d.]+) MiB", lines[-1])
    assert final is not None and float(final.group(1)) >= peaks[-1]
