"""lecture-notes: turn lecture videos into study notes. Heavy imports stay lazy."""
from __future__ import annotations

__version__ = "0.1.0"

from lecture_notes.core.config import BuildConfig  # noqa: E402
from lecture_notes.core.errors import LectureNotesError  # noqa: E402


def build_notes(config, progress=None):
    """Run the whole pipeline for ``config`` (a BuildConfig); see ``pipeline.build_notes``."""
    from lecture_notes.runtime.pipeline import build_notes as _build

    return _build(config, progress=progress)


__all__ = ["__version__", "BuildConfig", "LectureNotesError", "build_notes"]
