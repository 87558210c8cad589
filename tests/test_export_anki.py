"""Anki export: the .apkg is a zip with collection.anki2 (sqlite) holding the expected notes, decks,
media and stable GUIDs; fields are HTML-escaped."""
from __future__ import annotations

import json
import sqlite3
import zipfile
from pathlib import Path

from lecture_notes.course.export import export_course
from lecture_notes.course.export.anki import BASIC_MODEL_ID, CLOZE_MODEL_ID, cloze_text


def _read(apkg: Path, tmp: Path):
    with zipfile.ZipFile(apkg) as zf:
        names = zf.namelist()
        assert "collection.anki2" in names
        media = json.loads(zf.read("media"))
        zf.extract("collection.anki2", tmp)
        blobs = {media[k]: zf.read(k) for k in media}
    con = sqlite3.connect(tmp / "collection.anki2")
    notes = con.execute("select guid, mid, flds, tags from notes").fetchall()
    decks = json.loads(con.execute("select decks from col").fetchone()[0])
    models = json.loads(con.execute("select models from col").fetchone()[0])
    cards = con.execute("select nid, did from cards").fetchall()
    con.close()
    return names, media, blobs, notes, decks, models, cards


def test_apkg_contents_and_stable_guids(course_output, tmp_path):
    out = course_output
    dest = export_course(out, "anki")
    names, media, blobs, notes, decks, models, cards = _read(dest, tmp_path)
    deck_names = sorted(d["name"] for d in decks.values())
    assert deck_names == ["Algorithms 101::Lecture 01 Sorting Algorithms", "Algorithms 101::Lecture 02 Hash Tables",
                          "Algorithms 101::Lecture 03 Graphs", "Default"]
    assert {int(k) for k in models} == {BASIC_MODEL_ID, CLOZE_MODEL_ID}
    # 5 Q&A per lecture; glossary definitions equal to Q&A answers are not duplicated
    assert len(notes) == 15
    cloze = [n for n in notes if n[1] == CLOZE_MODEL_ID]
    assert len(cloze) == 3 and all("{{c1::" in n[2] for n in cloze)
    assert any("{{c1::collision}}" in n[2] for n in cloze)
    # media: slide images, renamed per lecture, referenced from the fields
    assert "lecture-01-sorting-algorithms-slide-001.jpg" in blobs
    assert all(b[:2] == b"\xff\xd8" for b in blobs.values())
    flds = " ".join(n[2] for n in notes)
    for name in blobs:
        assert f'<img src="{name}">' in flds
    assert 'href="lecture-02-hash-tables/notes.html#t=330"' in flds
    # every card sits in its lecture deck
    deck_of = {int(k): d["name"] for k, d in decks.items()}
    assert {deck_of[did] for _, did in cards} == set(deck_names) - {"Default"}
    for n in names:
        assert not n.startswith("/") and ".." not in n.split("/")

    # GUIDs are stable across re-export
    dest2 = export_course(out, "anki", tmp_path / "again.apkg")
    (tmp_path / "b").mkdir()
    notes2 = _read(dest2, tmp_path / "b")[3]
    assert sorted(n[0] for n in notes) == sorted(n[0] for n in notes2)
    assert len({n[0] for n in notes}) == len(notes)


def test_fields_escaped(course_factory, tmp_path):
    lec = course_factory.write_lecture(tmp_path / "one", course_factory.make_notes(*course_factory.TOPICS[0], inject=True))
    dest = export_course(lec, "anki", tmp_path / "one.apkg", link_base="https://x.org/c/")
    notes = _read(dest, tmp_path)[3]
    flds = " ".join(n[2] for n in notes)
    assert "<script>" not in flds and "&lt;script&gt;" in flds
    assert 'href="https://x.org/c/notes.html#t=30"' in flds
    cloze = next(n[2] for n in notes if n[1] == CLOZE_MODEL_ID).split("\x1f")[0]
    assert cloze.count("{{c1::") == 1 and cloze.count("}}") == 1, "answer braces cannot close the cloze"


def test_blank_length_normalised():
    from lecture_notes.course.export.common import qa_pairs

    notes = {"chapters": [{"qa": [{"question": "A _____ maps keys.", "answer": "hash table", "kind": "cloze",
                                   "start": 1, "end": 2}]}]}
    assert qa_pairs(notes)[0]["question"] == "A ____ maps keys."


def test_cloze_text():
    assert cloze_text("A ____ sort", "stable") == "A {{c1::stable}} sort"
    assert cloze_text("x ____", "a}}b::c") == "x {{c1::a&#125;&#125;b&#58;&#58;c}}"
    assert cloze_text("no blank", "<b>") == "no blank {{c1::&lt;b&gt;}}"
