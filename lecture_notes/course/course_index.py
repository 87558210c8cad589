"""Course index for a batch output folder: ``index.md``, ``index.html`` and ``questions.md``.

Lists every lecture (link, duration, summary), a course-wide glossary whose terms are merged across
lectures case- and plural-insensitively (each linking to where it is defined: lecture page + ``#t=``),
and a question bank. Reads each lecture's notes.json as plain data.
"""
from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from lecture_notes.core.errors import ConfigError
from lecture_notes.core.fsutil import write_atomic
from lecture_notes.core.markdown import md_escape
from lecture_notes.core.timefmt import clock

log = logging.getLogger(__name__)


@dataclass
class IndexLecture:
    number: int
    slug: str
    title: str
    href: str  # lecture page relative to the index
    duration: float
    summary: str
    status: str
    error: str = ""
    questions: List[Dict[str, Any]] = field(default_factory=list)


@dataclass
class IndexTerm:
    term: str
    definition: str
    refs: List[Dict[str, Any]] = field(default_factory=list)  # {"lecture", "href", "number"}


def _singular(word: str) -> str:
    w = word
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 4 and w.endswith(("sses", "xes", "zes", "ches", "shes")):
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def term_key(term: str) -> str:
    """Merge key: case-, punctuation- and plural-insensitive ("Hash Tables" == "hash table")."""
    words = re.sub(r"[\W_]+", " ", term.casefold()).split()
    return " ".join(words[:-1] + [_singular(words[-1])]) if words else ""


def _page(folder: Path) -> str:
    for name in ("notes.html", "notes.md", "notes.json"):
        if (folder / name).is_file():
            return name
    return "notes.json"


def _link(lec: IndexLecture, t: float) -> str:
    return f"{lec.href}#t={int(max(0.0, float(t or 0)))}"


def collect(out_dir: Path, entries: List[Dict[str, Any]]) -> Tuple[List[IndexLecture], List[IndexTerm]]:
    """Read the lectures listed in ``entries`` (slug/status/error dicts, course order)."""
    from lecture_notes.course.export.common import qa_pairs

    lectures: List[IndexLecture] = []
    terms: Dict[str, IndexTerm] = {}
    for n, e in enumerate(entries, 1):
        slug, folder = e["slug"], out_dir / e["slug"]
        notes: Optional[dict] = None
        if e.get("status") in ("built", "skipped"):
            try:
                notes = json.loads((folder / "notes.json").read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                log.warning("index: cannot read %s/notes.json (%s)", slug, exc)
        if notes is None:
            lectures.append(IndexLecture(n, slug, e.get("rel") or slug, "", 0.0, "", "failed",
                                         e.get("error") or "no notes"))
            continue
        lec = IndexLecture(n, slug, str(notes.get("title") or slug), f"{slug}/{_page(folder)}",
                           float((notes.get("source") or {}).get("duration") or 0.0),
                           str(notes.get("summary") or ""), e["status"])
        lec.questions = [dict(q, href=_link(lec, q["start"])) for q in qa_pairs(notes)]
        lectures.append(lec)
        for g in notes.get("glossary") or []:
            key = term_key(str(g.get("term") or ""))
            if not key:
                continue
            entry = terms.setdefault(key, IndexTerm(str(g["term"]).strip(), str(g.get("definition") or "")))
            if not entry.definition and g.get("definition"):
                entry.definition = str(g["definition"])
            if not any(r["number"] == n for r in entry.refs):
                entry.refs.append({"lecture": lec.title, "number": n, "href": _link(lec, g.get("start", 0))})
    return lectures, sorted(terms.values(), key=lambda t: term_key(t.term))


def _env():
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("lecture_notes", "templates"),
                             autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",),
                                                                 default_for_string=False),
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             keep_trailing_newline=True)
    env.filters["md"] = md_escape
    env.filters["duration"] = functools.partial(clock, nearest=True)
    return env


def finish_course(out_dir: Path, report: Any, title: Optional[str] = None) -> None:
    """What every batch engine runs once its lectures are done: merge the lectures' search indexes into the
    course search (``search/course.json``) and write the course index pages. Logs, never raises."""
    from lecture_notes.core.errors import LectureNotesError

    data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    try:
        from lecture_notes.search.course import write_course_search

        write_course_search(Path(out_dir), data.get("lectures", []))
    except (LectureNotesError, OSError) as e:
        log.warning("course search index not written: %s", e)
    try:
        write_course_index(out_dir, data, title)
    except LectureNotesError as e:
        log.warning("course index not written: %s", e)


def write_course_index(out_dir: Path, report: Any, title: Optional[str] = None) -> List[Path]:
    """Write index.md, index.html and questions.md for a batch report (BatchReport or its dict)."""
    import jinja2

    data = report.to_dict() if hasattr(report, "to_dict") else dict(report)
    out_dir = Path(out_dir)
    lectures, terms = collect(out_dir, data.get("lectures", []))
    from lecture_notes.search.course import html_windows
    from lecture_notes.search.html import search_data

    search_json = search_data([{"title": lec.title, "href": lec.href, "windows": html_windows(out_dir / lec.slug)}
                               for lec in lectures if lec.href])
    ctx = {"title": title or data.get("course_title") or out_dir.name, "lectures": lectures, "terms": terms,
           "search_json": search_json,
           "n_questions": sum(len(lec.questions) for lec in lectures),
           "total_duration": sum(lec.duration for lec in lectures)}
    env = _env()
    written = []
    try:
        for tpl, name in (("course/index.md.j2", "index.md"), ("course/index.html.j2", "index.html"),
                          ("course/questions.md.j2", "questions.md")):
            write_atomic(out_dir / name, env.get_template(tpl).render(**ctx))
            written.append(out_dir / name)
    except jinja2.TemplateError as e:
        raise ConfigError(f"course index template failed ({e}); reinstall lecture-notes") from e
    return written
