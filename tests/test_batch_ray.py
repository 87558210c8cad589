"""`lecture-notes batch --engine ray` on a real local Ray cluster (no mocks of Ray).

One Ray instance (2 CPUs) serves the module; the Ctrl-C test joins it from a second driver with --address.
Fast fake lectures (course_factory) test the semantics; one course of real tiny lectures (transcript
sidecars, real OCR and embeddings) tests the real pipeline and that each worker loads its models once.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from lecture_notes.core.config import BuildConfig
from lecture_notes.core.errors import OutputError
from lecture_notes.course.batch import run_batch

ray = pytest.importorskip("ray", reason="the test extra installs ray; pip install -e '.[test]'")
from lecture_notes.course.ray_engine import RayEngine  # noqa: E402

pytestmark = pytest.mark.slow  # a Ray instance takes 10-40 s to start on 2 cores
TESTS = Path(__file__).resolve().parent
GOOD = ["lecture-1-sorting", "lecture-2-hashing", "lecture-10-graphs", "week-2-lecture-3-audio-only"]


@pytest.fixture(scope="module")
def cluster():
    """A real local Ray instance; workers import course_factory (fake builds) from the tests folder."""
    import logging

    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), old) if p)
    ctx = ray.init(address="local", num_cpus=2, include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    try:
        yield ctx.address_info["gcs_address"]
    finally:
        ray.shutdown()
        if old is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = old


def _config(tmp_path: Path, **kw) -> BuildConfig:
    return BuildConfig(input=tmp_path, cache_dir=tmp_path / "cache", **kw)


def _report(out: Path) -> dict:
    return json.loads((out / "batch.json").read_text())


def _statuses(out: Path) -> dict:
    return {e["slug"]: e["status"] for e in _report(out)["lectures"]}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead too
        return Path(f"/proc/{pid}/status").read_text().split("State:")[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def _first_pid(pids: Path, proc=None, timeout: float = 120) -> int:
    """The pid the hanging lecture's first attempt wrote (waits for it; fails if the driver ``proc`` ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        words = pids.read_text().split() if pids.exists() else []
        if words:
            return int(words[0])
        time.sleep(0.1)
    raise AssertionError(proc.stderr.read() if proc is not None and proc.poll() is not None else
                         "the hanging lecture never started")


def _staging(out: Path) -> list:
    return [p.name for p in out.iterdir() if p.name.startswith(".lecture-notes-")]


def test_worker_killed_mid_lecture_is_retried_same_report_as_local_then_skips(course_factory, cluster, tmp_path):
    course, out, out_local = tmp_path / "course", tmp_path / "out", tmp_path / "out_local"
    course_factory.make_media_course(course)
    src = course / "Lecture 2 - Hashing.mp4"
    src.with_name(src.name + ".hang").write_text("90")
    pids = src.with_name(src.name + ".pid")
    engine = RayEngine(max_retries=2)
    box = {}
    runner = threading.Thread(target=lambda: box.update(report=run_batch(
        course, out, _config(tmp_path), jobs=2, build_fn=course_factory.fake_build, engine=engine)))
    runner.start()
    victim = _first_pid(pids)
    assert victim != os.getpid() and _alive(victim)
    assert not (out / "lecture-2-hashing").exists() and _staging(out), "half written, in staging only"
    os.kill(victim, signal.SIGKILL)  # the Ray worker process building lecture 2 dies mid-lecture
    runner.join(timeout=180)
    assert not runner.is_alive()
    report = box["report"]
    attempts = pids.read_text().split()
    assert len(attempts) == 2 and attempts[1] != attempts[0], "retried in a restarted worker"
    st = _statuses(out)
    assert [s for s in GOOD if st[s] == "built"] == GOOD and st["lecture-4-broken"] == "failed"
    bad = next(r for r in report.lectures if r.status == "failed")
    assert "corrupt" in bad.error and "\n" not in bad.error
    manifest = json.loads((out / "lecture-2-hashing" / ".lecture-notes.json").read_text())
    assert all((out / "lecture-2-hashing" / f).is_file() for f in manifest["files"])
    assert not _staging(out), "the killed attempt's staging folder is gone"
    assert len(engine.worker_stats) == 2 and sum(s["lectures"] for s in engine.worker_stats) >= 4

    # the same course through the local engine gives the same report, index, glossary and question bank
    src.with_name(src.name + ".hang").unlink()
    local = run_batch(course, out_local, _config(tmp_path), jobs=2, build_fn=course_factory.fake_build)
    assert [(r.slug, r.status, r.error) for r in local.lectures] == \
        [(r.slug, r.status, r.error) for r in report.lectures]
    for name in ("index.md", "questions.md"):
        assert (out / name).read_text() == (out_local / name).read_text()
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == \
        sorted(p.name for p in out_local.iterdir() if not p.name.startswith("."))

    # rerun: everything up to date is skipped, the broken file fails again
    again = run_batch(course, out, _config(tmp_path), build_fn=course_factory.fake_build, engine=RayEngine())
    assert _statuses(out) == {**{s: "skipped" for s in GOOD}, "lecture-4-broken": "failed"}
    assert again.count("built") == 0 and not again.ok


