"""LMS exports of a batch (course) output folder or a single lecture output folder.

``export_course(src, FORMAT, dest=None, force=False)``: FORMAT is a built-in (imscc, canvas-qti, moodle-xml,
anki) or a plugin's. An exporter is ``write(course, dest, *, force, link_base) -> Path`` plus the default file
suffix; plugins declare one in the ``lecture_notes.exporters`` entry-point group as
``"FORMAT" = "module:EXPORTER"`` where EXPORTER is an :class:`Exporter`, exactly as the built-ins are listed.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Optional

from lecture_notes.core.errors import ConfigError
from lecture_notes.core.slug import slugify
from lecture_notes.course.export.common import Course, load_course

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "lecture_notes.exporters"


@dataclass(frozen=True)
class Exporter:
    """An export format: the default file-name suffix and ``write(course, dest, *, force, link_base) -> Path``
    (writes atomically, refuses an existing ``dest`` unless ``force``)."""

    suffix: str
    write: Callable[..., Path]


# The built-in formats, named like the entry points of plugins (module:function, loaded when used).
BUILTIN_EXPORTERS = {
    "imscc": (".imscc", "lecture_notes.course.export.imscc:export_imscc"),
    "canvas-qti": ("-canvas-qti.zip", "lecture_notes.course.export.canvas:export_canvas"),
    "moodle-xml": ("-moodle.xml", "lecture_notes.course.export.moodle:export_moodle"),
    "anki": (".apkg", "lecture_notes.course.export.anki:export_anki"),
}
# format -> default file name suffix (the built-ins; ``exporters()`` adds plugins)
EXPORT_FORMATS = {fmt: suffix for fmt, (suffix, _) in BUILTIN_EXPORTERS.items()}


def _load(ref: str):
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def exporters() -> Dict[str, Exporter]:
    """Every export format: the built-ins, then plugins from the ``lecture_notes.exporters`` entry points."""
    out = {fmt: Exporter(suffix, lambda *a, _ref=ref, **kw: _load(_ref)(*a, **kw))
           for fmt, (suffix, ref) in BUILTIN_EXPORTERS.items()}
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in out:
            continue
        try:
            exporter = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the other formats
            log.warning("exporter plugin %s could not be loaded: %s", ep.name, exc)
            continue
        if isinstance(exporter, Exporter):
            out[ep.name] = exporter
        else:
            log.warning("exporter plugin %s is not a lecture_notes.course.export.Exporter; ignored", ep.name)
    return out


def default_dest(course: Course, fmt: str, suffix: Optional[str] = None) -> Path:
    """``<src>/<course-slug><suffix>``, e.g. ``out/algorithms-101.imscc``."""
    suffix = suffix if suffix is not None else exporters()[fmt].suffix
    return course.root / (slugify(course.title, ascii_only=True, max_len=60, default="course") + suffix)


def export_course(src: Path, fmt: str, dest: Optional[Path] = None, *, force: bool = False,
                  link_base: str = "") -> Path:
    """Export the lecture(s) under ``src`` to ``fmt``; returns the written file. Refuses to overwrite
    an existing file unless ``force``; writes atomically."""
    known = exporters()
    if fmt not in known:
        raise ConfigError(f"unknown export format {fmt!r}; choose from {', '.join(known)}")
    course = load_course(Path(src))
    dest = Path(dest) if dest is not None else default_dest(course, fmt, known[fmt].suffix)
    return known[fmt].write(course, dest, force=force, link_base=link_base)


__all__ = ["EXPORT_FORMATS", "Exporter", "exporters", "export_course", "load_course", "default_dest"]
