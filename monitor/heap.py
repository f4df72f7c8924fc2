"""Give big freed buffers back to the system at once (glibc).

glibc serves a request above its mmap threshold (128 KiB) with a mapping of its own and
unmaps it when freed, but after the first such free it raises the threshold to that
size, up to 32 MiB. From then on the megabyte buffers of a round — a big column page's
text, its parse, its JSON — come from the heap, and once freed they stay resident behind
whatever small object was allocated after them: on the benchmark portal the peak grew by
7 MB more from 20,000 to 100,000 pages than with the threshold held. Holding it (what
``MALLOC_MMAP_THRESHOLD_`` does, which an operator may still set) keeps those buffers
out of the heap; it costs one mmap per buffer that size.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_MMAP_THRESHOLD = -3            # mallopt's parameter number in glibc's <malloc.h>
MMAP_THRESHOLD = 128 * 1024      # glibc's own starting value


def hold_mmap_threshold() -> bool:
    """Fix glibc's mmap threshold for this process; False where there is nothing to do (not
    glibc, or the environment already sets it)."""
    if not sys.platform.startswith("linux") or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
