"""One stage in a background thread beside the main one, cancellable at any time.

The slides stage runs beside transcription. Ctrl-C or a failure in the main thread must not wait for it:
the background stage runs in a daemon thread that is never joined on failure, and it stops at its next
progress report once told to.
"""
from __future__ import annotations

import os
import threading
from typing import Any, Callable, Dict, Optional, Tuple, TypeVar

T = TypeVar("T")
U = TypeVar("U")
Progress = Callable[[str, float, float], None]


class BuildCancelled(KeyboardInterrupt):
    """The build was cancelled (Ctrl-C, or its ``cancel`` event); nothing was written."""


def lower_thread_priority() -> None:
    """Let this thread (and the decoder/OCR threads it starts, which inherit it) use only the CPU that the
    main thread leaves idle, so running both at once does not slow the main stage down."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 15)
    except (AttributeError, OSError):  # not Linux, or not allowed: run at normal priority
        pass


def cancellable(progress: Progress, cancel: Optional[threading.Event]) -> Progress:
    """``progress`` that raises `BuildCancelled` once ``cancel`` is set."""
    if cancel is None:
        return progress

    def check(stage: str, done: float, total: float) -> None:
        if cancel.is_set():
            raise BuildCancelled("build cancelled")
        progress(stage, done, total)

    return check


def run_beside(background: Callable[[Progress], T], foreground: Callable[[], U], progress: Progress,
               cancel: Optional[threading.Event] = None, name: str = "background") -> Tuple[U, T]:
    """Run ``background(progress)`` in a low-priority daemon thread while ``foreground()`` runs here; return
    both results. When ``foreground`` fails or ``cancel`` is set, the background stage is told to stop (its
    next progress report raises) and is not waited for."""
    stop = threading.Event()
    box: Dict[str, Any] = {}

    def run() -> None:
        lower_thread_priority()
        try:
            box["value"] = background(cancellable(progress, stop))
        except BaseException as exc:  # handed to the main thread
            box["error"] = exc

    worker = threading.Thread(target=run, name=name, daemon=True)
    worker.start()
    try:
        front = foreground()
        while worker.is_alive():
            worker.join(0.1)
            if cancel is not None and cancel.is_set():
                raise BuildCancelled("build cancelled")
    except BaseException:
        stop.set()
        raise
    if "error" in box:
        raise box["error"]
    return front, box["value"]
