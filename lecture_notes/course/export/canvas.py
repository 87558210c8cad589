"""Canvas "QTI .zip" export (Settings > Import Course Content > QTI .zip file): one quiz per lecture.

Layout as Canvas itself and text2qti write it: ``imsmanifest.xml``, then per quiz
``<ident>/<ident>.xml`` (QTI 1.2 with Canvas item metadata) and ``<ident>/assessment_meta.xml``.
"""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path

from lecture_notes.course.export.common import Course, SafeZip, esc, stable_id, write_export
from lecture_notes.course.export.quiz import build_pool, quiz_items
from lecture_notes.course.export.common import sub_element as _sub
from lecture_notes.course.export.qti import assessment_xml

log = logging.getLogger(__name__)

CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
IMSMD_NS = "http://www.imsglobal.org/xsd/imsmd_v1p2"
CANVAS_NS = "http://canvas.instructure.com/xsd/cccv1p0"
META_RESOURCE = "associatedcontent/imscc_xmlv1p1/learning-application-resource"


def _xml(root: ET.Element) -> bytes:
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def assessment_meta_xml(ident: str, title: str, description: str, points: int) -> bytes:
    """Canvas quiz settings: unpublished practice-style assignment quiz, one attempt, answers shown."""
    quiz = ET.Element("quiz", {"identifier": ident, "xmlns": CANVAS_NS})
    _sub(quiz, "title", title)
    _sub(quiz, "description", description)
    for tag, val in (("shuffle_answers", "true"), ("scoring_policy", "keep_highest"), ("quiz_type", "assignment"),
                     ("points_possible", f"{points:.1f}"), ("show_correct_answers", "true"),
                     ("allowed_attempts", "1"), ("one_question_at_a_time", "false"), ("cant_go_back", "false"),
                     ("available", "false")):
        _sub(quiz, tag, val)
    asg = _sub(quiz, "assignment", identifier=ident + "_asg")
    _sub(asg, "title", title)
    _sub(asg, "workflow_state", "unpublished")
    _sub(asg, "quiz_identifierref", ident)
    _sub(asg, "points_possible", f"{points:.1f}")
    _sub(asg, "grading_type", "points")
    _sub(asg, "submission_types", "online_quiz")
    return _xml(quiz)


def write_canvas(course: Course, zf: SafeZip) -> int:
    """Write the quizzes into ``zf``; returns the number of quizzes."""
    pool = build_pool(course)
    root = ET.Element("manifest", {"identifier": stable_id(course.title, prefix="M"), "xmlns": CP_NS,
                                   "xmlns:imsmd": IMSMD_NS})
    md = _sub(root, "metadata")
    _sub(md, "schema", "IMS Content")
    _sub(md, "schemaversion", "1.1.3")
    _sub(_sub(_sub(_sub(md, "imsmd:lom"), "imsmd:general"), "imsmd:title"), "imsmd:string", course.title)
    _sub(root, "organizations")
    resources = _sub(root, "resources")
    quizzes = 0
    for lec in course.lectures:
        items = quiz_items(lec, pool)
        if not items:
            log.warning("%s has no questions; no quiz written", lec.label)
            continue
        ident = stable_id(lec.uid, lec.slug, prefix="g")
        title = "Quiz: " + lec.label
        qti_href = zf.writestr(f"{ident}/{ident}.xml", assessment_xml(ident, title, items, "canvas",
                                                                        source=lec.label))
        desc = f"<p>Questions from {esc(lec.label)}.</p>"  # Canvas renders the description as HTML
        meta_href = zf.writestr(f"{ident}/assessment_meta.xml", assessment_meta_xml(ident, title, desc, len(items)))
        res = _sub(resources, "resource", identifier=ident, type="imsqti_xmlv1p2")
        _sub(res, "file", href=qti_href)
        _sub(res, "dependency", identifierref=ident + "_meta")
        meta = _sub(resources, "resource", identifier=ident + "_meta", type=META_RESOURCE, href=meta_href)
        _sub(meta, "file", href=meta_href)
        quizzes += 1
    zf.writestr("imsmanifest.xml", _xml(root))
    return quizzes


def export_canvas(course: Course, dest: Path, *, force: bool = False, link_base: str = "") -> Path:
    """Write a Canvas QTI zip for ``course`` at ``dest`` (atomically). ``link_base`` is not used (Canvas links the quizzes itself)."""
    def _write(tmp: Path) -> None:
        with SafeZip(tmp) as zf:
            n = write_canvas(course, zf)
        log.info("canvas: %d quizzes", n)

    return write_export(dest, force, _write)
