"""Anki ``.apkg`` export via genanki: one sub-deck per lecture (``Course::Lecture 01 Title``).

Basic cards for Q&A and glossary terms, Cloze cards for cloze Q&A. Model ids are fixed and note
GUIDs derive from the lecture id (source sha256, else slug) plus the question, so re-importing an
updated export updates notes instead of duplicating them. Every field is HTML-escaped.
"""
from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from pathlib import Path
from typing import List

from lecture_notes.core.errors import BackendError
from lecture_notes.core.timefmt import clock
from lecture_notes.course.export.common import (BLANK, Course, Lecture, esc, norm_text, qa_pairs, safe_relpath, slide_at,
                                                write_export)
from lecture_notes.course.export.quiz import definition_term, plural_variants, same_meaning

log = logging.getLogger(__name__)

BASIC_MODEL_ID = 1607392319  # fixed forever: changing it makes Anki create a new note type
CLOZE_MODEL_ID = 1607392320
CSS = ".card { font-family: sans-serif; font-size: 20px; text-align: left; }\n" \
      ".source { font-size: 14px; color: #666; margin-top: 1em; }\nimg { max-width: 100%; }\n" \
      ".cloze { font-weight: bold; color: #1a5fb4; }\n"


def _genanki():
    try:
        import genanki
    except ImportError as e:  # optional dependency
        raise BackendError("Anki export needs genanki; install it with pip install 'lecture-notes[export]'") from e
    return genanki


def _models(genanki):
    basic = genanki.Model(
        BASIC_MODEL_ID, "lecture-notes Basic",
        fields=[{"name": "Front"}, {"name": "Back"}, {"name": "Image"}, {"name": "Source"}],
        templates=[{"name": "Card 1", "qfmt": "{{Front}}",
                    "afmt": '{{FrontSide}}<hr id="answer">{{Back}}<div>{{Image}}</div>'
                            '<div class="source">{{Source}}</div>'}],
        css=CSS)
    cloze = genanki.Model(
        CLOZE_MODEL_ID, "lecture-notes Cloze",
        fields=[{"name": "Text"}, {"name": "Back Extra"}, {"name": "Image"}, {"name": "Source"}],
        templates=[{"name": "Cloze", "qfmt": "{{cloze:Text}}",
                    "afmt": '{{cloze:Text}}<br>{{Back Extra}}<div>{{Image}}</div><div class="source">{{Source}}</div>'}],
        css=CSS, model_type=genanki.Model.CLOZE)
    return basic, cloze


def deck_name(course: Course, lec: Lecture) -> str:
    """``Course::Lecture 01 Title`` (``::`` inside names would create extra sub-decks, so it is removed)."""
    def clean(s: str) -> str:
        return " ".join(s.replace("::", ":").split())
    return f"{clean(course.title)}::Lecture {lec.number:02d} {clean(lec.title)}"


def deck_id(name: str) -> int:
    return int(hashlib.sha1(name.encode("utf-8")).hexdigest()[:8], 16) % (1 << 30) + (1 << 30)


def cloze_text(question: str, answer: str) -> str:
    """HTML-escaped question with the first blank turned into ``{{c1::answer}}``; braces (and ``:`` in the
    answer) are entity-encoded so the text can neither open nor end a cloze."""
    def guard(s: str) -> str:
        return esc(s).replace("{", "&#123;").replace("}", "&#125;")

    ans = guard(answer).replace(":", "&#58;")
    parts = guard(question).split(BLANK, 1)
    if len(parts) == 1:
        return parts[0] + " {{c1::" + ans + "}}"
    return parts[0] + "{{c1::" + ans + "}}" + parts[1]


def timestamp_link(course: Course, lec: Lecture, t: float, link_base: str = "") -> str:
    """Link back to the moment in the notes page: ``<base><lecture>/notes.html#t=754``."""
    rel = lec.dir.relative_to(course.root).as_posix() if lec.dir != course.root else ""
    href = f"{link_base}{rel + '/' if rel else ''}notes.html#t={int(t)}"
    return f'<a href="{esc(href)}">{esc(lec.title)} @ {clock(t)}</a>'


def export_anki(course: Course, dest: Path, *, force: bool = False, link_base: str = "") -> Path:
    """Write an Anki package for ``course`` at ``dest`` (atomically). ``link_base`` prefixes the
    timestamp links (e.g. the URL where the notes folders are published)."""
    genanki = _genanki()
    basic, cloze = _models(genanki)
    decks: List = []
    with tempfile.TemporaryDirectory(prefix="lecture-notes-anki-") as tmp:
        media: dict = {}

        def image_field(lec: Lecture, t: float) -> str:
            slide = slide_at(lec.notes, t)
            rel = safe_relpath(str(slide.get("image") or "")) if slide else None
            if not rel or not (lec.dir / rel).is_file():
                return ""
            name = f"{lec.slug}-{Path(rel).name}"  # Anki media names are flat, so prefix the lecture
            if name not in media:
                media[name] = Path(tmp) / name
                shutil.copyfile(lec.dir / rel, media[name])
            return f'<img src="{esc(name)}">'

        for lec in course.lectures:
            deck = genanki.Deck(deck_id(deck_name(course, lec)), deck_name(course, lec))
            tags = [f"lecture-{lec.number:02d}"]
            glossary = lec.notes.get("glossary") or []
            answers, defined = [], set()  # what the Q&A notes already teach
            for qa in qa_pairs(lec.notes):
                src = timestamp_link(course, lec, qa["start"], link_base)
                img = image_field(lec, qa["start"])
                guid = genanki.guid_for(lec.uid, qa["question"])
                if BLANK in qa["question"]:
                    note = genanki.Note(model=cloze, fields=[cloze_text(qa["question"], qa["answer"]), "", img, src],
                                        guid=guid, tags=tags + ["cloze"])
                else:
                    note = genanki.Note(model=basic, fields=[esc(qa["question"]), esc(qa["answer"]), img, src],
                                        guid=guid, tags=tags + [qa["kind"] or "qa"])
                deck.add_note(note)
                answers.append(qa["answer"])
                term = definition_term(qa["question"], glossary)
                if term:
                    defined.update(norm_text(v) for v in plural_variants(term))
            for g in glossary:
                term, definition = str(g.get("term") or ""), str(g.get("definition") or "")
                # A glossary note that repeats a "What is X?" note (same term, or the same definition in other
                # words) would be the same card twice.
                if not term or not definition or norm_text(term) in defined or \
                        any(same_meaning(definition, a) for a in answers):
                    continue
                t = float(g.get("start") or 0.0)
                deck.add_note(genanki.Note(
                    model=basic, fields=[esc(term), esc(definition), image_field(lec, t),
                                         timestamp_link(course, lec, t, link_base)],
                    guid=genanki.guid_for(lec.uid, "glossary", term), tags=tags + ["glossary"]))
            decks.append(deck)
        package = genanki.Package(decks, media_files=[str(p) for p in media.values()])
        log.info("anki: %d decks, %d notes, %d media files", len(decks), sum(len(d.notes) for d in decks), len(media))
        return write_export(dest, force, lambda path: package.write_to_file(str(path)))
