"""Process-wide memory settings for builds.

The ASR encoder (hundreds of MB per batch), the VAD and the OCR detector each allocate large short-lived
buffers, in different threads. glibc raises its mmap threshold after the first such buffer is freed (up to
32 MB), so later ones come from the heap arenas and their memory is kept after use: peak RSS then grows by
fragmentation, not by need. A fixed threshold keeps every buffer of 32 MB or more in its own mapping, handed
back to the system when freed, from the first one on.

Why 32 MB and not lower: every mapped buffer is a fresh mapping whose pages fault in and are zeroed on first
use. At 4 MB (measured on the sample: peak RSS 1146 -> 920 MB) the encoder's per-batch buffers of 4-32 MB were
all mapped anew, which made batched ASR 20 % slower (22.8 min of speech: 42.2 s vs 35.0 s, 9.8 M vs 5.4 M page
faults); at 16 MB still 40.9 s; at 32 MB 33.6 s, and the build's peak RSS stays flat with length (see README).
"""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

_M_MMAP_THRESHOLD = -3  # glibc mallopt parameter
MMAP_THRESHOLD = 32 << 20
_done = False


def return_large_buffers(threshold: int = MMAP_THRESHOLD) -> bool:
    """Fix glibc's mmap threshold at ``threshold`` bytes (once per process). Returns True when it was set;
    False where it does not apply (not Linux/glibc), which is harmless."""
    global _done
    if _done:
        return True
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _done = bool(libc.mallopt(_M_MMAP_THRESHOLD, int(threshold)))
    except (OSError, AttributeError):  # musl or another libc without mallopt
        return False
    log.debug("malloc mmap threshold fixed at %d bytes: %s", threshold, _done)
    return _done
