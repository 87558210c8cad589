"""Canvas QTI zip: imsmanifest.xml + <ident>/<ident>.xml + <ident>/assessment_meta.xml per lecture; CLI export."""
from __future__ import annotations

import zipfile

import click
from click.testing import CliRunner
from lxml import etree

from lecture_notes.course.export.common import SafeZip, safe_relpath

NS = {"cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1", "q": "http://www.imsglobal.org/xsd/ims_qtiasiv1p2",
      "c": "http://canvas.instructure.com/xsd/cccv1p0"}


def _group():
    from lecture_notes.cli.course import register_commands

    g = click.Group("t")
    register_commands(g)
    return g


def test_canvas_zip_layout_via_cli(course_factory, tmp_path):
    out = course_factory.make_course_output(tmp_path / "out", inject=True)
    dest = tmp_path / "quizzes.zip"
    res = CliRunner().invoke(_group(), ["export", str(out), "--to", "canvas-qti", "-o", str(dest)])
    assert res.exit_code == 0, res.output
    assert str(dest) in res.output
    with zipfile.ZipFile(dest) as zf:
        names = zf.namelist()
        manifest = etree.fromstring(zf.read("imsmanifest.xml"))
        quizzes = manifest.findall(".//cp:resource[@type='imsqti_xmlv1p2']", NS)
        assert len(quizzes) == 3
        for res_el in quizzes:
            ident = res_el.get("identifier")
            assert res_el.find("cp:file", NS).get("href") == f"{ident}/{ident}.xml"
            assert f"{ident}/assessment_meta.xml" in names
            dep = res_el.find("cp:dependency", NS).get("identifierref")
            assert manifest.find(f".//cp:resource[@identifier='{dep}']", NS).get("href") == f"{ident}/assessment_meta.xml"
            qti = etree.fromstring(zf.read(f"{ident}/{ident}.xml"))
            assert qti.find("q:assessment", NS).get("ident") == ident
            qtypes = [f.findtext("q:fieldentry", namespaces=NS) for f in qti.iterfind(".//q:qtimetadatafield", NS)
                      if f.findtext("q:fieldlabel", namespaces=NS) == "question_type"]
            assert set(qtypes) <= {"multiple_choice_question", "short_answer_question", "essay_question"}
            assert len(qtypes) == 5
            meta = etree.fromstring(zf.read(f"{ident}/assessment_meta.xml"))
            assert meta.get("identifier") == ident
            assert meta.findtext("c:points_possible", namespaces=NS) == "5.0"
            assert "<script>" in meta.findtext("c:title", namespaces=NS)  # plain text title, XML-escaped on disk
            assert b"<script>" not in zf.read(f"{ident}/assessment_meta.xml")
            for mt in qti.iter("{*}mattext"):
                assert "<script>" not in mt.text  # HTML fragments carry escaped text only
        for n in names:
            assert not n.startswith("/") and ".." not in n.split("/")
    # refuses to overwrite without --force, one-line error
    res = CliRunner().invoke(_group(), ["export", str(out), "--to", "canvas-qti", "-o", str(dest)])
    assert res.exit_code == 1 and "--force" in res.output and len(res.output.strip().splitlines()) == 1
    res = CliRunner().invoke(_group(), ["export", str(tmp_path), "--to", "canvas-qti"])
    assert res.exit_code == 1 and "has no notes.json; run lecture-notes build or batch first" in res.output


def test_zip_member_names_are_sanitized(tmp_path):
    assert safe_relpath("a/../b.jpg") == "b.jpg"
    for bad in ("../x", "/etc/passwd", "a/../../x", "C:/x", "..\\x", ""):
        assert safe_relpath(bad) is None
    import pytest
    from lecture_notes.core.errors import OutputError

    with SafeZip(tmp_path / "z.zip") as zf:
        zf.writestr("ok/a.txt", "x")
        with pytest.raises(OutputError):
            zf.writestr("../evil.txt", "x")
        with pytest.raises(OutputError):
            zf.writestr("/abs.txt", "x")
    with zipfile.ZipFile(tmp_path / "z.zip") as zf:
        assert zf.namelist() == ["ok/a.txt"]
