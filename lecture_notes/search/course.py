"""Search targets: one lecture's notes folder, or a batch output folder whose index is the union of its lectures'.

``write_course_search(out_dir, entries)`` is the merge step the batch engines call once their lectures are done:
it adds an index to any lecture folder that lacks a current one (old builds) and writes
``OUT_DIR/search/course.json``, the list of lecture indexes in course order. Nothing is re-embedded for lectures
whose index is current; a course search loads each lecture's vectors and concatenates them.
"""
from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence

from lecture_notes.core.errors import InputError
from lecture_notes.search.index import (INDEX_DIR, IndexError_, LectureIndex, ensure_index, index_is_current,
                                        load_index, notes_sha256)

log = logging.getLogger(__name__)

COURSE_MANIFEST = "course.json"


@dataclass(frozen=True)
class LectureRef:
    folder: Path
    slug: str
    href: str  # the lecture's notes page, relative to the target folder
    media: str  # absolute media path for deep links ("" when unknown)


def _media_of(folder: Path) -> str:
    try:
        m = json.loads((folder / ".lecture-notes.json").read_text(encoding="utf-8"))
        return str(m.get("input") or "")
    except (OSError, ValueError, AttributeError):
        return ""


def _page(folder: Path) -> str:
    for name in ("notes.html", "notes.md", "notes.json"):
        if (folder / name).is_file():
            return name
    return "notes.json"


def resolve_target(target: Path) -> tuple:
    """(kind, [LectureRef]) for a lecture folder ("lecture") or a batch output folder ("course")."""
    target = Path(target)
    if not target.is_dir():
        raise InputError(f"{target} is not a folder; pass a lecture's notes folder or a batch output folder")
    if (target / "notes.json").is_file():
        return "lecture", [LectureRef(target, target.name, _page(target), _media_of(target))]
    slugs: List[str] = []
    try:
        data = json.loads((target / INDEX_DIR / COURSE_MANIFEST).read_text(encoding="utf-8"))
        slugs = [str(e["slug"]) for e in data.get("lectures", [])]
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        try:
            data = json.loads((target / "batch.json").read_text(encoding="utf-8"))
            slugs = [str(e["slug"]) for e in data.get("lectures", []) if e.get("status") in ("built", "skipped")]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            from lecture_notes.core.fsutil import natural_key

            slugs = sorted((p.name for p in target.iterdir() if (p / "notes.json").is_file()), key=natural_key)
    refs = [LectureRef(target / s, s, f"{s}/{_page(target / s)}", _media_of(target / s))
            for s in slugs if (target / s / "notes.json").is_file()]
    if not refs:
        raise InputError(f"{target} holds no lecture notes (no notes.json); pass a folder written by "
                         f"`lecture-notes build` or `lecture-notes batch`")
    return "course", refs


def load_lectures(refs: Sequence[LectureRef], embedder_factory: Callable[[], Any]) -> List[LectureIndex]:
    """Load every lecture's index, adding missing/stale ones first. A lecture whose index cannot be read is
    skipped with a warning; raises InputError when none could be loaded."""
    out: List[LectureIndex] = []
    problems: List[str] = []
    for ref in refs:
        try:
            ensure_index(ref.folder, embedder_factory)
            out.append(load_index(ref.folder, slug=ref.slug, href=ref.href))
        except InputError as exc:
            if len(refs) == 1:
                raise
            problems.append(str(exc))
            log.warning("skipping %s: %s", ref.slug, exc)
    if not out:
        raise InputError(problems[0] if problems else "no lecture index could be loaded")
    return out


def write_course_search(out_dir: Path, entries: Sequence[Dict[str, Any]],
                        embedder_factory: Optional[Callable[[], Any]] = None) -> Optional[Path]:
    """Merge step after a batch: make sure every finished lecture has a current index, then write
    ``OUT_DIR/search/course.json``. ``entries`` are batch report lectures (dicts with slug and status).

    Returns the manifest path, or None when no lecture has notes. Never raises for one bad lecture.
    """
    out_dir = Path(out_dir)
    shared: Dict[str, Any] = {}

    def factory():
        if "e" not in shared:
            shared["e"] = (embedder_factory or default_embedder)()
        return shared["e"]

    lectures = []
    try:
        for e in entries:
            if e.get("status") not in ("built", "skipped"):
                continue
            folder = out_dir / str(e["slug"])
            if not (folder / "notes.json").is_file():
                continue
            try:
                if not index_is_current(folder):
                    ensure_index(folder, factory)
                meta = json.loads((folder / INDEX_DIR / "index.json").read_text(encoding="utf-8"))
            except (InputError, OSError, ValueError) as exc:
                log.warning("course search: %s has no usable index (%s)", e["slug"], exc)
                continue
            lectures.append({"slug": str(e["slug"]), "title": str(meta.get("title") or e["slug"]),
                             "href": f"{e['slug']}/{_page(folder)}",
                             "notes_sha256": notes_sha256(folder / "notes.json"),
                             "units": len(meta.get("units") or [])})
    finally:
        if "e" in shared:
            shared["e"].close()
    if not lectures:
        return None
    folder = out_dir / INDEX_DIR
    folder.mkdir(exist_ok=True)
    path = folder / COURSE_MANIFEST
    tmp = path.with_name(f".{COURSE_MANIFEST}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps({"index_version": 1, "lectures": lectures}, indent=1), encoding="utf-8")
    os.replace(tmp, path)
    return path


def default_embedder(model: str = "minilm") -> Any:
    """The query/index embedder: the registry's ``minilm`` with windows-long inputs."""
    from lecture_notes.backends import registry
    from lecture_notes.search.index import EMBED_MAX_LENGTH

    opts = {"max_length": EMBED_MAX_LENGTH} if model == "minilm" else {}
    return registry.create("embedder", model, **opts)


def html_windows(folder: Path, limit_chars: int = 600) -> List[List[Any]]:
    """[start, end, text] of a lecture's transcript windows for the HTML search box (from its index, else
    computed from notes.json without any model)."""
    folder = Path(folder)
    try:
        meta = json.loads((folder / INDEX_DIR / "index.json").read_text(encoding="utf-8"))
        return [[u["start"], u["end"], u["text"][:limit_chars]] for u in meta["units"] if u["kind"] == "window"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    try:
        from lecture_notes.core.serialize import notes_from_dict

        notes = notes_from_dict(json.loads((folder / "notes.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, InputError):
        return []
    from lecture_notes.search.units import window_rows

    return window_rows(notes, limit_chars)


__all__ = ["LectureRef", "resolve_target", "load_lectures", "write_course_search", "html_windows",
           "default_embedder", "IndexError_"]
