"""IMS Common Cartridge 1.1 export: validates against the CC 1.1 XSDs, references resolve, text escaped."""
from __future__ import annotations

import sys
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from course_factory import make_course_output, make_notes, write_lecture, TOPICS
from lecture_notes.course.export import export_course

SCHEMAS = Path(__file__).resolve().parents[2] / "shared" / "schemas"
CC = SCHEMAS / "imscc-1.1"
NS = {"cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1", "q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}


@pytest.fixture(scope="module")
def validator():
    sys.path.insert(0, str(CC / "examples"))
    import validate

    return validate


def _xsd(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CC / name)))


def test_schemas_present():
    assert (CC / "ccv1p1_imscp_v1p2_v1p0.xsd").is_file(), f"CC 1.1 XSDs expected in {CC}"


def test_cartridge_validates_and_references_resolve(tmp_path, validator):
    out = make_course_output(tmp_path / "out")
    dest = export_course(out, "imscc")
    assert dest == out / "algorithms-101.imscc"
    assert validator.validate_package(str(dest)) == []
    with zipfile.ZipFile(dest) as zf:
        names = set(zf.namelist())
        manifest = etree.fromstring(zf.read("imsmanifest.xml"))
        _xsd("ccv1p1_imscp_v1p2_v1p0.xsd").assertValid(manifest.getroottree())
        qti = _xsd("ccv1p1_qtiasiv1p2p1_v1p0.xsd")
        res_ids = {r.get("identifier"): r for r in manifest.iterfind(".//cp:resource", NS)}
        for item in manifest.iterfind(".//cp:item[@identifierref]", NS):
            assert item.get("identifierref") in res_ids
        for r in res_ids.values():
            for f in r.iterfind("cp:file", NS):
                assert f.get("href") in names
            if r.get("href"):
                assert r.get("href") in names
            if r.get("type").startswith("imsqti_xmlv1p2/imscc_xmlv1p1/"):
                doc = etree.fromstring(zf.read(r.find("cp:file", NS).get("href")))
                qti.assertValid(doc.getroottree())
        types = [r.get("type") for r in res_ids.values()]
        assert types.count("webcontent") == 3 and types.count("imsqti_xmlv1p2/imscc_xmlv1p1/assessment") == 3
        assert types.count("imsqti_xmlv1p2/imscc_xmlv1p1/question-bank") == 1
        # one module per lecture, each with its page and its quiz
        modules = manifest.findall("cp:organizations/cp:organization/cp:item/cp:item", NS)
        assert [m.findtext("cp:title", namespaces=NS) for m in modules] == [
            "Lecture 01 - Sorting Algorithms", "Lecture 02 - Hash Tables", "Lecture 03 - Graphs"]
        assert all(len(m.findall("cp:item", NS)) == 2 for m in modules)
        # slide images travel with the page and are referenced from it
        page = zf.read("lectures/lecture-01-sorting-algorithms/notes.html").decode()
        assert 'src="slides/slide-001.jpg"' in page
        assert "lectures/lecture-01-sorting-algorithms/slides/slide-001.jpg" in names
        # item profiles: definitions as fib, cloze as fib, others as multiple choice
        quiz = etree.fromstring(zf.read("assessments/lecture-02-hash-tables/assessment.xml"))
        profiles = [f.findtext("q:fieldentry", namespaces=NS) for f in quiz.iterfind(".//q:item//q:qtimetadatafield", NS)
                    if f.findtext("q:fieldlabel", namespaces=NS) == "cc_profile"]
        assert profiles.count("cc.fib.v0p1") == 3 and profiles.count("cc.multiple_choice.v0p1") == 2
        # the multiple-choice answer key points at an existing choice holding the right answer
        for item in quiz.iterfind(".//q:item", NS):
            lid = item.find(".//q:response_lid", NS)
            if lid is None:
                continue
            key = item.find(".//q:respcondition/q:setvar/..//q:varequal", NS).text
            labels = {lab.get("ident"): lab.findtext(".//q:mattext", namespaces=NS)
                      for lab in lid.iterfind(".//q:response_label", NS)}
            assert key in labels
        for n in names:
            assert not n.startswith("/") and ".." not in n.split("/")


def test_single_lecture_folder_and_injection_escaped(tmp_path, validator):
    lec = write_lecture(tmp_path / "one", make_notes(*TOPICS[1], inject=True))
    dest = export_course(lec, "imscc", tmp_path / "x.imscc")
    assert validator.validate_package(str(dest)) == []
    with zipfile.ZipFile(dest) as zf:
        page = zf.read("lectures/one/notes.html").decode()
        assert "<script>" not in page and "&lt;script&gt;" in page
        for n in zf.namelist():
            if n.endswith(".xml"):
                doc = etree.fromstring(zf.read(n))  # well-formed despite ]]> and &
                for el in doc.iter("{*}mattext"):
                    # mattext holds escaped HTML: parsing it as HTML yields no script element
                    frag = etree.fromstring(f"<div>{el.text}</div>".replace("&nbsp;", " "), etree.HTMLParser())
                    assert not frag.findall(".//script")


def test_refuses_overwrite_and_missing_notes(tmp_path):
    from lecture_notes.core.errors import InputError, OutputError

    out = make_course_output(tmp_path / "out")
    dest = export_course(out, "imscc")
    before = dest.read_bytes()
    with pytest.raises(OutputError, match="--force"):
        export_course(out, "imscc")
    assert export_course(out, "imscc", force=True) == dest
    assert dest.read_bytes() == before, "re-export is byte-identical"
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="run lecture-notes build or batch first"):
        export_course(tmp_path / "empty", "imscc")
    assert not [p for p in out.iterdir() if p.name.endswith(".partial")]