def test_worker_that_dies_every_time_fails_only_its_lecture(course_factory, cluster, tmp_path):
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    (course / "Lecture 2 - Hashing.mp4.crash").write_text("")
    report = run_batch(course, out, _config(tmp_path), jobs=1, build_fn=course_factory.fake_build, engine=RayEngine(max_retries=1))
    st = _statuses(out)
    assert st["lecture-2-hashing"] == "failed" and st["lecture-4-broken"] == "failed"
    assert "Ray worker died 2 times" in next(r.error for r in report.lectures if r.slug == "lecture-2-hashing")
    assert [s for s in GOOD if st[s] == "built"] == [s for s in GOOD if s != "lecture-2-hashing"]
    assert not (out / "lecture-2-hashing").exists() and not _staging(out)


def test_ctrl_c_cancels_running_lectures(course_factory, cluster, tmp_path):
    """SIGINT to `lecture-notes batch --engine ray --address ADDR`: the running lecture's worker is stopped,
    nothing half-written stays, the finished lectures are kept and a rerun resumes."""
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    src = course / "Lecture 2 - Hashing.mp4"
    src.with_name(src.name + ".hang").write_text("300")
    pids = src.with_name(src.name + ".pid")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from course_factory import fake_build
        from lecture_notes.course import batch
        from lecture_notes.cli import main
        batch._default_build_fn = lambda: fake_build
        main(["batch", {str(course)!r}, "-o", {str(out)!r}, "-j", "1", "--engine", "ray",
              "--address", {cluster!r}, "-q"])
    """)
    env = {**os.environ, "LECTURE_NOTES_CACHE": str(tmp_path / "cache")}
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        worker = _first_pid(pids, proc)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    deadline = time.monotonic() + 10
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(worker), "the cancelled lecture's worker process was stopped"
    st = _statuses(out)
    assert st["lecture-1-sorting"] == "built" and st["lecture-2-hashing"] == "pending"
    assert not (out / "lecture-2-hashing").exists() and not _staging(out)
    src.with_name(src.name + ".hang").unlink()
    run_batch(course, out, _config(tmp_path), build_fn=course_factory.fake_build, engine=RayEngine())
    st = _statuses(out)
    assert st["lecture-1-sorting"] == "skipped" and st["lecture-2-hashing"] == "built"


def test_driver_killed_its_workers_stop_and_rerun_resumes(course_factory, cluster, tmp_path):
    """`kill -9` of the batch process itself: Ray stops the job's workers (they die with their owner), the
    half-built lecture never appears, and the next run cleans up and builds it."""
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    src = course / "Lecture 2 - Hashing.mp4"
    src.with_name(src.name + ".hang").write_text("300")
    pids = src.with_name(src.name + ".pid")
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(TESTS)!r})
        from pathlib import Path
        from course_factory import fake_build
        from lecture_notes.core.config import BuildConfig
        from lecture_notes.course.batch import run_batch
        from lecture_notes.course.ray_engine import RayEngine
        run_batch(Path({str(course)!r}), Path({str(out)!r}), BuildConfig(input=Path("."),
                  cache_dir=Path({str(tmp_path / 'cache')!r})), jobs=1, build_fn=fake_build,
                  engine=RayEngine({cluster!r}))
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    try:
        worker = _first_pid(pids, proc)
        proc.kill()
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    deadline = time.monotonic() + 60
    while _alive(worker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(worker), "the dead driver's Ray worker kept running"
    assert not (out / "lecture-2-hashing").exists() and _staging(out)
    src.with_name(src.name + ".hang").unlink()
    run_batch(course, out, _config(tmp_path), build_fn=course_factory.fake_build, engine=RayEngine())
    st = _statuses(out)
    assert st["lecture-1-sorting"] == "skipped" and st["lecture-2-hashing"] == "built" and not _staging(out)


def test_worker_never_publishes_once_its_batch_is_gone(course_factory, cluster, tmp_path):
    """A Ray worker whose batch no longer holds OUT's lock (the driver died on another node) builds but does
    not publish: the lecture is reported failed and no folder appears."""
    import logging

    from lecture_notes.course.ray_engine import LectureWorker

    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_media_course(course)
    out.mkdir()
    (out / ".batch.lock").write_text("another-batch:token")  # nobody holds it, and not our token
    worker = ray.remote(LectureWorker).options(num_cpus=1).remote(course_factory.fake_build, logging.WARNING,
                                                                  str(out / ".batch.lock"), "our-batch:token")
    cfg = BuildConfig(input=course / "Lecture 1 - Sorting.mp4", out_dir=out / "lecture-1-sorting",
                      cache_dir=tmp_path / "cache", force=True)
    try:
        outcome = ray.get(worker.build.remote(cfg, "lecture-1-sorting"), timeout=120)
    finally:
        ray.kill(worker)
    assert "has stopped; its result is not published" in outcome["error"]
    assert not (out / "lecture-1-sorting").exists()


def test_output_folder_checked_on_every_node(course_factory, cluster, tmp_path):
    """The workers prove OUT is the driver's folder and writable before any lecture starts."""
    from lecture_notes.course.plan import plan_lectures

    course = tmp_path / "course"
    course_factory.make_media_course(course)
    engine = RayEngine()
    engine.workers(5, None)
    out = tmp_path / "out"
    out.mkdir()
    engine.check(out, plan_lectures(course, out))  # shared and writable: passes, leaves nothing behind
    assert list(out.iterdir()) == []
    # A node that sees another folder at OUT's path (no shared mount) fails clearly, without a hang.
    from lecture_notes.course import ray_engine

    check = ray.remote(num_cpus=0)(ray_engine._check_node)
    msg = ray.get(check.remote(str(out), ".lecture-notes-ray-check-x", "token", str(course / "notes.txt")),
                  timeout=60)
    assert "not the folder the batch was started with" in msg and "shared folder" in msg


