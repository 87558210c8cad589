"""The Ray engine of ``lecture-notes batch --engine ray``: lectures built by a pool of Ray actors.

Each actor is a long-lived worker process that declares the resources of one lecture (``num_cpus``,
``num_gpus``), keeps its models loaded (``runtime.model_pool``) and builds one lecture at a time with the same
per-lecture function as the local engine (``batch._run_one``). Planning, skipping unchanged lectures,
publishing results, the report and the course index stay in ``batch.run_batch``, so both engines behave the
same. A lecture is written into a hidden staging folder inside OUT and renamed into place when complete, so a
worker killed mid-lecture leaves nothing half-written; Ray restarts the actor and retries the lecture
(``max_retries``). OUT must be the same shared folder on every node: :meth:`RayEngine.check` proves it
before any lecture starts.
"""
from __future__ import annotations

import logging
import os
import resource
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

from lecture_notes.core.errors import ConfigError, OutputError

log = logging.getLogger(__name__)

INSTALL_HINT = "pip install 'lecture-notes[ray]'"
DEFAULT_CPUS_PER_LECTURE = 2  # ASR threads per lecture: 2 beat 1 on every machine we measured
_CHECK_FILE = ".lecture-notes-ray-check-"


def import_ray():
    """The ``ray`` module, or a one-line error with the install command."""
    try:
        import ray
    except ImportError:
        raise ConfigError(f"--engine ray needs Ray, which is not installed; install it with {INSTALL_HINT}") from None
    return ray


def _one_line(text: Any) -> str:
    return next((ln.strip() for ln in str(text).splitlines() if ln.strip()), "")


class LectureWorker:
    """Ray actor body: one worker process that builds lectures one at a time with its models kept loaded."""

    def __init__(self, build_fn: Callable, log_level: int, lock_path: str = "", token: str = "") -> None:
        from lecture_notes.runtime.model_pool import ModelPool

        logging.basicConfig(level=log_level, format="%(levelname)s %(name)s: %(message)s")
        if lock_path:  # publish only while the batch that started this worker still holds OUT's lock
            from lecture_notes.course.workers import batch_holds_lock
            from lecture_notes.runtime.output import set_publish_guard

            def guard() -> None:
                if not batch_holds_lock(Path(lock_path), token):
                    raise OutputError("the batch that started this build has stopped; its result is not published")

            set_publish_guard(guard)
        self.build_fn = build_fn
        self.pool = ModelPool()
        self.lectures = 0
        self.started = time.time()

    def build(self, config: Any, slug: str) -> Dict[str, Any]:
        """Build one lecture (errors come back as data, exactly as in the local engine)."""
        from lecture_notes.course.batch import _run_one
        from lecture_notes.runtime.model_pool import activated

        with activated(self.pool):
            outcome = _run_one(self.build_fn, config, slug)
        self.lectures += 1
        return outcome

    def stats(self) -> Dict[str, Any]:
        """Process facts for the benchmark and the log: pid, node, models loaded, CPU time, peak RSS."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        return {"pid": os.getpid(), "host": os.uname().nodename, "lectures": self.lectures,
                "cpu_s": round(usage.ru_utime + usage.ru_stime, 3), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "wall_s": round(time.time() - self.started, 3), **self.pool.stats()}


def _check_node(out_dir: str, token_name: str, token: str, sample_input: str) -> str:
    """Runs on one node: '' if OUT is the driver's shared folder, writable, and the inputs readable."""
    host = os.uname().nodename
    out = Path(out_dir)
    try:
        seen = (out / token_name).read_text(encoding="utf-8")
    except OSError:
        seen = None
    if seen != token:
        return (f"output folder {out_dir} on node {host} is not the folder the batch was started with; OUT must be "
                f"a shared folder (NFS, CephFS, ...) mounted at the same path on every Ray node")
    probe = out / f"{token_name}.{host}.{os.getpid()}"
    try:
        probe.write_text("ok", encoding="utf-8")
        probe.unlink()
    except OSError as e:
        return (f"a Ray worker on node {host} cannot write to the output folder {out_dir} ({e.strerror or e}); "
                f"make it writable for the user the Ray workers run as")
    if not os.access(sample_input, os.R_OK):
        return (f"a Ray worker on node {host} cannot read {sample_input}; the course folder must be shared with "
                f"every Ray node at the same path")
    return ""


