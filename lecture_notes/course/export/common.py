"""Shared pieces of the LMS exports: reading batch/lecture output folders, Q&A pairs, escaping, safe zip
members and atomic writes (quiz items and distractors are in ``quiz.py``).

Exports read ``notes.json`` as plain dicts (schema_version 1) so they never depend on the pipeline.
"""
from __future__ import annotations

import hashlib
import html
import json
import logging
import posixpath
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from lecture_notes.core.errors import InputError, OutputError
from lecture_notes.core.fsutil import atomic_path, natural_key
from lecture_notes.core.slug import slugify

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
BLANK = "____"
BLANK_RE = re.compile(r"_{3,}")  # writers differ in blank length; exports normalise to BLANK
# A fixed zip timestamp makes re-exports byte-comparable (zip cannot store dates before 1980).
ZIP_DATE = (2000, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Lecture:
    """One lecture output folder and its parsed notes.json."""

    slug: str
    dir: Path
    notes: dict
    number: int  # 1-based position in the course

    @property
    def title(self) -> str:
        return str(self.notes.get("title") or self.slug)

    @property
    def uid(self) -> str:
        """Stable lecture id for question ids, GUIDs and cartridge identifiers: the source sha256 together
        with the lecture's folder slug, so two lectures of one recording (or a copied folder) never share
        ids within a course, and a rebuild of the same lecture keeps them."""
        sha = str((self.notes.get("source") or {}).get("sha256") or "")
        return hashlib.sha256(f"{sha}\x1f{self.slug}".encode("utf-8")).hexdigest()

    @property
    def duration(self) -> float:
        return float((self.notes.get("source") or {}).get("duration") or 0.0)

    @property
    def label(self) -> str:
        """``Lecture 01 - Title``: the name used for LMS categories and decks."""
        return f"Lecture {self.number:02d} - {self.title}"


@dataclass(frozen=True)
class Course:
    title: str
    root: Path
    lectures: Tuple[Lecture, ...]


def _read_notes(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InputError(f"{path} is not readable JSON ({e}); rebuild it with lecture-notes build --force") from e
    if not isinstance(data, dict) or data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(f"{path} has schema_version {data.get('schema_version') if isinstance(data, dict) else '?'}"
                         f", expected {SCHEMA_VERSION}; rebuild it with this version of lecture-notes")
    return data


def load_course(path: Path) -> Course:
    """Read a batch output folder (``batch.json`` + lecture folders) or a single lecture folder."""
    root = Path(path)
    if not root.is_dir():
        raise InputError(f"{root} is not a folder; pass the output folder of lecture-notes build or batch")
    if (root / "notes.json").is_file():
        notes = _read_notes(root / "notes.json")
        lec = Lecture(slug=slugify(root.name, ascii_only=True), dir=root, notes=notes, number=1)
        return Course(title=lec.title, root=root, lectures=(lec,))
    slugs: List[str] = []
    title = root.name
    report = root / "batch.json"
    if report.is_file():
        try:
            data = json.loads(report.read_text(encoding="utf-8"))
            title = data.get("course_title") or title
            slugs = [e["slug"] for e in data.get("lectures", []) if e.get("status") in ("built", "skipped")]
        except (OSError, ValueError, KeyError, TypeError) as e:
            log.warning("ignoring unreadable %s (%s)", report, e)
    if not slugs:
        slugs = sorted((p.parent.name for p in root.glob("*/notes.json") if not p.parent.name.startswith(".")),
                       key=natural_key)
    lectures = []
    for slug in slugs:
        nj = root / slug / "notes.json"
        if not nj.is_file():
            log.warning("lecture %s has no notes.json; skipped", slug)
            continue
        lectures.append(Lecture(slug=slug, dir=root / slug, notes=_read_notes(nj), number=len(lectures) + 1))
    if not lectures:
        raise InputError(f"{root} has no notes.json; run lecture-notes build or batch first")
    return Course(title=str(title), root=root, lectures=tuple(lectures))


def norm_text(text: str) -> str:
    """Case-, space- and punctuation-insensitive key for comparing questions and answers."""
    return re.sub(r"[\W_]+", " ", text.casefold()).strip()


def qa_pairs(notes: dict) -> List[dict]:
    """Every publishable Q&A of a lecture (chapters first, then chunks; low ASR confidence left out),
    de-duplicated by question text; cloze blanks of any length (``___``, ``_____``) become ``____``."""
    from lecture_notes.text.confidence import publishable

    seen, out = set(), []
    groups = [c.get("qa") or [] for c in notes.get("chapters") or []]
    groups += [c.get("qa") or [] for c in notes.get("chunks") or []]
    # Questions built on speech the recogniser was unsure of are not published.
    for qa in (q for g in groups for q in publishable(g)):
        q, a = BLANK_RE.sub(BLANK, str(qa.get("question") or "")).strip(), str(qa.get("answer") or "").strip()
        key = norm_text(q)
        if not q or not a or key in seen:
            continue
        seen.add(key)
        out.append({"question": q, "answer": a, "kind": str(qa.get("kind") or ""),
                    "start": float(qa.get("start") or 0.0), "end": float(qa.get("end") or 0.0)})
    return out


def stable_id(*parts: str, prefix: str = "i") -> str:
    """A short, XML-safe identifier derived from ``parts`` (same input, same id on every export)."""
    h = hashlib.sha1("\x1f".join(parts).encode("utf-8")).hexdigest()[:16]
    return f"{prefix}{h}"


def esc(text: str) -> str:
    """HTML-escape text (quotes included) for an HTML fragment."""
    return html.escape(str(text), quote=True)


def cdata(text: str) -> str:
    """Wrap text in CDATA, splitting any ``]]>`` so it cannot close the section early."""
    return "<![CDATA[" + str(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def slide_at(notes: dict, t: float) -> Optional[dict]:
    """The slide shown at time ``t`` (its image path is relative to the lecture folder)."""
    best = None
    for ch in notes.get("chapters") or []:
        for s in ch.get("slides") or []:
            if s.get("image") and float(s.get("start", 0)) <= t + 1e-6:
                if best is None or float(s["start"]) >= float(best["start"]):
                    best = s
    return best


def lecture_images(lecture: Lecture) -> List[str]:
    """Relative paths of the slide images that exist in the lecture folder."""
    seen = []
    for ch in lecture.notes.get("chapters") or []:
        for s in ch.get("slides") or []:
            rel = safe_relpath(str(s.get("image") or ""))
            if rel and rel not in seen and (lecture.dir / rel).is_file():
                seen.append(rel)
    return seen


def safe_relpath(rel: str) -> Optional[str]:
    """A normalised relative POSIX path, or None when it is absolute or climbs out with ``..``."""
    rel = rel.replace("\\", "/")
    if not rel or rel.startswith("/") or re.match(r"^[A-Za-z]:", rel):
        return None
    norm = posixpath.normpath(rel)
    if norm in (".", "..") or norm.startswith("../"):
        return None
    return norm


class SafeZip:
    """A zip writer that only accepts relative member names without ``..`` and stamps a fixed date."""

    def __init__(self, path: Path):
        self._zip = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
        self.names: List[str] = []

    def writestr(self, arcname: str, data) -> str:
        name = safe_relpath(arcname)
        if name is None:
            raise OutputError(f"refusing unsafe archive member name {arcname!r}; this is a bug, please report it")
        if name in self.names:
            return name
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        self._zip.writestr(info, data.encode("utf-8") if isinstance(data, str) else data)
        self.names.append(name)
        return name

    def write_file(self, path: Path, arcname: str) -> str:
        return self.writestr(arcname, Path(path).read_bytes())

    def close(self) -> None:
        self._zip.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def check_dest(dest: Path, force: bool) -> Path:
    dest = Path(dest)
    if dest.exists() and not force:
        raise OutputError(f"{dest} already exists; pass --force to overwrite it or choose another -o FILE")
    if dest.exists() and dest.is_dir():
        raise OutputError(f"{dest} is a folder; pass a file name with -o FILE")
    if not dest.parent.is_dir():
        raise OutputError(f"folder {dest.parent} does not exist; create it or choose another -o FILE")
    return dest


def write_export(dest: Path, force: bool, writer: Callable[[Path], None]) -> Path:
    """Check ``dest`` (see ``check_dest``), call ``writer(tmp_path)``, then rename the result to ``dest``;
    never leaves a half-written file."""
    dest = check_dest(dest, force)
    with atomic_path(dest) as tmp:
        writer(tmp)
    return dest


def sub_element(parent: "ET.Element", tag: str, text: Optional[object] = None, **attrs) -> "ET.Element":
    """Append ``<tag attrs>text</tag>`` to ``parent`` (ElementTree escapes the text and attribute values)."""
    import xml.etree.ElementTree as ET

    el = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        el.text = str(text)
    return el