def test_cli_ray_engine_unwritable_output_and_bad_options(course_factory, cluster, tmp_path):
    from lecture_notes.cli.course import register_commands

    group = click.Group("t")
    register_commands(group)
    course = tmp_path / "course"
    course_factory.make_media_course(course)
    blocker = tmp_path / "file"
    blocker.write_text("x")
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(blocker / "out"), "--engine", "ray", "-q"])
    assert res.exit_code == 1 and "cannot create output folder" in res.output, res.output
    assert str(blocker / "out") in res.output and "-o" in res.output, res.output
    assert res.output.count("\n") == 1 and "Traceback" not in res.output  # one line with the fix, no hang
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(tmp_path / "o"), "--address", "auto"])
    assert res.exit_code == 1 and "only apply to --engine ray" in res.output
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(tmp_path / "o"), "--engine", "ray",
                                     "--num-gpus-per-lecture", "1", "-q"])
    assert res.exit_code == 1 and "no node of the Ray cluster has" in res.output, res.output
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(tmp_path / "o"), "--engine", "ray",
                                     "--device", "cuda", "-q"])  # --device cuda asks each lecture for a GPU
    assert res.exit_code == 1 and "1 GPU(s)" in res.output, res.output
    assert not (tmp_path / "o" / "lecture-1-sorting").exists()


def test_without_ray_installed_the_install_line(tmp_path):
    script = textwrap.dedent(f"""
        import sys
        sys.modules["ray"] = None  # as if Ray were not installed
        from lecture_notes.cli import main
        main(["batch", {str(tmp_path)!r}, "-o", {str(tmp_path / 'o')!r}, "--engine", "ray"])
    """)
    (tmp_path / "a.mp4").write_text("x")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1 and "pip install 'lecture-notes[ray]'" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


