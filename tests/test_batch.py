"""`lecture-notes batch`: discovery, natural order, isolation of bad files, resume, kill -9, index, CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lecture_notes.course import batch as batch_mod
from lecture_notes.core.fsutil import natural_key
from lecture_notes.course.batch import run_batch
from lecture_notes.course.plan import default_jobs, find_media, plan_lectures
from lecture_notes.core.config import BuildConfig

TESTS = Path(__file__).resolve().parent
GOOD = ["lecture-1-sorting", "lecture-2-hashing", "lecture-10-graphs", "week-2-lecture-3-audio-only"]


def _config(tmp_path: Path, **kw) -> BuildConfig:
    return BuildConfig(input=tmp_path, cache_dir=tmp_path / "cache", **kw)


def _statuses(out: Path) -> dict:
    data = json.loads((out / "batch.json").read_text())
    return {e["slug"]: e["status"] for e in data["lectures"]}


def test_natural_order_and_junk_skipped(course_factory, tmp_path):
    course = tmp_path / "course"
    course_factory.make_media_course(course)
    rels = [p.relative_to(course).as_posix() for p in find_media(course)]
    assert rels == ["Lecture 1 - Sorting.mp4", "Lecture 2 - Hashing.mp4", "Lecture 4 - Broken.mp4",
                    "Lecture 10 - Graphs.mkv", "week 2/Lecture 3 - Audio only.mp3"]
    assert sorted(["lecture 10", "Lecture 2", "lecture 1"], key=natural_key) == ["lecture 1", "Lecture 2",
                                                                                 "lecture 10"]
    # the output folder inside the course folder is never scanned
    (course / "out" / "x").mkdir(parents=True)
    (course / "out" / "x" / "a.mp4").write_text("Graphs")
    assert all(not j.rel.startswith("out/") for j in plan_lectures(course, course / "out"))


def test_slugs_unique(tmp_path):
    course = tmp_path / "c"
    course.mkdir()
    for name in ("Intro.mp4", "intro.mkv", "INTRO.mp3"):
        (course / name).write_text("Graphs")
    slugs = [j.slug for j in plan_lectures(course, tmp_path / "out")]
    assert len(set(slugs)) == 3 and all(s.startswith("intro") for s in slugs)


def test_default_jobs_tradeoff():
    assert default_jobs(10, cores=2, memory=16 * 2**30) == 1  # 2 cores: 1 worker x 2 threads
    assert default_jobs(10, cores=16, memory=int(3.2e9)) == 2  # memory-bound
    assert default_jobs(10, cores=8, memory=64 * 2**30) == 4  # core-bound
    assert default_jobs(1, cores=16, memory=64 * 2**30) == 1  # never more than lectures
    assert default_jobs(5, cores=1, memory=10**8) == 1


def test_batch_builds_good_reports_bad_then_skips(course_factory, tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    events = []
    report = run_batch(course, out, _config(tmp_path), jobs=2, build_fn=course_factory.fake_build, progress=events.append)
    assert not report.ok and report.count("built") == 4 and report.count("failed") == 1
    bad = next(r for r in report.lectures if r.status == "failed")
    assert bad.slug == "lecture-4-broken" and "corrupt" in bad.error and "\n" not in bad.error
    st = _statuses(out)
    assert [s for s in st if st[s] == "built"] == GOOD and st["lecture-4-broken"] == "failed"
    for slug in GOOD:
        manifest = json.loads((out / slug / ".lecture-notes.json").read_text())
        assert all((out / slug / f).is_file() for f in manifest["files"])
    assert not (out / "lecture-4-broken").exists()
    kinds = [e.kind for e in events]
    assert kinds[0] == "plan" and kinds.count("done") == 5 and "stage" in kinds
    data = json.loads((out / "batch.json").read_text())
    assert data["lectures"][0]["timings"] == {"notes": 0.01} and data["lectures"][0]["cache_hits"] == {"notes": False}

    # index links every built lecture; glossary merged plural-insensitively with #t= links
    index_md = (out / "index.md").read_text()
    index_html = (out / "index.html").read_text()
    for slug in GOOD:
        assert f"({slug}/notes.html)" in index_md and f'href="{slug}/notes.html"' in index_html
    assert "Broken" in index_md and "corrupt" in index_md
    hash_line = next(ln for ln in index_md.splitlines() if ln.startswith("- **Hash table"))
    assert "lecture-2-hashing/notes.html#t=30" in hash_line and "lecture-10-graphs/notes.html#t=330" in hash_line
    assert index_md.count("- **Hash table") == 1
    questions = (out / "questions.md").read_text()
    assert "What is collision?" in questions and "lecture-2-hashing/notes.html#t=330" in questions

    # second run: nothing rebuilt except the failed one, which fails again
    report = run_batch(course, out, _config(tmp_path), jobs=1, build_fn=course_factory.fake_build)
    assert _statuses(out) == {**{s: "skipped" for s in GOOD}, "lecture-4-broken": "failed"}
    assert report.count("built") == 0

    # touched (new mtime) but same bytes -> sha256 says unchanged; changed bytes -> rebuilt
    src = course / "Lecture 1 - Sorting.mp4"
    os.utime(src, (time.time() + 10, time.time() + 10))
    (course / "Lecture 2 - Hashing.mp4").write_text("Graphs")
    run_batch(course, out, _config(tmp_path), jobs=1, build_fn=course_factory.fake_build)
    st = _statuses(out)
    assert st["lecture-1-sorting"] == "skipped" and st["lecture-2-hashing"] == "built"
    assert json.loads((out / "lecture-2-hashing" / "notes.json").read_text())["title"] == "Graphs"

    # an output-affecting option change rebuilds everything; --force rebuilds too
    run_batch(course, out, _config(tmp_path, window=600), jobs=1, build_fn=course_factory.fake_build)
    assert [s for s, v in _statuses(out).items() if v == "built"] == GOOD
    run_batch(course, out, _config(tmp_path, window=600, force=True), jobs=1, build_fn=course_factory.fake_build)
    assert [s for s, v in _statuses(out).items() if v == "built"] == GOOD


def test_incomplete_output_is_rebuilt(course_factory, tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    run_batch(course, out, _config(tmp_path), jobs=1, build_fn=course_factory.fake_build)
    (out / "lecture-1-sorting" / "notes.md").unlink()  # a listed file went missing
    run_batch(course, out, _config(tmp_path), jobs=1, build_fn=course_factory.fake_build)
    assert _statuses(out)["lecture-1-sorting"] == "built"
    assert (out / "lecture-1-sorting" / "notes.md").is_file()


def test_worker_crash_fails_only_that_lecture(course_factory, tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    (course / "Lecture 2 - Hashing.mp4.crash").write_text("")
    report = run_batch(course, out, _config(tmp_path), jobs=1, build_fn=course_factory.fake_build)
    st = _statuses(out)
    assert st["lecture-2-hashing"] == "failed"
    assert "worker process died" in next(r.error for r in report.lectures if r.slug == "lecture-2-hashing")
    assert [s for s in GOOD if st[s] == "built"] == [s for s in GOOD if s != "lecture-2-hashing"]
    assert not (out / "lecture-2-hashing").exists()


def test_kill9_mid_lecture_then_resume(course_factory, tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    marker = course / "Lecture 2 - Hashing.mp4.killparent"
    marker.write_text("")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from pathlib import Path
        from course_factory import fake_build
        from lecture_notes.course.batch import run_batch
        from lecture_notes.core.config import BuildConfig
        if __name__ == "__main__":
            run_batch(Path({str(course)!r}), Path({str(out)!r}),
                      BuildConfig(input=Path("."), cache_dir=Path({str(tmp_path / 'cache')!r})),
                      jobs=1, build_fn=fake_build)
    """)
    (tmp_path / "run.py").write_text(script)
    proc = subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    assert _statuses(out)["lecture-1-sorting"] == "built"
    assert _statuses(out)["lecture-2-hashing"] == "pending"
    assert not (out / "lecture-2-hashing").exists(), "no half-written lecture under its final name"
    stale = [p for p in out.iterdir() if p.name.startswith(".lecture-notes-tmp-")]
    assert stale, "the killed build left its temp folder"

    marker.unlink()
    report = run_batch(course, out, _config(tmp_path), jobs=1, build_fn=course_factory.fake_build)
    st = _statuses(out)
    assert st["lecture-1-sorting"] == "skipped"
    assert [s for s in GOOD[1:] if st[s] == "built"] == GOOD[1:]
    assert not [p for p in out.iterdir() if p.name.startswith(".lecture-notes-tmp-")], "stale temp cleaned"
    assert report.count("failed") == 1


