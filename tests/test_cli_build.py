"""End-to-end: `lecture-notes build` on the committed sample lecture with the real bundled models."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from lecture_notes.cli import main

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "lecture.mp4"
TRUTH = json.loads((ROOT / "samples" / "lecture.truth.json").read_text())


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split())


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Build the sample once through the installed console script, as a user would."""
    work = tmp_path_factory.mktemp("e2e")
    out = work / "notes"
    env = dict(os.environ, LECTURE_NOTES_CACHE=str(work / "cache"), HF_HUB_OFFLINE="1")
    proc = subprocess.run([sys.executable, "-m", "lecture_notes", "build", str(SAMPLE), "-o", str(out)],
                          capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr
    return {"out": out, "env": env, "work": work, "proc": proc,
            "notes": json.loads((out / "notes.json").read_text())}


@pytest.mark.slow
def test_outputs_exist_and_json_matches_schema(built):
    from lecture_notes.core.serialize import validate_notes_dict

    out = built["out"]
    for name in ("notes.md", "notes.html", "notes.json", "transcript.vtt", "transcript.srt", "chapters.vtt"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    notes = built["notes"]
    validate_notes_dict(notes)
    assert notes["schema_version"] == 1
    assert abs(notes["source"]["duration"] - TRUTH["duration_s"]) < 2
    assert len(notes["source"]["sha256"]) == 64
    assert list(out.glob("slides/*.jpg")), "slide keyframes saved"
    assert "notes.html" in built["proc"].stdout
    # no temporary folders left beside the output
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []


@pytest.mark.slow
def test_transcript_has_key_terms(built):
    text = _norm(" ".join(s["text"] for s in built["notes"]["transcript"]))
    for term in ("antigen", "vaccine", "antibodies", "memory", "herd immunity", "lymph"):
        assert term in text, term


@pytest.mark.slow
def test_slides_found_and_read(built):
    notes = built["notes"]
    slides = [s for c in notes["chapters"] for s in c["slides"]]
    truth_titles = [s["title"] for s in TRUTH["slides"]]
    assert len(slides) == len(truth_titles)
    for got, want in zip(slides, TRUTH["slides"]):
        assert abs(got["start"] - want["start"]) <= 2.5
        assert _norm(want["title"]).split()[0] in _norm(got["text"])


@pytest.mark.slow
def test_chapters_line_up_with_slide_changes(built):
    chapters = built["notes"]["chapters"]
    assert len(chapters) >= 2
    changes = [s["start"] for s in TRUTH["slides"][1:]]
    for ch in chapters[1:]:
        assert min(abs(ch["start"] - c) for c in changes) <= 10, ch["start"]
    for a, b in zip(chapters, chapters[1:]):
        assert abs(a["end"] - b["start"]) < 0.01
    assert all(ch["title"].strip() for ch in chapters)


@pytest.mark.slow
def test_every_answer_is_grounded_near_its_timestamp(built):
    notes = built["notes"]
    segs = notes["transcript"]
    slide_text = " ".join(s["text"] for c in notes["chapters"] for s in c["slides"])
    qa = [q for c in notes["chapters"] for q in c["qa"]] + [q for c in notes["chunks"] for q in c["qa"]]
    assert len(qa) >= 5
    for q in qa:
        near = " ".join(s["text"] for s in segs if s["end"] >= q["start"] - 5 and s["start"] <= q["end"] + 5)
        ans = _norm(q["answer"])
        assert ans and (ans in _norm(near) or ans in _norm(slide_text)), q
        assert q["question"].strip().endswith(("?", ".")) or "____" in q["question"]
    kinds = {q["kind"] for q in qa}
    assert "definition" in kinds


@pytest.mark.slow
def test_summaries_and_key_points_have_times(built):
    notes = built["notes"]
    assert len(notes["summary"].split()) >= 30
    for ch in notes["chunks"]:
        assert 2 <= len(re.findall(r"[.!?](\s|$)", ch["summary"])) <= 4 or len(ch["summary"].split()) > 20
        assert 3 <= len(ch["key_points"]) <= 6
        for kp in ch["key_points"]:
            assert ch["start"] - 0.01 <= kp["start"] <= kp["end"] <= ch["end"] + 0.01
    assert notes["glossary"], "glossary from the sample's definitions"


@pytest.mark.slow
def test_rerun_uses_cache_and_refuses_without_force(built):
    out, env = built["out"], built["env"]
    before = (out / "notes.json").read_bytes()
    proc = subprocess.run([sys.executable, "-m", "lecture_notes", "build", str(SAMPLE), "-o", str(out)],
                          capture_output=True, text=True, env=env)
    assert proc.returncode != 0
    assert "--force" in proc.stderr and "Traceback" not in proc.stderr
    assert (out / "notes.json").read_bytes() == before
    proc = subprocess.run([sys.executable, "-m", "lecture_notes", "build", str(SAMPLE), "-o", str(out), "--force",
                           "--format", "md"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((out / ".lecture-notes.json").read_text())
    assert manifest["cache_hits"] == {"slides": True, "transcript": True, "notes": True}
    assert not (out / "notes.html").exists() and (out / "notes.md").exists()


# ------------------------------------------------------------------------------------------- bad input
def _run(args, tmp_path):
    runner = CliRunner()
    env = {"LECTURE_NOTES_CACHE": str(tmp_path / "cache")}
    return runner.invoke(main, args, env=env, catch_exceptions=False)


def _assert_one_line_error(result, *needles):
    assert result.exit_code != 0
    out = result.output.strip()
    assert "Traceback" not in out
    assert len(out.splitlines()) == 1, out
    for n in needles:
        assert n.lower() in out.lower(), out


def test_missing_input(tmp_path):
    _assert_one_line_error(_run(["build", str(tmp_path / "nope.mp4")], tmp_path), "nope.mp4")


def test_directory_input(tmp_path):
    _assert_one_line_error(_run(["build", str(tmp_path)], tmp_path))


def test_empty_file(tmp_path):
    f = tmp_path / "empty.mp4"
    f.write_bytes(b"")
    _assert_one_line_error(_run(["build", str(f)], tmp_path), "empty")


def test_corrupt_file(tmp_path):
    f = tmp_path / "broken.mp4"
    f.write_bytes(os.urandom(20000))
    _assert_one_line_error(_run(["build", str(f)], tmp_path), "broken.mp4")
    assert not (tmp_path / "broken_notes").exists()


def test_unsupported_format(tmp_path):
    f = tmp_path / "slides.pdf"
    f.write_bytes(b"%PDF-1.4 hello")
    _assert_one_line_error(_run(["build", str(f)], tmp_path), ".pdf")


def test_bad_option_values(tmp_path):
    _assert_one_line_error(_run(["build", str(SAMPLE), "--format", "docx", "-o", str(tmp_path / "o")], tmp_path),
                           "docx")
    _assert_one_line_error(_run(["build", str(SAMPLE), "--window", "1", "-o", str(tmp_path / "o")], tmp_path),
                           "window")


def test_unwritable_output(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("x")
    _assert_one_line_error(_run(["build", str(SAMPLE), "-o", str(blocker / "out")], tmp_path))
    assert blocker.read_text() == "x"


def test_existing_foreign_output_is_untouched(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "essay.txt").write_text("keep me")
    _assert_one_line_error(_run(["build", str(SAMPLE), "-o", str(out), "--force"], tmp_path), "other files")
    assert (out / "essay.txt").read_text() == "keep me"


def test_missing_transcript_file(tmp_path):
    _assert_one_line_error(_run(["build", str(SAMPLE), "--transcript", str(tmp_path / "x.srt"),
                                 "-o", str(tmp_path / "o")], tmp_path), "x.srt")


@pytest.fixture(scope="module")
def silent_video(make_sample, tmp_path_factory):
    d = tmp_path_factory.mktemp("silent")
    video = d / "silent.mp4"
    make_sample.make_lecture_video(video, make_sample.clip_sections(2, 2), audio=False)
    return video


def test_video_without_audio_needs_transcript(tmp_path, silent_video):
    _assert_one_line_error(_run(["build", str(silent_video), "-o", str(tmp_path / "o")], tmp_path),
                           "no audio", "--transcript")
    assert not (tmp_path / "o").exists()


def test_video_without_audio_with_transcript_escapes_markup(tmp_path, silent_video):
    """Transcript text is hostile: it must come out escaped in HTML and Markdown."""
    srt = tmp_path / "t.json"
    srt.write_text(json.dumps([
        {"start": 0.5, "end": 6.0, "text": "An antigen is <script>window.pwned=1</script> a molecule the body "
                                           "sees as foreign."},
        {"start": 6.0, "end": 12.0, "text": "A vaccine is a harmless copy <img src=x onerror=alert(1)> of an "
                                            "antigen."},
        {"start": 12.0, "end": 19.0, "text": "Because memory cells persist, the second response is faster."}]))
    out = tmp_path / "o"
    result = _run(["build", str(silent_video), "--transcript", str(srt), "-o", str(out)], tmp_path)
    assert result.exit_code == 0, result.output
    html = (out / "notes.html").read_text()
    assert "<script>window.pwned" not in html and "<img src=x" not in html
    # The words survive as text (cleaned of the tags or escaped), never as markup.
    assert "window.pwned=1" in html
    assert re.search(r"<script(?![^>]*nonce)", html) is None

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.bad = []

        def handle_starttag(self, tag, attrs):
            if tag == "img" and any(k.startswith("on") for k, _ in attrs):
                self.bad.append((tag, attrs))
            if tag == "script" and any(k == "src" for k, _ in attrs):
                self.bad.append((tag, attrs))

    c = Collect()
    c.feed(html)
    assert c.bad == []
    md = (out / "notes.md").read_text()
    assert "<script>" not in md and "<img src=x" not in md
