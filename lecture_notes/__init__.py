"""lecture-notes: turn lecture videos into study notes. Heavy imports stay lazy."""
from __future__ import annotations

__version__ = "0.1.0"

from .config import BuildConfig  # noqa: E402
from .errors import LectureNotesError  # noqa: E402


def build_notes(config, progress=None):
    """Run the whole pipeline for ``config`` (a BuildConfig); see ``pipeline.build_notes``."""
    from .pipeline import build_notes as _build

    return _build(config, progress=progress)


__all__ = ["__version__", "BuildConfig", "LectureNotesError", "build_notes"]