def test_real_pipeline_on_ray_models_loaded_once_per_worker(media_factory, course_factory, cluster, tmp_path, monkeypatch):
    """3 real tiny lectures + 1 broken file with one Ray worker: right report; OCR and embedder loaded once."""
    from lecture_notes.cli.course import register_commands

    monkeypatch.setenv("LECTURE_NOTES_CACHE", str(tmp_path / "cache"))
    course, out = tmp_path / "course", tmp_path / "out"
    course_factory.make_real_course(media_factory, course, [
        ("Lecture 1", "slides", "hash table"),
        ("Lecture 2", "slides", "heap"),
        ("Lecture 3 audio", "audio", "trie"),
        ("Lecture 4 broken", "broken", "")])
    engine = RayEngine()
    report = run_batch(course, out, BuildConfig(input=course, cache_dir=tmp_path / "cache"), jobs=1,
                       engine=engine)
    assert _statuses(out) == {"lecture-1": "built", "lecture-2": "built", "lecture-3-audio": "built",
                              "lecture-4-broken": "failed"}
    assert report.count("failed") == 1 and "\n" not in report.lectures[-1].error
    (stats,) = engine.worker_stats
    assert stats["lectures"] == 4
    # Sidecar transcripts: no ASR model. One embedder, loaded once for the 4 lectures: the notes stage's, which
    # the search index stage reuses (its cache already holds the sentences).
    assert stats["loads"] == {"ocr": 1, "embedder": 1}, stats
    assert stats["uses"]["embedder"] == 3 and stats["uses"]["ocr"] == 2  # 3 lectures x notes
    notes = json.loads((out / "lecture-2" / "notes.json").read_text())
    assert notes["schema_version"] == 1 and "heap" in json.dumps(notes).lower()
    assert "lecture-3-audio/notes.html" in (out / "index.html").read_text()
    # the CLI on the same folder: nothing to rebuild, the broken file reported, exit code 1
    group = click.Group("t")
    register_commands(group)
    res = CliRunner().invoke(group, ["batch", str(course), "-o", str(out), "--engine", "ray"])
    assert res.exit_code == 1, res.output
    assert "0 built, 3 up to date, 1 failed" in res.output and "Lecture 4 broken.mp4" in res.output


def _can_unshare_mounts() -> bool:
    import shutil

    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            "mount -t tmpfs tmpfs /mnt 2>/dev/null || mount -t tmpfs tmpfs /tmp"],
                           capture_output=True)
    return probe.returncode == 0


@pytest.mark.skipif(not _can_unshare_mounts(), reason="needs root and mount namespaces (unshare) to give the second "
                                                      "Ray node its own view of OUT")
def test_node_without_the_shared_folder_fails_clearly(course_factory, cluster, tmp_path):
    """A second Ray node (a `ray start --address` process in its own mount namespace) sees an empty folder
    where the driver's OUT is, as a node without the shared mount does: the batch stops with one clear line
    naming the problem before any lecture is written, without hanging. Runs last: it adds a node."""
    course, shared = tmp_path / "course", tmp_path / "nfs"
    course_factory.make_media_course(course)
    shared.mkdir()
    out = shared / "out"
    from ray._private.utils import get_ray_address_file

    current = Path(get_ray_address_file(None))  # `ray start` records its cluster there for --address auto
    saved = current.read_bytes() if current.exists() else None
    start = [sys.executable, "-m", "ray.scripts.scripts", "start", f"--address={cluster}", "--num-cpus=1",
             "--block", "--disable-usage-stats"]
    node = subprocess.Popen(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                             'mount -t tmpfs tmpfs "$0" && exec "$@"', str(shared), *start],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while sum(n["Alive"] for n in ray.nodes()) < 2 and time.monotonic() < deadline and node.poll() is None:
            time.sleep(0.5)
        assert sum(n["Alive"] for n in ray.nodes()) == 2, node.stderr.read().decode()[-2000:] if node.poll() else ""
        t0 = time.monotonic()
        with pytest.raises(OutputError) as e:
            run_batch(course, out, _config(tmp_path), build_fn=course_factory.fake_build,
                      engine=RayEngine(num_cpus_per_lecture=1, check_timeout=60))
        assert time.monotonic() - t0 < 60
        msg = str(e.value)
        assert "is not the folder the batch was started with" in msg and "shared folder" in msg and "\n" not in msg
        assert sorted(p.name for p in out.iterdir()) == [".batch.lock"], "no lecture, no report, no check file"
    finally:
        os.killpg(node.pid, signal.SIGTERM)
        try:
            node.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(node.pid, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while sum(n["Alive"] for n in ray.nodes()) > 1 and time.monotonic() < deadline:
            time.sleep(0.5)
        if saved is None:
            current.unlink(missing_ok=True)
        else:
            current.write_bytes(saved)
