"""Moodle XML question export: one category per lecture (``$course$/top/Lecture 01 - Title``).

Types: definitions -> ``shortanswer`` (name the term), cloze Q&A -> ``cloze`` with
``{1:SHORTANSWER:=answer}``, other Q&A -> ``multichoice`` with distractors drawn from other answers
(or ``essay`` with the model answer as grader info when too few). Question text is HTML-escaped and
then wrapped in CDATA with ``]]>`` split; fractions come only from Moodle's fixed list.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import List
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from lecture_notes.core.timefmt import clock
from lecture_notes.course.export.common import BLANK, Course, cdata, esc, write_export
from lecture_notes.course.export.quiz import QuizItem, build_pool, quiz_items

log = logging.getLogger(__name__)

# Moodle accepts only these grade fractions (and their negatives) for answers.
ALLOWED_FRACTIONS = ("100", "90", "83.33333", "80", "75", "70", "66.66667", "60", "50", "40", "33.33333",
                     "30", "25", "20", "16.66667", "14.28571", "12.5", "11.11111", "10", "5", "0")
CORRECT, WRONG = "100", "0"


def plain(text: str) -> str:
    """Plain-text fields (names, categories, short answers) get no markup at all: angle brackets become
    look-alike guillemets, so no renderer can ever read a tag in them."""
    return " ".join(str(text).split()).replace("<", "‹").replace(">", "›")


def category_path(label: str) -> str:
    """``$course$/top/<label>``; a ``/`` inside the label is doubled, as Moodle escapes it."""
    return "$course$/top/" + plain(label).replace("/", "//")


# How Moodle's multianswer parser (question/type/multianswer/questiontype.php) reads a SHORTANSWER
# alternative: the answer runs to the first ``~``, ``#`` or ``}`` not preceded by ``\``, ``&`` or ``&amp;``;
# then html_entity_decode(), then only ``\}`` -> ``}`` and ``\#`` -> ``#``. The shortanswer grader then treats
# an unescaped ``*`` as a wildcard (``\*`` is a literal star). So: ``}``/``#``/``*`` get a backslash, ``~``,
# ``{``, ``\`` and ``&`` become numeric entities (their ``#`` follows ``&``, which the parser allows),
# ``<``/``>`` become entities; nothing else is touched (``TCP/IP`` stays ``TCP/IP``).
_CLOZE_ESCAPES = {"}": "\\}", "#": "\\#", "*": "\\*", "~": "&#126;", "{": "&#123;", "\\": "&#92;",
                  "&": "&#38;", "<": "&lt;", ">": "&gt;"}


def cloze_answer(text: str) -> str:
    """Escape a Cloze SHORTANSWER answer so Moodle's parser reads back exactly ``text`` and grades a student
    who types ``text`` as right (see ``_CLOZE_ESCAPES``)."""
    return "".join(_CLOZE_ESCAPES.get(ch, ch) for ch in " ".join(str(text).split()))


def cloze_text(html_text: str) -> str:
    """Question text around a Cloze gap: braces become entities so no ``{1:SA:...}`` can be read in it."""
    return html_text.replace("{", "&#123;").replace("}", "&#125;")


def short_answer(text: str) -> str:
    """A shortanswer answer: plain text with ``*`` escaped (Moodle's shortanswer grader reads ``*`` as a
    wildcard)."""
    return plain(text).replace("*", "\\*")


def _text(tag: str, html_text: str, fmt: str = "html") -> str:
    return f'<{tag} format="{fmt}"><text>{cdata(html_text)}</text></{tag}>'


def _name(item: QuizItem) -> str:
    words = plain(item.question)
    return xml_escape(words if len(words) <= 80 else words[:79] + "…")


def _feedback(item: QuizItem, label: str) -> str:
    return _text("generalfeedback", f"<p>{esc(item.answer)}</p><p><small>{esc(label)} at "
                                    f"{clock(item.start)}</small></p>")


def _answer(fraction: str, html_text: str, fmt: str = "html") -> str:
    assert fraction.lstrip("-") in ALLOWED_FRACTIONS
    return f'<answer fraction="{fraction}" format="{fmt}"><text>{cdata(html_text)}</text></answer>'


def question_xml(item: QuizItem, label: str) -> str:
    """One ``<question>`` element for a QuizItem."""
    head = [f"<name><text>{_name(item)}</text></name>"]
    common = [_feedback(item, label), "<defaultgrade>1</defaultgrade>", "<penalty>0.3333333</penalty>",
              "<hidden>0</hidden>", f"<idnumber>{xml_escape(item.ident)}</idnumber>"]
    if item.type == "mc":
        body = [_text("questiontext", f"<p>{esc(item.prompt)}</p>"), *common, "<single>true</single>",
                "<shuffleanswers>true</shuffleanswers>", "<answernumbering>abc</answernumbering>"]
        body += [_answer(CORRECT if i == item.correct else WRONG, f"<p>{esc(c)}</p>")
                 for i, c in enumerate(item.choices)]
        qtype = "multichoice"
    elif item.type == "short":
        body = [_text("questiontext", f"<p>{esc(item.prompt)}</p>"), *common, "<usecase>0</usecase>"]
        # Short answers are compared as plain text, so they are not HTML-escaped (CDATA keeps them safe).
        body += [_answer(CORRECT, short_answer(a), "moodle_auto_format")
                 for a in dict.fromkeys(item.accepted or (item.answer,))]
        qtype = "shortanswer"
    elif item.type == "cloze":
        parts = cloze_text(esc(item.prompt)).split(BLANK, 1)
        text = parts[0] + "{1:SHORTANSWER:=" + cloze_answer(item.answer) + "}" + (parts[1] if len(parts) > 1 else "")
        body = [_text("questiontext", f"<p>{text}</p>"), *common]
        qtype = "cloze"
    else:
        body = [_text("questiontext", f"<p>{esc(item.prompt)}</p>"), *common,
                "<responseformat>editor</responseformat>", "<responserequired>1</responserequired>",
                "<responsefieldlines>5</responsefieldlines>", "<attachments>0</attachments>",
                _text("graderinfo", f"<p>{esc(item.answer)}</p>"), _text("responsetemplate", "")]
        qtype = "essay"
    return f'  <question type={quoteattr(qtype)}>\n    ' + "\n    ".join(head + body) + "\n  </question>"


def moodle_xml(course: Course) -> str:
    """The whole quiz file as text."""
    pool = build_pool(course)
    out: List[str] = ['<?xml version="1.0" encoding="UTF-8"?>', "<quiz>"]
    for lec in course.lectures:
        items = quiz_items(lec, pool)
        out.append('  <question type="category">\n    <category><text>'
                   f"{xml_escape(category_path(lec.label))}</text></category>\n"
                   f"    <info format=\"html\"><text>{cdata(esc('Questions from ' + lec.label))}</text></info>\n"
                   "  </question>")
        out += [question_xml(it, lec.label) for it in items]
        log.debug("%s: %d questions", lec.label, len(items))
    out.append("</quiz>")
    return "\n".join(out) + "\n"


def export_moodle(course: Course, dest: Path, *, force: bool = False, link_base: str = "") -> Path:
    """Write a Moodle XML question file for ``course`` at ``dest`` (atomically). ``link_base`` is not used (questions carry no links)."""
    text = moodle_xml(course)
    return write_export(dest, force, lambda tmp: tmp.write_text(text, encoding="utf-8"))
