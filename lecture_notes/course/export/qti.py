"""QTI 1.2 assessment / question-bank XML shared by the Common Cartridge and Canvas exports.

Two metadata profiles: ``"cc"`` (IMS CC 1.1 ``cc_profile`` fields, validates against
ccv1p1_qtiasiv1p2p1_v1p0.xsd) and ``"canvas"`` (Canvas ``question_type``/``points_possible`` fields).
ElementTree does all escaping: question HTML is escaped once into an HTML fragment, then again as
XML text, so injected markup stays inert.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable, List, Sequence, Tuple

from lecture_notes.core.timefmt import clock
from lecture_notes.course.export.common import BLANK, esc
from lecture_notes.course.export.quiz import QuizItem
from lecture_notes.course.export.common import sub_element as _sub

QTI_NS = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CC_QTI_XSD = "http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_qtiasiv1p2p1_v1p0.xsd"

CC_PROFILES = {"mc": "cc.multiple_choice.v0p1", "short": "cc.fib.v0p1", "cloze": "cc.fib.v0p1",
               "essay": "cc.essay.v0p1"}
CANVAS_TYPES = {"mc": "multiple_choice_question", "short": "short_answer_question",
                "cloze": "short_answer_question", "essay": "essay_question"}


def _metadata(parent: ET.Element, fields: Iterable[Tuple[str, str]]) -> None:
    md = _sub(parent, "qtimetadata")
    for label, entry in fields:
        f = _sub(md, "qtimetadatafield")
        _sub(f, "fieldlabel", label)
        _sub(f, "fieldentry", entry)


def _material(parent: ET.Element, html_fragment: str) -> None:
    _sub(_sub(parent, "material"), "mattext", html_fragment, texttype="text/html")


def prompt_html(item: QuizItem, source: str = "") -> str:
    """The question as an HTML fragment (text escaped); cloze blanks shown as a line."""
    text = esc(item.prompt).replace(BLANK, "_____")
    return f"<p>{text}</p>"


def feedback_html(item: QuizItem, source: str = "") -> str:
    where = f" ({esc(source)} at {clock(item.start)})" if source else f" (at {clock(item.start)})"
    return f"<p>Answer: {esc(item.answer)}{where}</p>"


def item_element(item: QuizItem, profile: str, *, source: str = "", points: int = 1) -> ET.Element:
    """One QTI ``<item>`` for a QuizItem."""
    el = ET.Element("item", ident=item.ident, title=_title(item.prompt))
    md = _sub(el, "itemmetadata")
    if profile == "cc":
        fields = [("cc_profile", CC_PROFILES[item.type]), ("cc_weighting", str(points))]
        if item.type == "essay":  # CC QTI profile rule 8f: essays are marked by a person
            fields.append(("qmd_computerscored", "No"))
        _metadata(md, fields)
    else:
        answer_ids = ",".join(f"{item.ident}_{i}" for i in range(len(item.choices))) if item.type == "mc" else ""
        _metadata(md, [("question_type", CANVAS_TYPES[item.type]), ("points_possible", f"{points:.1f}"),
                       ("original_answer_ids", answer_ids), ("assessment_question_identifierref", item.ident + "_ref")])
    pres = _sub(el, "presentation")
    _material(pres, prompt_html(item))
    if item.type == "mc":
        lid = _sub(pres, "response_lid", ident="response1", rcardinality="Single")
        rc = _sub(lid, "render_choice", shuffle="No")
        for i, choice in enumerate(item.choices):
            _material(_sub(rc, "response_label", ident=f"{item.ident}_{i}"), f"<p>{esc(choice)}</p>")
    else:
        rs = _sub(pres, "response_str", ident="response1", rcardinality="Single")
        fib = _sub(rs, "render_fib", **({"rows": "5"} if item.type == "essay" else {}))
        _sub(fib, "response_label", ident="answer1", rshuffle="No")
    proc = _sub(el, "resprocessing")
    _sub(_sub(proc, "outcomes"), "decvar", varname="SCORE", vartype="Decimal", minvalue="0", maxvalue="100")
    cond = _sub(proc, "respcondition", **{"continue": "Yes"})
    _sub(_sub(cond, "conditionvar"), "other")
    _sub(cond, "displayfeedback", feedbacktype="Response", linkrefid="general_fb")
    if item.type == "mc":
        cond = _sub(proc, "respcondition", **{"continue": "No"})
        _sub(_sub(cond, "conditionvar"), "varequal", f"{item.ident}_{item.correct}", respident="response1")
        _sub(cond, "setvar", "100", varname="SCORE", action="Set")
    elif item.type in ("short", "cloze"):
        for ans in item.accepted or (item.answer,):
            cond = _sub(proc, "respcondition", **{"continue": "No"})
            _sub(_sub(cond, "conditionvar"), "varequal", ans, respident="response1", case="No")
            _sub(cond, "setvar", "100", varname="SCORE", action="Set")
    fb = _sub(el, "itemfeedback", ident="general_fb")
    _material(_sub(fb, "flow_mat"), feedback_html(item, source))
    return el


def _title(text: str, limit: int = 80) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _root(profile: str) -> ET.Element:
    attrs = {"xmlns": QTI_NS}
    if profile == "cc":
        attrs.update({"xmlns:xsi": XSI_NS, "xsi:schemaLocation": f"{QTI_NS} {CC_QTI_XSD}"})
    return ET.Element("questestinterop", attrs)


def _serialize(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def assessment_xml(ident: str, title: str, items: Sequence[QuizItem], profile: str, *, source: str = "",
                   max_attempts: int = 1) -> bytes:
    """A QTI assessment with one section holding ``items`` (which must not be empty)."""
    root = _root(profile)
    asmt = _sub(root, "assessment", ident=ident, title=title)
    fields: List[Tuple[str, str]] = [("cc_maxattempts", str(max_attempts))]
    if profile == "cc":
        fields = [("cc_profile", "cc.exam.v0p1"), ("qmd_assessmenttype", "Examination")] + fields
    _metadata(asmt, fields)
    sec = _sub(asmt, "section", ident=f"{ident}_root", title=title)
    for it in items:
        sec.append(item_element(it, profile, source=source))
    return _serialize(root)


def objectbank_xml(ident: str, items: Sequence[Tuple[QuizItem, str]]) -> bytes:
    """A CC question bank (``objectbank``) from (item, source label) pairs."""
    root = _root("cc")
    bank = _sub(root, "objectbank", ident=ident)
    _metadata(bank, [("cc_profile", "cc.question_bank.v0p1")])
    for it, source in items:
        bank.append(item_element(it, "cc", source=source))
    return _serialize(root)
