#!/usr/bin/env python3
"""Usage: python bench/peak.py [--every MS] [--step KIB] -- MONITOR-ARGS...

Runs ``monitor MONITOR-ARGS`` in this process and, each time its peak RSS (``VmHWM``) rises by
``--step`` KiB, notes on stderr what the process holds at that moment and where the main thread
is: RSS split into anonymous and file pages, glibc's heap (its size, the bytes in use, the bytes
in its own mmaps), Python's small-object allocator (arenas of 1 MiB held, bytes in live objects),
SQLite's own allocations, and the innermost ``monitor`` frames.

Written to tell the two kinds of growth apart when a round peaks higher on a bigger site: live
objects (the "in use" columns rise) against allocator high water (arenas or heap held while what
is in use stays level). The sampler thread and the allocator reports cost a little memory and
CPU of their own, and while Python's report is read (a few milliseconds a line) whatever the
command writes to stderr goes into it; compare runs of this tool with each other, not with
``/usr/bin/time``. All figures in MiB.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import re
import runpy
import sys
import tempfile
import threading
import time
import traceback

_MIB = 2 ** 20


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
                 "keepcost")]


def _status() -> dict[str, float]:
    """VmHWM, VmRSS, RssAnon and RssFile of this process, in MiB."""
    wanted = ("VmHWM", "VmRSS", "RssAnon", "RssFile")
    with open("/proc/self/status") as status:
        fields = (line.split(":", 1) for line in status)
        return {k: int(v.split()[0]) / 1024 for k, v in fields if k in wanted}


def _pymalloc() -> tuple[int, float]:
    """Arenas held and MiB in live blocks, read from ``sys._debugmallocstats`` (it writes to fd 2)."""
    with tempfile.TemporaryFile("w+") as report:
        saved = os.dup(2)
        try:
            os.dup2(report.fileno(), 2)
            sys._debugmallocstats()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        report.seek(0)
        text = report.read()

    def number(label: str) -> int:
        found = re.search(rf"# {label}\s*=\s*([\d,]+)", text)
        return int(found.group(1).replace(",", "")) if found else 0
    return number("arenas allocated current"), number("bytes in allocated blocks") / _MIB


def _where(thread_id: int) -> str:
    """The innermost frames of the main thread that are the monitor's own code."""
    frame = sys._current_frames().get(thread_id)
    if frame is None:
        return ""
    frames = traceback.StackSummary.extract(traceback.walk_stack(frame), lookup_lines=False)
    own = [f"{os.path.basename(f.filename)}:{f.lineno} {f.name}" for f in frames if "/monitor/" in f.filename]
    return " < ".join(own[:3])


class Sampler(threading.Thread):
    """Reads ``VmHWM`` every ``every`` seconds and notes a line each time it rose by ``step_mib``."""

    def __init__(self, every: float, step_mib: float) -> None:
        super().__init__(daemon=True)
        self.every, self.step, self.main = every, step_mib, threading.main_thread().ident or 0
        self.started = time.monotonic()
        self.mallinfo = getattr(ctypes.CDLL(None), "mallinfo2", None)     # as monitor/heap.py finds libc
        if self.mallinfo is not None:
            self.mallinfo.restype = _MallInfo2
        sqlite = ctypes.util.find_library("sqlite3")
        self.sqlite_used = ctypes.CDLL(sqlite).sqlite3_memory_used if sqlite else None
        if self.sqlite_used is not None:
            self.sqlite_used.restype = ctypes.c_int64

    def run(self) -> None:
        print("     s    peak    rss   anon   file |   heap  in use  mmaps | arenas in use | sqlite | where",
              file=sys.stderr, flush=True)
        last = 0.0
        while True:
            time.sleep(self.every)
            now = _status()
            if now["VmHWM"] >= last + self.step:
                last = now["VmHWM"]
                self.note(now)

    def note(self, now: dict[str, float]) -> None:
        heap = used = mapped = 0.0
        if self.mallinfo is not None:
            info = self.mallinfo()
            heap, used, mapped = info.arena / _MIB, info.uordblks / _MIB, info.hblkhd / _MIB
        arenas, live = _pymalloc()
        sqlite = self.sqlite_used() / _MIB if self.sqlite_used is not None else 0.0
        print(f"{time.monotonic() - self.started:6.1f} {now['VmHWM']:7.1f} {now['VmRSS']:6.1f} {now['RssAnon']:6.1f} "
              f"{now['RssFile']:6.1f} | {heap:6.1f} {used:7.1f} {mapped:6.1f} | {arenas:6d} {live:6.1f} | "
              f"{sqlite:6.2f} | {_where(self.main)}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--every", type=float, default=10, help="milliseconds between readings (default 10)")
    parser.add_argument("--step", type=float, default=256, help="KiB of peak growth worth a line (default 256)")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="-- and the monitor's arguments")
    options = parser.parse_args()
    args = options.args[1:] if options.args[:1] == ["--"] else options.args
    Sampler(options.every / 1000, options.step / 1024).start()
    sys.argv = ["monitor", *args]
    try:
        runpy.run_module("monitor", run_name="__main__", alter_sys=True)
    finally:
        print(f"peak {_status()['VmHWM']:.1f} MiB", file=sys.stderr)


if __name__ == "__main__":
    main()