def test_cli_batch_summary_and_exit_code(course_factory, tmp_path, monkeypatch):
    from lecture_notes.cli.course import register_commands

    monkeypatch.setattr(batch_mod, "_default_build_fn", lambda: course_factory.fake_build)
    monkeypatch.setenv("LECTURE_NOTES_CACHE", str(tmp_path / "cache"))
    group = click.Group("t")
    register_commands(group)
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(out), "-j", "1", "--format", "md"])
    assert res.exit_code == 1, res.output
    assert "Lecture 4 - Broken.mp4" in res.output and "corrupt" in res.output
    assert "4 built, 0 up to date, 1 failed" in res.output
    assert (out / "lecture-1-sorting" / "notes.json").is_file()  # json always kept for index/export
    (course / "Lecture 4 - Broken.mp4").unlink()
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(out), "-j", "1", "--format", "md"])
    assert res.exit_code == 0, res.output
    assert "0 built, 4 up to date, 0 failed" in res.output
    res = CliRunner().invoke(group, ["batch", str(tmp_path / "missing"), "-o", str(out)])
    assert res.exit_code == 1 and "does not exist" in res.output


def test_empty_course_is_an_error(course_factory, tmp_path):
    from lecture_notes.core.errors import InputError

    (tmp_path / "c").mkdir()
    with pytest.raises(InputError, match="no lecture files"):
        run_batch(tmp_path / "c", tmp_path / "o", _config(tmp_path), build_fn=course_factory.fake_build)


