"""Build every lecture of a course folder, in parallel worker processes, resumably.

Each media file under COURSE_DIR (natural order, hidden and temporary files skipped) is built with
the same options into ``OUT_DIR/<slug>/``. The pipeline writes each lecture folder atomically with a
``.lecture-notes.json`` manifest written last, so a folder either is complete or does not exist.
A lecture is skipped when its manifest lists files that all exist, its input is unchanged (size and
mtime as recorded in ``batch.json``, else sha256) and its output-affecting options are unchanged.

Parallelism: one worker process per job (spawn, so no fork-after-threads surprises). Each worker
loads its own models (~1.5 GB) and runs ASR with ``cores // jobs`` threads. On a 2-core laptop one
worker with 2 ASR threads beats two single-threaded workers (no memory pressure, same throughput),
so the default is ``min(cores // 2, available memory // 1.5 GB, lectures)``, at least 1.
"""
from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import queue as queue_mod
import signal
import time
import uuid
from collections import Counter, deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from lecture_notes.core.config import MEDIA_EXTS, BuildConfig
from lecture_notes.core.errors import InputError, LectureNotesError, OutputError
from lecture_notes.core.fsutil import write_atomic

log = logging.getLogger(__name__)

from lecture_notes.course.plan import (LOCK, REPORT, BatchEvent, BatchProgress, BatchReport, LectureJob, LectureResult,
                                         default_jobs, is_batch_output, plan_lectures, read_manifest, up_to_date)


# ---- worker side -------------------------------------------------------------------------------

_QUEUE = None


def _init_worker(q, level: int, parent_pid: Optional[int] = None, lock_path: Optional[str] = None,
                 token: str = "") -> None:
    global _QUEUE
    _QUEUE = q
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's to handle: it stops the workers
    if parent_pid is not None:
        from lecture_notes.course.workers import die_with_parent, publish_guard
        from lecture_notes.runtime.output import set_publish_guard

        die_with_parent(parent_pid)
        if lock_path:
            set_publish_guard(publish_guard(parent_pid, Path(lock_path), token))


def _run_one(build_fn: Callable, config: BuildConfig, slug: str) -> Dict[str, Any]:
    """Build one lecture in a worker; errors come back as data (one line) so they always pickle."""
    last = {"stage": None, "pct": -1}

    def progress(stage: str, done: float, total: float) -> None:
        pct = int(100 * done / total) if total else 100
        if _QUEUE is not None and (stage != last["stage"] or pct != last["pct"]):
            last.update(stage=stage, pct=pct)
            try:
                _QUEUE.put_nowait((slug, stage, float(done), float(total)))
            except Exception:  # progress is best-effort
                pass

    t0 = time.perf_counter()
    try:
        result = build_fn(config, progress=progress)
    except LectureNotesError as e:
        return {"error": _one_line(str(e)) or type(e).__name__, "elapsed": time.perf_counter() - t0}
    except Exception as e:  # noqa: BLE001 - one bad file must never stop the batch
        logging.getLogger(__name__).debug("build of %s failed", slug, exc_info=True)
        return {"error": _one_line(f"{type(e).__name__}: {e}"), "elapsed": time.perf_counter() - t0}
    return {"timings": dict(getattr(result, "timings", {}) or {}),
            "cache_hits": dict(getattr(result, "cache_hits", {}) or {}), "elapsed": time.perf_counter() - t0}


def _one_line(text: str) -> str:
    return next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")


# ---- main side ---------------------------------------------------------------------------------


def _default_build_fn() -> Callable:
    from lecture_notes.runtime.pipeline import build_notes

    return build_notes


class _Lock:
    """An exclusive lock on OUT_DIR so two batches never clean each other's temp folders."""

    def __init__(self, out_dir: Path):
        self.path = out_dir / LOCK
        self.fh = None
        self.token = f"{os.getpid()}:{uuid.uuid4().hex}"

    def __enter__(self):
        try:
            self.fh = open(self.path, "a+")
        except OSError as e:
            raise OutputError(f"cannot write to output folder {self.path.parent} ({e.strerror or e}); choose a "
                              f"writable -o") from None
        try:
            import fcntl

            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # Windows: no advisory locks; run one batch per folder
            pass
        except OSError:
            self.fh.close()
            raise OutputError(f"another lecture-notes batch is writing to {self.path.parent}; wait for it "
                              f"to finish or choose another -o folder") from None
        # The owner token tells this batch's workers that the lock is still their batch's.
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(self.token)
        self.fh.flush()
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()


def _write_report(report: BatchReport) -> None:
    write_atomic(report.out_dir / REPORT, json.dumps(report.to_dict(), indent=1))


