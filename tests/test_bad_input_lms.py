"""Bad input and hostile content against the LMS exports and the transcript readers (issue 8, LMS part).

Every export is read back the way its importer reads it: XML with lxml (and the CC 1.1 XSDs), HTML
fragments with an HTML parser, Anki packages with sqlite.
"""
from __future__ import annotations

import zipfile

from click.testing import CliRunner
from lxml import etree

from course_factory import make_course_output
from lecture_notes.cli import main

CANVAS = {"c": "http://canvas.instructure.com/xsd/cccv1p0", "cp": "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"}
SCRIPT_TITLE = "<script>alert('title')</script> & <b>bold</b>"


def _html_fragment(text: str):
    return etree.fromstring(f"<div>{text}</div>", etree.HTMLParser())


def _export(src, fmt, dest):
    res = CliRunner().invoke(main, ["export", str(src), "--to", fmt, "-o", str(dest)])
    assert res.exit_code == 0, res.output
    return dest


# -- item 7: Canvas renders assessment_meta.xml's description as HTML ---------------------------------
def test_canvas_description_escapes_lecture_title(tmp_path):
    out = make_course_output(tmp_path / "out")
    import json

    nj = out / "lecture-01-sorting-algorithms" / "notes.json"
    notes = json.loads(nj.read_text())
    notes["title"] = SCRIPT_TITLE
    nj.write_text(json.dumps(notes))
    dest = _export(out, "canvas-qti", tmp_path / "q.zip")
    with zipfile.ZipFile(dest) as zf:
        metas = [etree.fromstring(zf.read(n)) for n in zf.namelist() if n.endswith("assessment_meta.xml")]
    assert len(metas) == 3
    descs = [m.findtext("c:description", namespaces=CANVAS) for m in metas]
    evil = [d for d in descs if "alert" in d]
    assert len(evil) == 1
    frag = _html_fragment(evil[0])
    assert not frag.findall(".//script") and not frag.findall(".//b"), evil[0]
    assert SCRIPT_TITLE in "".join(frag.itertext())  # shown as text, exactly