@pytest.mark.slow
def test_batch_cli_end_to_end_real_pipeline(media_factory, course_factory, tmp_path, monkeypatch):
    """Real pipeline (sidecar transcripts, real OCR) through the CLI, then every export reads it back."""
    from lecture_notes.cli.course import register_commands

    monkeypatch.setenv("LECTURE_NOTES_CACHE", str(tmp_path / "cache"))
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_real_course(media_factory, course, [
        ("Lecture 1", "slides", "hash table"),
        ("Lecture 2 audio", "audio", "heap"),
        ("Lecture 3 broken", "broken", "")])
    group = click.Group("t")
    register_commands(group)
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(out), "-q"])
    assert res.exit_code == 1, res.output
    st = _statuses(out)
    assert st == {"lecture-1": "built", "lecture-2-audio": "built", "lecture-3-broken": "failed"}
    notes = json.loads((out / "lecture-1" / "notes.json").read_text())
    assert notes["schema_version"] == 1 and notes["source"]["duration"] > 15
    assert "lecture-1/notes.html" in (out / "index.html").read_text()
    for fmt in ("imscc", "canvas-qti", "moodle-xml", "anki"):
        res = CliRunner().invoke(group, ["export", str(out), "--to", fmt])
        assert res.exit_code == 0, res.output
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(out), "-q"])
    assert _statuses(out) == {"lecture-1": "skipped", "lecture-2-audio": "skipped", "lecture-3-broken": "failed"}
