"""Shared pieces of the LMS exports: reading batch/lecture output folders, turning Q&A into quiz
items, escaping, safe zip members and atomic writes.

Exports read ``notes.json`` as plain dicts (schema_version 1) so they never depend on the pipeline.
"""
from __future__ import annotations

import hashlib
import html
import json
import logging
import posixpath
import random
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

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


@dataclass(frozen=True)
class QuizItem:
    """One exportable question, already mapped to a question type.

    type: "mc" (choices/correct), "short" (accepted answers), "cloze" (question holds ``____``)
    or "essay" (answer is the model answer shown as feedback).
    """

    ident: str
    type: str
    kind: str
    question: str
    prompt: str
    answer: str
    start: float
    end: float
    accepted: Tuple[str, ...] = ()
    choices: Tuple[str, ...] = ()
    correct: int = 0


@dataclass
class Pool:
    """Answers and terms across the course, used to draw multiple-choice distractors."""

    answers: Dict[str, List[str]] = field(default_factory=dict)  # lecture slug -> answers


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


_DEF_RE = re.compile(r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+(?:an?\s+|the\s+)?(.+?)\s*\??\s*$", re.I)


def plural_variants(term: str) -> Tuple[str, ...]:
    """The term plus its simple English singular/plural form."""
    t = term.strip()
    low = t.lower()
    if low.endswith("ies") and len(low) > 4:
        other = t[:-3] + "y"
    elif low.endswith(("ses", "xes", "zes", "ches", "shes")):
        other = t[:-2]
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        other = t[:-1]
    elif low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        other = t[:-1] + "ies"
    elif low.endswith(("s", "x", "z", "ch", "sh")):
        other = t + "es"
    else:
        other = t + "s"
    return (t, other) if other.lower() != low else (t,)


def definition_term(question: str, glossary: Sequence[dict]) -> Optional[str]:
    """The term a "What is X?" question defines, spelled as in the glossary when it is there."""
    m = _DEF_RE.match(question)
    if not m:
        return None
    term = m.group(1).strip().strip("\"'“”")
    if not term or len(term.split()) > 6:
        return None
    keys = {norm_text(v) for v in plural_variants(term)}
    for g in glossary:
        if norm_text(str(g.get("term", ""))) in keys:
            return str(g["term"])
    return term


def mask_term(text: str, term: str) -> str:
    """Hide the term (and its plural) in a definition so a short-answer question does not give it away."""
    for v in sorted(plural_variants(term), key=len, reverse=True):
        text = re.sub(r"(?<!\w)" + re.escape(v) + r"(?!\w)", BLANK, text, flags=re.I)
    return text


def build_pool(course: Course) -> Pool:
    pool = Pool()
    for lec in course.lectures:
        answers = [qa["answer"] for qa in qa_pairs(lec.notes) if BLANK not in qa["question"]]
        answers += [str(g.get("definition", "")) for g in lec.notes.get("glossary") or []]
        pool.answers[lec.slug] = [a for a in dict.fromkeys(answers) if a.strip()]
    return pool


def _distractors(answer: str, lecture: Lecture, pool: Pool, rng: random.Random, n: int = 3) -> List[str]:
    key = norm_text(answer)
    own = [a for a in pool.answers.get(lecture.slug, []) if norm_text(a) != key]
    rest = [a for s, lst in pool.answers.items() if s != lecture.slug for a in lst if norm_text(a) != key]
    rng.shuffle(own)
    rng.shuffle(rest)
    out: List[str] = []
    for a in own + rest:
        k = norm_text(a)
        if k and k not in {norm_text(o) for o in out} and k not in key and key not in k:
            out.append(a)
        if len(out) == n:
            break
    return out


def quiz_items(lecture: Lecture, pool: Pool) -> List[QuizItem]:
    """Map a lecture's Q&A to question types: cloze -> cloze, definitions -> short answer (name the
    term), others -> multiple choice with distractors from other answers, or essay when too few."""
    items = []
    glossary = lecture.notes.get("glossary") or []
    for qa in qa_pairs(lecture.notes):
        q, a = qa["question"], qa["answer"]
        ident = stable_id(lecture.uid, q, prefix="q")
        rng = random.Random(ident)
        common = dict(ident=ident, kind=qa["kind"], question=q, answer=a, start=qa["start"], end=qa["end"])
        term = definition_term(q, glossary) if qa["kind"] in ("definition", "concept", "") else None
        if BLANK in q:
            items.append(QuizItem(type="cloze", prompt=q, accepted=(a,), **common))
        elif term and norm_text(mask_term(a, term)) != norm_text(a):
            prompt = f"Which term is defined as follows? “{mask_term(a, term)}”"
            items.append(QuizItem(type="short", prompt=prompt, accepted=plural_variants(term),
                                  **{**common, "answer": term}))
        else:
            wrong = _distractors(a, lecture, pool, rng)
            if len(wrong) >= 2:
                choices = [a] + wrong
                rng.shuffle(choices)
                items.append(QuizItem(type="mc", prompt=q, choices=tuple(choices), correct=choices.index(a),
                                      **common))
            else:
                items.append(QuizItem(type="essay", prompt=q, **common))
    return items


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
