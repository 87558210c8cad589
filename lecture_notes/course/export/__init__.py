"""LMS exports of a batch (course) output folder or a single lecture output folder.

``export_course(src, "imscc" | "canvas-qti" | "moodle-xml" | "anki", dest=None, force=False)``.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

from lecture_notes.core.errors import ConfigError
from lecture_notes.core.slug import slugify
from lecture_notes.course.export.common import Course, load_course

log = logging.getLogger(__name__)

# format -> default file name suffix
EXPORT_FORMATS = {"imscc": ".imscc", "canvas-qti": "-canvas-qti.zip", "moodle-xml": "-moodle.xml", "anki": ".apkg"}


def default_dest(course: Course, fmt: str) -> Path:
    """``<src>/<course-slug><suffix>``, e.g. ``out/algorithms-101.imscc``."""
    return course.root / (slugify(course.title, ascii_only=True, max_len=60, default="course") + EXPORT_FORMATS[fmt])


def export_course(src: Path, fmt: str, dest: Optional[Path] = None, *, force: bool = False,
                  link_base: str = "") -> Path:
    """Export the lecture(s) under ``src`` to ``fmt``; returns the written file. Refuses to overwrite
    an existing file unless ``force``; writes atomically."""
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"unknown export format {fmt!r}; choose from {', '.join(EXPORT_FORMATS)}")
    course = load_course(Path(src))
    dest = Path(dest) if dest is not None else default_dest(course, fmt)
    if fmt == "imscc":
        from lecture_notes.course.export.imscc import export_imscc
        return export_imscc(course, dest, force=force)
    if fmt == "canvas-qti":
        from lecture_notes.course.export.canvas import export_canvas
        return export_canvas(course, dest, force=force)
    if fmt == "moodle-xml":
        from lecture_notes.course.export.moodle import export_moodle
        return export_moodle(course, dest, force=force)
    from lecture_notes.course.export.anki import export_anki
    return export_anki(course, dest, force=force, link_base=link_base)


__all__ = ["EXPORT_FORMATS", "export_course", "load_course", "default_dest"]
