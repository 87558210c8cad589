"""IMS Common Cartridge 1.1 (``.imscc``) export: one module per lecture with the notes page (and its
slide images) plus a QTI 1.2 quiz, and one course-wide question bank.

CC 1.1 because Moodle imports only 1.0/1.1; Canvas, Blackboard, D2L and Sakai import it too.
"""
from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import List, Tuple

from lecture_notes.text.confidence import publishable
from lecture_notes.core.timefmt import clock
from lecture_notes.course.export.common import (Course, Lecture, SafeZip, esc, lecture_images, safe_relpath, stable_id,
                                                write_export)
from lecture_notes.course.export.quiz import QuizItem, build_pool, quiz_items
from lecture_notes.course.export.common import sub_element as _sub
from lecture_notes.course.export.qti import assessment_xml, objectbank_xml

log = logging.getLogger(__name__)

CP_NS = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
LOMM_NS = "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/manifest"
LOMR_NS = "http://ltsc.ieee.org/xsd/imsccv1p1/LOM/resource"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = (f"{CP_NS} http://www.imsglobal.org/profile/cc/ccv1p1/ccv1p1_imscp_v1p2_v1p0.xsd "
                   f"{LOMM_NS} http://www.imsglobal.org/profile/cc/ccv1p1/LOM/ccv1p1_lommanifest_v1p0.xsd "
                   f"{LOMR_NS} http://www.imsglobal.org/profile/cc/ccv1p1/LOM/ccv1p1_lomresource_v1p0.xsd")
ASSESSMENT = "imsqti_xmlv1p2/imscc_xmlv1p1/assessment"
QUESTION_BANK = "imsqti_xmlv1p2/imscc_xmlv1p1/question-bank"


def _manifest(course: Course, modules: List[dict], bank_href: str) -> bytes:
    uids = [lec.uid for lec in course.lectures]
    root = ET.Element("manifest", {
        "identifier": stable_id(course.title, *uids, prefix="M"), "xmlns": CP_NS, "xmlns:lomimscc": LOMM_NS,
        "xmlns:lom": LOMR_NS, "xmlns:xsi": XSI_NS, "xsi:schemaLocation": SCHEMA_LOCATION})
    md = _sub(root, "metadata")
    _sub(md, "schema", "IMS Common Cartridge")
    _sub(md, "schemaversion", "1.1.0")
    lom = _sub(_sub(md, "lomimscc:lom"), "lomimscc:general")
    _sub(_sub(lom, "lomimscc:title"), "lomimscc:string", course.title, language="en")
    org = _sub(_sub(root, "organizations"), "organization", identifier=stable_id(*uids, prefix="O"),
               structure="rooted-hierarchy")
    top = _sub(org, "item", identifier=stable_id(*uids, prefix="ROOT"))
    resources = _sub(root, "resources")
    for m in modules:
        mod = _sub(top, "item", identifier=m["id"] + "_M")
        _sub(mod, "title", m["title"])
        page = _sub(mod, "item", identifier=m["id"] + "_IP", identifierref=m["id"] + "_P")
        _sub(page, "title", "Notes: " + m["lecture_title"])
        res = _sub(resources, "resource", identifier=m["id"] + "_P", type="webcontent", href=m["page"])
        for href in [m["page"]] + m["images"]:
            _sub(res, "file", href=href)
        if m["quiz"]:
            quiz = _sub(mod, "item", identifier=m["id"] + "_IQ", identifierref=m["id"] + "_Q")
            _sub(quiz, "title", "Quiz: " + m["lecture_title"])
            res = _sub(resources, "resource", identifier=m["id"] + "_Q", type=ASSESSMENT)
            _sub(res, "file", href=m["quiz"])
    if bank_href:
        res = _sub(resources, "resource", identifier=stable_id(*uids, prefix="QB"), type=QUESTION_BANK)
        _sub(res, "file", href=bank_href)
    ET.indent(root, space="  ")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="utf-8") + b"\n"


