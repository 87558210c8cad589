"""Moodle XML export: parses, one category per lecture, allowed fractions only, CDATA-safe."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from lecture_notes.course.export import export_course
from lecture_notes.course.export.common import cdata
from lecture_notes.course.export.moodle import ALLOWED_FRACTIONS, category_path, cloze_answer


def _allowed(frac: str) -> bool:
    return frac.lstrip("-") in ALLOWED_FRACTIONS


def test_moodle_xml_structure(course_output, tmp_path):
    out = course_output
    dest = export_course(out, "moodle-xml")
    root = ET.parse(dest).getroot()
    assert root.tag == "quiz"
    cats = [q.findtext("category/text") for q in root.iter("question") if q.get("type") == "category"]
    assert cats == ["$course$/top/Lecture 01 - Sorting Algorithms", "$course$/top/Lecture 02 - Hash Tables",
                    "$course$/top/Lecture 03 - Graphs"]
    types = [q.get("type") for q in root.iter("question") if q.get("type") != "category"]
    assert types.count("shortanswer") == 6 and types.count("cloze") == 3 and types.count("multichoice") == 6
    for q in root.iter("question"):
        for a in q.iter("answer"):
            assert _allowed(a.get("fraction")), a.get("fraction")
        if q.get("type") == "multichoice":
            fracs = [a.get("fraction") for a in q.iter("answer")]
            assert fracs.count("100") == 1 and len(fracs) >= 3
        if q.get("type") == "shortanswer":
            assert all(a.get("fraction") == "100" for a in q.iter("answer"))
            assert "____" in q.findtext("questiontext/text"), "term is masked in the definition"
        if q.get("type") == "cloze":
            assert re.search(r"\{1:SHORTANSWER:=[^}]+\}", q.findtext("questiontext/text"))
    short = [q for q in root.iter("question") if q.get("type") == "shortanswer"]
    assert {a.findtext("text") for a in short[2].iter("answer")} == {"Hash table", "Hash tables"}


def test_injection_and_cdata(course_factory, tmp_path):
    out = course_factory.make_course_output(tmp_path / "out", inject=True)
    dest = export_course(out, "moodle-xml")
    raw = dest.read_text()
    root = ET.fromstring(raw)  # still well-formed
    texts = " ".join(t.text or "" for t in root.iter("text"))
    assert "&lt;script&gt;" in texts and "<script>" not in texts
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert ET.fromstring(f"<t>{cdata('x ]]> y')}</t>").text == "x ]]> y"
    # the raw answer of a short-answer question keeps ]]> intact through the split CDATA
    assert ET.fromstring(f"<t>{cdata(course_factory.EVIL)}</t>").text == course_factory.EVIL
    assert category_path("A/B") == "$course$/top/A//B"
    # exactly what Moodle's multianswer parser un-escapes (\} \#), entities for the rest; / and " untouched
    assert cloze_answer('a}b#c~d/e"f<g*h') == r'a\}b\#c&#126;d/e"f&lt;g\*h'
    assert cloze_answer("it's") == "it's"
