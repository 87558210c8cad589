"""Batch worker processes that never outlive their batch.

A worker whose batch is killed (``kill -9``, a crash, a closed terminal) must stop too: it would otherwise
finish its lecture, move it into the output folder without the batch lock, and then wait forever, holding
its models in memory. Two independent mechanisms end it: on Linux the kernel sends SIGKILL when the parent
dies (``prctl(PR_SET_PDEATHSIG)``), and everywhere a watcher thread sees the parent process change.
A worker that is still alive at the moment of publishing checks that its batch still holds the lock.
"""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Callable

from lecture_notes.core.errors import OutputError

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1
_WATCH_INTERVAL = 0.5


def _set_parent_death_signal() -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def die_with_parent(parent_pid: int, interval: float = _WATCH_INTERVAL) -> None:
    """Make this process exit as soon as ``parent_pid`` is no longer its parent."""
    _set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            threading.Event().wait(interval)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def batch_holds_lock(lock_path: Path, token: str) -> bool:
    """True when the batch that wrote ``token`` still holds its lock file (flock held, token unchanged)."""
    try:
        with open(lock_path, "r") as fh:
            if fh.read().strip() != token:
                return False
            try:
                import fcntl
            except ImportError:  # no advisory locks: the token is all we can check
                return True
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return True  # held by someone, and the token says it is our batch
            fcntl.flock(fh, fcntl.LOCK_UN)
            return False  # nobody holds it: the batch is gone
    except OSError:
        return False


def publish_guard(parent_pid: int, lock_path: Path, token: str) -> Callable[[], None]:
    """A guard for `output.set_publish_guard`: refuse to publish once the batch is gone."""

    def guard() -> None:
        if os.getppid() != parent_pid or not batch_holds_lock(lock_path, token):
            raise OutputError("the batch that started this build has stopped; its result is not published")

    return guard


def kill_workers(pool: Any) -> None:
    """SIGKILL the worker processes of a ProcessPoolExecutor (on Ctrl-C: do not wait for their lectures)."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        try:
            proc.kill()
        except (OSError, AttributeError, ValueError):
            pass
    pool.shutdown(wait=False, cancel_futures=True)