def _previous_entries(out_dir: Path) -> Dict[str, dict]:
    try:
        data = json.loads((out_dir / REPORT).read_text(encoding="utf-8"))
        return {e["slug"]: e for e in data.get("lectures", []) if isinstance(e, dict) and "slug" in e}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _clean_stale(out_dir: Path) -> None:
    """Remove temp folders left by killed runs (safe: we hold the folder lock)."""
    from lecture_notes.runtime.output import clean_stale

    clean_stale(out_dir, max_age_s=0.0)


class LocalEngine:
    """Runs lectures in worker processes on this machine (the default engine).

    An engine decides how many lectures run at once (``workers``) and with how many ASR threads each
    (``threads``), may check the output folder (``check``), and runs ``_run_one`` for each lecture, handing
    every outcome to ``finish(job, outcome)``; planning, skipping and publishing stay in ``run_batch``, so
    every engine has the same semantics. ``course/ray_engine.py`` is the cluster engine.
    """

    name = "local"
    lock: Optional[_Lock] = None  # the batch's lock: workers check it is still held before publishing

    def workers(self, n_lectures: int, jobs: Optional[int]) -> int:
        return max(1, int(jobs)) if jobs else default_jobs(n_lectures)

    def threads(self, n_jobs: int) -> int:
        return max(1, (os.cpu_count() or 1) // n_jobs)

    def check(self, out_dir: Path, todo: List[LectureJob]) -> None:
        """Nothing to check: this machine created ``out_dir``."""

    def run(self, todo: List[LectureJob], configs: Dict[str, BuildConfig], build_fn: Callable, n_jobs: int,
            emit: BatchProgress, finish: Callable[[LectureJob, Dict[str, Any]], None]) -> None:
        _run_pool(todo, configs, build_fn, n_jobs, emit, finish, self.lock)

    def close(self) -> None:
        """Nothing to release."""


def run_batch(course_dir: Path, out_dir: Path, base_config: BuildConfig, *, jobs: Optional[int] = None,
              build_fn: Optional[Callable] = None, progress: Optional[BatchProgress] = None,
              engine: Any = None) -> BatchReport:
    """Build every lecture under ``course_dir`` into ``out_dir``; write ``batch.json`` and the course index.

    ``base_config`` supplies every option except input/out_dir; ``base_config.force`` rebuilds
    up-to-date lectures too. ``build_fn(config, progress=...)`` defaults to ``pipeline.build_notes``
    and must be a top-level (picklable) function. ``engine`` is a :class:`LocalEngine` (default) or a
    ``ray_engine.RayEngine``; ``jobs`` is the number of its workers. Never raises for a bad lecture: see
    the report.
    """
    t_start = time.perf_counter()
    course_dir, out_dir = Path(course_dir), Path(out_dir)
    emit = progress or (lambda ev: None)
    base = base_config.validated()
    if "json" not in base.formats:  # the course index and the exports read notes.json
        base = replace(base, formats=base.formats + ("json",))
    lectures = plan_lectures(course_dir, out_dir)
    if not lectures:
        raise InputError(f"no lecture files found in {course_dir}; expected {', '.join(MEDIA_EXTS[:6])}, "
                         f"... or .vtt/.srt files")
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"output path {out_dir} is a file; choose a folder with -o")
    if not is_batch_output(out_dir):
        raise OutputError(f"output folder {out_dir} already exists and holds other files; choose an empty or "
                          f"new folder with -o (batch writes index.html, batch.json and one folder per lecture)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create output folder {out_dir} ({e.strerror or e}); choose a writable -o") from e
    engine = engine if engine is not None else LocalEngine()
    try:
        return _run_with(engine, course_dir, out_dir, base, lectures, jobs, build_fn, emit, t_start)
    finally:
        engine.close()