def lecture_page_html(lecture: Lecture, *, image_prefix: str = "") -> str:
    """A self-contained HTML page of a lecture's notes (used inside cartridges), every text escaped."""
    n = lecture.notes
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{esc(lecture.title)}</title></head><body>", f"<h1>{esc(lecture.title)}</h1>"]
    if lecture.duration:
        out.append(f"<p><em>Duration {clock(lecture.duration)}</em></p>")
    if n.get("summary"):
        out.append(f"<h2>Summary</h2><p>{esc(n['summary'])}</p>")
    for ch in n.get("chapters") or []:
        out.append(f'<h2 id="t{int(float(ch.get("start", 0)))}">{esc(clock(ch.get("start", 0)))} '
                   f'{esc(ch.get("title", ""))}</h2>')
        if ch.get("summary"):
            out.append(f"<p>{esc(ch['summary'])}</p>")
        for s in ch.get("slides") or []:
            rel = safe_relpath(str(s.get("image") or ""))
            if rel and (lecture.dir / rel).is_file():
                out.append(f'<p><img src="{esc(image_prefix + rel)}" alt="{esc(s.get("text", "")[:200])}" '
                           f'style="max-width:100%"></p>')
        kps = publishable(ch.get("key_points") or [])
        if kps:
            out.append("<ul>" + "".join(f"<li>{esc(k.get('text', ''))} <small>({clock(k.get('start', 0))})"
                                        f"</small></li>" for k in kps) + "</ul>")
        qas = publishable(ch.get("qa") or [])
        if qas:
            out.append("<h3>Questions</h3><dl>" + "".join(
                f"<dt>{esc(q.get('question', ''))}</dt><dd>{esc(q.get('answer', ''))}</dd>" for q in qas) + "</dl>")
    gl = n.get("glossary") or []
    if gl:
        out.append("<h2>Glossary</h2><dl>" + "".join(
            f"<dt>{esc(g.get('term', ''))}</dt><dd>{esc(g.get('definition', ''))}</dd>" for g in gl) + "</dl>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def write_cartridge(course: Course, zf: SafeZip) -> dict:
    """Write every cartridge member into ``zf``; returns counts for logging and tests."""
    pool = build_pool(course)
    modules: List[dict] = []
    bank: List[Tuple[QuizItem, str]] = []
    for lec in course.lectures:
        mid = stable_id(lec.uid, lec.slug, prefix="L")
        base = f"lectures/{lec.slug}"
        page = zf.writestr(f"{base}/notes.html", lecture_page_html(lec))
        images = [zf.write_file(lec.dir / rel, f"{base}/{rel}") for rel in lecture_images(lec)]
        items = quiz_items(lec, pool)
        quiz = ""
        if items:
            quiz = zf.writestr(f"assessments/{lec.slug}/assessment.xml",
                               assessment_xml(mid + "_A", "Quiz: " + lec.label, items, "cc", source=lec.label))
        bank += [(it, lec.label) for it in items]  # item ids are unique per lecture (Lecture.uid)
        modules.append({"id": mid, "title": lec.label, "lecture_title": lec.title, "page": page,
                        "images": images, "quiz": quiz})
    bank_href = ""
    if bank:
        bank_href = zf.writestr("question_bank/questions.xml",
                                objectbank_xml(stable_id(course.title, prefix="B"), bank))
    zf.writestr("imsmanifest.xml", _manifest(course, modules, bank_href))
    return {"lectures": len(modules), "questions": len(bank)}


def export_imscc(course: Course, dest: Path, *, force: bool = False, link_base: str = "") -> Path:
    """Write ``course`` as an IMS Common Cartridge 1.1 file at ``dest`` (atomically). ``link_base`` is not used (the cartridge carries the lecture pages)."""
    def _write(tmp: Path) -> None:
        with SafeZip(tmp) as zf:
            counts = write_cartridge(course, zf)
        log.info("cartridge: %(lectures)d lectures, %(questions)d questions", counts)

    return write_export(dest, force, _write)
