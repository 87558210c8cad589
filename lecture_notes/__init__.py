"""lecture-notes: turn lecture videos into study notes. Heavy imports stay lazy."""
from __future__ import annotations

from typing import Any

from lecture_notes.core.config import BuildConfig
from lecture_notes.core.errors import LectureNotesError
from lecture_notes.core.version import __version__

__all__ = ["__version__", "BuildConfig", "LectureNotesError", "build_notes"]


def __getattr__(name: str) -> Any:
    # ``lecture_notes.build_notes`` (see runtime.pipeline.build_notes) without importing the pipeline, and
    # with it numpy and the stages, on ``import lecture_notes``.
    if name == "build_notes":
        from lecture_notes.runtime.pipeline import build_notes

        return build_notes
    raise AttributeError(f"module 'lecture_notes' has no attribute {name!r}")
