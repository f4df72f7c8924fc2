"""hold_mmap_threshold: megabyte buffers keep getting mappings of their own after a bigger one was freed."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from monitor.heap import hold_mmap_threshold

_PROBE = """
import sys
from monitor.heap import hold_mmap_threshold

def mapped():
    return {int(line.split("-", 1)[0], 16) for line in open("/proc/self/maps")}

big = bytearray(8_000_000)    # glibc maps it, and on its free raises the threshold to 8 MB
del big
held = hold_mmap_threshold() if sys.argv[1] == "hold" else False
before = mapped()
buffer = bytearray(1_000_000)
print(held, any(start not in before for start in mapped()))
"""

glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's mallopt only")


def _probe(mode: str) -> str:
    done = subprocess.run([sys.executable, "-c", _PROBE, mode], capture_output=True, text=True, check=True,
                          env={"PATH": "/usr/bin:/bin"})
    return done.stdout.strip()


@glibc
def test_a_megabyte_buffer_gets_its_own_mapping_once_the_threshold_is_held() -> None:
    assert _probe("hold") == "True True"
    assert _probe("leave") == "False False"        # glibc's own way: from the heap, resident once freed


def test_an_operator_setting_is_left_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_MMAP_THRESHOLD_", "262144")
    assert hold_mmap_threshold() is False
