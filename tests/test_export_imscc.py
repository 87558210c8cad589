"""IMS Common Cartridge 1.1 export: validates against the CC 1.1 XSDs, references resolve, text escaped."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from lxml import etree

from lecture_notes.course.export import export_course

CC = Path(__file__).resolve().parent / "data" / "imscc-1.1"  # the repository carries the XSDs it tests against
# sha256 of the IMS/Moodle originals (CRLF bytes): the copies must stay unchanged (IMS licence notice).
XSD_SHA256 = {
    "cc11libxml2validator.xsd": "7e06026b947aa08d10e446934b6ab67ed83979ce051207eb2c131728a9407a08",
    "ccv1p1_imsccauth_v1p1.xsd": "aa340cbfd2d9f488c96e82cde94c20eb8234554cc0ce5757e07c91c7ec56cd23",
    "ccv1p1_imscp_v1p2_v1p0.xsd": "4fd6091695db721212f69df41955e3676317b1318e565fc398ff6390dc5f15bf",
    "ccv1p1_imsdt_v1p1.xsd": "d94c7d282052c7592dc12de07cc614d5270782d609e1e8051fa997d3d186f02e",
    "ccv1p1_imswl_v1p1.xsd": "9dca80e6c350017ecf2bfbfb78fa4a9347fe3edd93be14cee7749422e44674f9",
    "ccv1p1_lommanifest_v1p0.xsd": "16e411043ebfc99d1615af7391549e888195d2ed4d8827a836edbc2d99a1b646",
    "ccv1p1_lomresource_v1p0.xsd": "bf671a776e0fd105cd6cb2ff89031188cc6c49bb5eaccf47cce81ed70c6ded60",
    "ccv1p1_qtiasiv1p2p1_v1p0.xsd": "e83bbc9c0e8619975915cc2b42494a3b77d01a243ba28c245ba44edd8228b796",
    "imsbasiclti_v1p0p1.xsd": "b56182ce10949bdf4f8a1fcf63e8ea216ddf02f2a1db41b3b0d8504ec963ebb9",
    "imslticc_v1p0p1.xsd": "566776374a4839c31f54afd82f10513dadb7be5c49d0847b05acc791a385f214",
    "imslticm_v1p0.xsd": "bb5d4f678c74cf77520203687428a5c8623f79ce769bdd219110c56defcd323f",
    "imslticp_v1p0.xsd": "1eb7727d92982ae4871739632a065eb0033972475175a345a994ce01bc42e9cd",
    "xml.xsd": "306d54de426d704993461818a5789083919e1e1502f687c4fda496fd5062a636",
}
NS = {"cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1", "q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"}


@pytest.fixture(scope="module")
def validator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cc11_validate", CC / "examples" / "validate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert Path(module.SCHEMA_DIR).resolve() == CC
    return module


def _xsd(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CC / name)))


def test_schemas_are_the_unchanged_ims_files():
    """The tests read the XSDs from the repository itself (a fresh clone passes), byte-exact with the IMS notice."""
    import hashlib

    assert CC.is_relative_to(Path(__file__).resolve().parents[1])
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in CC.glob("*.xsd")} == XSD_SHA256
    for name in XSD_SHA256:
        if name.startswith(("ccv1p1_", "imslti", "imsbasiclti")):
            assert b"IPR, License and Distribution Notices" in (CC / name).read_bytes(), name


def test_cartridge_validates_and_references_resolve(course_output, tmp_path, validator):
    out = course_output
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


def test_single_lecture_folder_and_injection_escaped(course_factory, tmp_path, validator):
    lec = course_factory.write_lecture(tmp_path / "one", course_factory.make_notes(*course_factory.TOPICS[1], inject=True))
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


def test_refuses_overwrite_and_missing_notes(course_output, tmp_path):
    from lecture_notes.core.errors import InputError, OutputError

    out = course_output
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