def _run_with(engine: Any, course_dir: Path, out_dir: Path, base: BuildConfig, lectures: List[LectureJob],
              jobs: Optional[int], build_fn: Optional[Callable], emit: BatchProgress, t_start: float) -> BatchReport:
    n_jobs = engine.workers(len(lectures), jobs)
    threads = base.cpu_threads or engine.threads(n_jobs)
    build_fn = build_fn or _default_build_fn()
    report = BatchReport(course_dir, out_dir, n_jobs, [LectureResult(j.rel, j.slug) for j in lectures])
    by_slug = {r.slug: r for r in report.lectures}
    emit(BatchEvent("plan", total=len(lectures)))
    with _Lock(out_dir) as lock:
        _clean_stale(out_dir)
        previous = _previous_entries(out_dir)
        configs: Dict[str, BuildConfig] = {}
        todo: List[LectureJob] = []
        for job in lectures:
            res = by_slug[job.slug]
            cfg = replace(base, input=job.source, out_dir=out_dir / job.slug, force=True, cpu_threads=threads)
            try:
                st = job.source.stat()
                res.size, res.mtime_ns = st.st_size, st.st_mtime_ns
                skip, sha = (False, "") if base.force else up_to_date(job, out_dir / job.slug, cfg,
                                                                      previous.get(job.slug))
            except OSError as e:
                res.status, res.error = "failed", f"cannot read {job.rel} ({e.strerror or e}); check the file"
                emit(BatchEvent("done", lecture=job.slug, result=res))
                continue
            res.sha256 = sha
            if skip:
                res.status = "skipped"
                m = read_manifest(out_dir / job.slug) or {}
                res.timings, res.cache_hits = m.get("timings") or {}, m.get("cache_hits") or {}
                emit(BatchEvent("done", lecture=job.slug, result=res))
            else:
                configs[job.slug] = cfg
                todo.append(job)
        if todo:
            engine.check(out_dir, todo)
        _write_report(report)
        if todo:
            log.info("building %d of %d lectures with %d %s worker(s), %d ASR thread(s) each",
                     len(todo), len(lectures), n_jobs, engine.name, threads)

            def finish(job: LectureJob, outcome: Dict[str, Any]) -> None:
                res = by_slug[job.slug]
                _finish(res, outcome, configs[job.slug])
                if res.status == "failed":
                    log.warning("%s failed: %s", job.rel, res.error)
                _write_report(report)
                emit(BatchEvent("done", lecture=job.slug, result=res))

            if hasattr(engine, "lock"):
                engine.lock = lock  # its workers check it before they publish
            engine.run(todo, configs, build_fn, n_jobs, emit, finish)
            _clean_stale(out_dir)  # staging folders of workers that died mid-lecture (retried or failed)
        report.elapsed = time.perf_counter() - t_start
        _write_report(report)
        from lecture_notes.course.course_index import finish_course

        finish_course(out_dir, report)
    return report


def _finish(res: LectureResult, outcome: Dict[str, Any], cfg: BuildConfig) -> None:
    res.elapsed = round(float(outcome.get("elapsed", 0.0)), 3)
    if outcome.get("error"):
        res.status, res.error = "failed", outcome["error"]
        return
    res.status, res.error = "built", ""
    res.timings = {k: round(float(v), 3) for k, v in (outcome.get("timings") or {}).items()}
    res.cache_hits = {k: bool(v) for k, v in (outcome.get("cache_hits") or {}).items()}
    m = read_manifest(Path(cfg.output_dir))
    if m is None:
        res.status, res.error = "failed", "the build finished without a complete output folder; run it again with -v"
    else:
        res.sha256 = m.get("sha256") or res.sha256


def _run_pool(todo: List[LectureJob], configs: Dict[str, BuildConfig], build_fn: Callable, n_jobs: int,
              emit: BatchProgress, finish: Callable[[LectureJob, Dict[str, Any]], None],
              lock: Optional[_Lock] = None) -> None:
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    pending = deque(todo)
    crashes: Counter = Counter()

    def drain() -> None:
        while True:
            try:
                slug, stage, done, total = q.get_nowait()
            except (queue_mod.Empty, OSError, EOFError, ValueError):
                return
            emit(BatchEvent("stage", lecture=slug, stage=stage, done=done, stage_total=total))

    while pending:
        inflight: Dict[Any, LectureJob] = {}
        pool = ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx, initializer=_init_worker,
                                   initargs=(q, logging.getLogger().getEffectiveLevel(), os.getpid(),
                                             str(lock.path) if lock else None, lock.token if lock else ""))
        broken = False
        try:
            while (pending or inflight) and not broken:
                while pending and len(inflight) < n_jobs:
                    job = pending.popleft()
                    inflight[pool.submit(_run_one, build_fn, configs[job.slug], job.slug)] = job
                    emit(BatchEvent("start", lecture=job.slug))
                done, _ = wait(list(inflight), timeout=0.2, return_when=FIRST_COMPLETED)
                drain()
                for fut in done:
                    try:
                        outcome = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        continue
                    except Exception as e:  # noqa: BLE001 - e.g. an unpicklable result
                        outcome = {"error": _one_line(f"{type(e).__name__}: {e}")}
                    finish(inflight.pop(fut), outcome)
        except KeyboardInterrupt:
            # Stop at once: the workers' unfinished lectures are only temporary folders (cleaned next run).
            from lecture_notes.course.workers import kill_workers

            kill_workers(pool)
            broken = True
            raise
        finally:
            drain()
            pool.shutdown(wait=not broken, cancel_futures=True)
        if broken:
            # A worker died (killed, out of memory, native crash). With one lecture in flight it is the
            # culprit; with several, each gets one more try and fails on its second crash.
            victims = list(inflight.values())
            for job in victims:
                crashes[job.slug] += 1
                if len(victims) == 1 or crashes[job.slug] >= 2:
                    finish(job, {"error": "the worker process died while building it (killed, out of memory or "
                                          "crashed); try it alone with lecture-notes build -v"})
                else:
                    pending.appendleft(job)