class RayEngine:
    """Runs ``batch`` on a Ray cluster (``address="auto"`` joins a running one; ``None`` starts a local one)."""

    name = "ray"
    lock: Any = None  # the batch's lock on OUT (set by run_batch): workers check it before they publish

    def __init__(self, address: Optional[str] = None, *, num_cpus_per_lecture: Optional[float] = None,
                 num_gpus_per_lecture: Optional[float] = None, max_retries: int = 2, log_to_driver: bool = False,
                 check_timeout: float = 120.0) -> None:
        self.ray = import_ray()
        self.address = address
        self.cpus = num_cpus_per_lecture
        self.gpus = num_gpus_per_lecture or 0
        self.max_retries = int(max_retries)
        self.log_to_driver = log_to_driver
        self.check_timeout = check_timeout
        self.worker_stats: List[Dict[str, Any]] = []
        self._started = False
        self._nodes: List[Dict[str, Any]] = []

    # ---- cluster ---------------------------------------------------------------------------------

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        try:
            ray.init(address=self.address or "local", log_to_driver=self.log_to_driver, include_dashboard=False,
                     logging_level=logging.INFO if self.log_to_driver else logging.ERROR)
        except (ConnectionError, RuntimeError, ValueError) as e:
            where = f"at {self.address}" if self.address else "on this machine"
            raise ConfigError(f"cannot start or join a Ray cluster {where} ({_one_line(e)}); start one with "
                              f"`ray start --head`, or leave out --address to start a local one") from None
        self._started = True

    def workers(self, n_lectures: int, jobs: Optional[int]) -> int:
        """Actors to start: ``jobs`` if given, else as many lectures as the cluster's resources hold."""
        self._connect()
        nodes = [n for n in self.ray.nodes() if n.get("Alive")]
        biggest = max((n["Resources"].get("CPU", 0) for n in nodes), default=0)
        total = sum(n["Resources"].get("CPU", 0) for n in nodes)
        if self.cpus is None:
            want = total // jobs if jobs else DEFAULT_CPUS_PER_LECTURE
            self.cpus = max(1, min(want, biggest) if biggest else 1)

        def fits(res: Dict[str, float]) -> int:
            n = int(res.get("CPU", 0) // self.cpus) if self.cpus else n_lectures
            if self.gpus:
                n = min(n, int(res.get("GPU", 0) // self.gpus))
            return n

        self._nodes = [n for n in nodes if fits(n["Resources"]) > 0]
        fit = sum(fits(n["Resources"]) for n in self._nodes)
        if fit == 0:
            raise ConfigError(f"no node of the Ray cluster has {self.cpus:g} CPU(s) and {self.gpus:g} GPU(s) free for a "
                              f"lecture; lower --num-cpus-per-lecture/--num-gpus-per-lecture or add such a node")
        if jobs and jobs > fit:  # an actor that never fits would hold its lecture forever
            log.warning("-j %d asks for more workers than the cluster's free resources hold; using %d", jobs, fit)
        return max(1, min(jobs or fit, fit, n_lectures))

    def threads(self, n_jobs: int) -> int:
        return max(1, int(self.cpus or 1))

    def check(self, out_dir: Path, todo: List[Any]) -> None:
        """Prove on every node that can run a lecture that OUT is the shared folder and writable."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

        ray = self.ray
        token_name, token = f"{_CHECK_FILE}{uuid.uuid4().hex}", uuid.uuid4().hex
        token_path = Path(out_dir) / token_name
        token_path.write_text(token, encoding="utf-8")
        check = ray.remote(num_cpus=0, max_retries=0)(_check_node)
        try:
            refs = [check.options(scheduling_strategy=NodeAffinitySchedulingStrategy(n["NodeID"], soft=False))
                    .remote(str(Path(out_dir).resolve()), token_name, token, str(todo[0].source)) for n in self._nodes]
            try:
                errors = [e for e in ray.get(refs, timeout=self.check_timeout) if e]
            except ray.exceptions.GetTimeoutError:
                raise OutputError(f"the Ray workers did not confirm within {self.check_timeout:.0f}s that they can "
                                  f"write {out_dir}; check `ray status` and that OUT is a shared folder") from None
            except ray.exceptions.RayError as e:
                raise OutputError(f"a Ray worker could not check the output folder {out_dir}: {_one_line(e)}") from None
        finally:
            token_path.unlink(missing_ok=True)
        if errors:
            raise OutputError(errors[0])

    # ---- lectures --------------------------------------------------------------------------------

    def run(self, todo: List[Any], configs: Dict[str, Any], build_fn: Callable, n_jobs: int, emit: Callable,
            finish: Callable[[Any, Dict[str, Any]], None]) -> None:
        """Build ``todo`` on a pool of ``n_jobs`` actors; ``finish(job, outcome)`` as each one ends."""
        from lecture_notes.course.plan import BatchEvent

        ray = self.ray
        worker_cls = ray.remote(LectureWorker).options(
            num_cpus=self.cpus, num_gpus=self.gpus, max_restarts=self.max_retries,
            max_task_retries=self.max_retries)
        level = logging.getLogger().getEffectiveLevel()

        lock_path, token = (str(self.lock.path), self.lock.token) if self.lock is not None else ("", "")

        def new_actor():
            return worker_cls.remote(build_fn, level, lock_path, token)

        actors = [new_actor() for _ in range(min(n_jobs, len(todo)))]
        idle = list(actors)
        pending = deque(todo)
        inflight: Dict[Any, Any] = {}
        try:
            while pending or inflight:
                while pending and idle:
                    actor, job = idle.pop(), pending.popleft()
                    inflight[actor.build.remote(configs[job.slug], job.slug)] = (job, actor)
                    emit(BatchEvent("start", lecture=job.slug))
                ready, _ = ray.wait(list(inflight), num_returns=1, timeout=0.5)
                for ref in ready:
                    job, actor = inflight.pop(ref)
                    try:
                        outcome = ray.get(ref)
                    except ray.exceptions.RayActorError:
                        outcome = {"error": f"the Ray worker died {self.max_retries + 1} times while building it "
                                            f"(killed, out of memory or a lost node); try it alone with "
                                            f"lecture-notes build -v"}
                        actors.remove(actor)
                        actor = new_actor()
                        actors.append(actor)
                    except ray.exceptions.RayError as e:  # e.g. an unpicklable result
                        outcome = {"error": _one_line(e)}
                    idle.append(actor)
                    finish(job, outcome)
            self.worker_stats = self._stats(actors)
            for s in self.worker_stats:
                log.info("ray worker %s on %s: %d lecture(s), %.1f CPU s, peak RSS %.0f MB, models loaded %s",
                         s["pid"], s["host"], s["lectures"], s["cpu_s"], s["peak_rss_mb"], s["loads"])
        except KeyboardInterrupt:
            self._cancel(list(inflight), actors, Path(configs[todo[0].slug].output_dir).parent)
            raise
        finally:
            for actor in actors:
                ray.kill(actor, no_restart=True)

    def _stats(self, actors: List[Any]) -> List[Dict[str, Any]]:
        try:
            return self.ray.get([a.stats.remote() for a in actors], timeout=30)
        except self.ray.exceptions.RayError as e:
            log.debug("worker stats unavailable: %s", e)
            return []

    def _cancel(self, refs: List[Any], actors: List[Any], out_dir: Path) -> None:
        """Ctrl-C: cancel queued and running lectures, stop the workers, then remove their staging folders
        (finished lectures stay; an unfinished one never appears)."""
        from lecture_notes.runtime.output import clean_stale

        ray = self.ray
        log.warning("interrupted: cancelling %d running lecture(s)", len(refs))
        for ref in refs:
            try:
                ray.cancel(ref)
            except Exception as e:  # noqa: BLE001 - best effort, the actors are killed next
                log.debug("cancel failed: %s", e)
        for actor in actors:
            ray.kill(actor, no_restart=True)
        deadline = time.monotonic() + 10
        for actor in actors:  # wait until each worker process is gone before cleaning up after it
            try:
                ray.get(actor.stats.remote(), timeout=max(0.1, deadline - time.monotonic()))
            except Exception:  # noqa: BLE001 - RayActorError once it is dead, or a timeout
                pass
        clean_stale(out_dir, max_age_s=0.0)

    def close(self) -> None:
        """Stop the local Ray instance if this engine started it (a joined cluster keeps running)."""
        if self._started and self.ray.is_initialized():
            self.ray.shutdown()
        self._started = False
