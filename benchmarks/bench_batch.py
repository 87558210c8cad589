#!/usr/bin/env python3
"""Batch engines compared: the same course with the local engine (-j 1, -j 2) and Ray (1 and 2 workers).

    python benchmarks/bench_batch.py [--lectures 4] [--seconds S] [--input samples/lecture.mp4] [--keep DIR]

The course is ``--lectures`` copies of the sample lecture (real speech, slides; the stage cache is off so
every copy is really built), cut to its first ``--seconds`` (stream copy) when given. Each configuration runs in its own driver process, which samples /proc for all
its descendant processes (workers, and for Ray its raylet/GCS daemons too). Printed per configuration: wall
time of the batch (Ray: without starting the Ray instance, printed apart, since a cluster is started once),
CPU seconds of the whole process tree, CPU use (CPU s / wall s), and peak RSS of each worker. Then the
Ray/local wall-time ratio at the same parallelism (target <= 1.10), and a projection for 10,000 lecture hours
from the measured CPU seconds per lecture hour. Pairs run back to back (local -j1, Ray 1, local -j2, Ray 2) so
load from other processes on a shared machine hits both sides of a ratio alike.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_RUN = r"""
import json, os, sys, threading, time
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
ME = os.getpid()
seen = {}  # pid -> {"cpu": s, "hwm": MB, "cmd": str}

def sample():
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = open(f"/proc/{d}/stat").read()
            fields = stat[stat.rindex(")") + 2:].split()
            kids[int(d)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK)
        except (OSError, ValueError):
            pass
    tree, changed = {ME}, True
    while changed:
        changed = False
        for pid, (ppid, _) in kids.items():
            if ppid in tree and pid not in tree:
                tree.add(pid); changed = True
    for pid in tree - {ME}:
        try:
            hwm = next(int(l.split()[1]) / 1024 for l in open(f"/proc/{pid}/status") if l.startswith("VmHWM"))
            cmd = open(f"/proc/{pid}/cmdline").read().replace("\0", " ")[:120]
        except (OSError, StopIteration):
            continue
        s = seen.setdefault(pid, {"cpu": 0.0, "hwm": 0.0, "cmd": cmd})
        s["cpu"], s["hwm"] = max(s["cpu"], kids[pid][1]), max(s["hwm"], hwm)

stop = threading.Event()
def sampler():
    while not stop.is_set():
        sample(); stop.wait(0.25)

engine_name, jobs, course, out, cache = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), Path(sys.argv[5])
from lecture_notes.core.config import BuildConfig
from lecture_notes.course.batch import run_batch
threading.Thread(target=sampler, daemon=True).start()
init_s, engine = 0.0, None
if engine_name == "ray":
    import logging, ray
    from lecture_notes.course.ray_engine import RayEngine
    t0 = time.perf_counter()
    ray.init(num_cpus=os.cpu_count(), include_dashboard=False, logging_level=logging.ERROR, log_to_driver=False)
    init_s = time.perf_counter() - t0
    engine = RayEngine()
self0 = os.times()
t0 = time.perf_counter()
report = run_batch(course, out, BuildConfig(input=course, cache_dir=cache, use_cache=False), jobs=jobs, engine=engine)
wall = time.perf_counter() - t0
sample()
stop.set()
me = os.times()
if engine is not None:
    workers = [{"pid": s["pid"], "cpu_s": s["cpu_s"], "peak_rss_mb": s["peak_rss_mb"], "lectures": s["lectures"],
                "loads": s["loads"]} for s in engine.worker_stats]
    ray.shutdown()
else:
    workers = [{"pid": p, "cpu_s": round(s["cpu"], 2), "peak_rss_mb": round(s["hwm"], 1)}
               for p, s in seen.items() if "spawn_main" in s["cmd"]]
cpu = (me.user - self0.user) + (me.system - self0.system) + sum(s["cpu"] for s in seen.values())
print(json.dumps({"wall": wall, "init_s": init_s, "cpu_s": cpu, "workers": workers,
                  "built": report.count("built"), "failed": report.count("failed"),
                  "lecture_s": [r.elapsed for r in report.lectures]}))
"""


def trim(src: Path, dest: Path, seconds: float) -> None:
    """Copy the first ``seconds`` of ``src`` (video and audio packets, no re-encoding)."""
    import av

    with av.open(str(src)) as inp, av.open(str(dest), "w") as out:
        streams = {s.index: out.add_stream_from_template(s) for s in inp.streams if s.type in ("video", "audio")}
        for pkt in inp.demux(*[inp.streams[i] for i in streams]):
            if pkt.dts is None or pkt.pts is None:
                continue
            if float(pkt.pts * pkt.time_base) >= seconds:
                continue
            pkt.stream = streams[pkt.stream.index]
            out.mux(pkt)


def run_config(engine: str, jobs: int, course: Path, work: Path) -> dict:
    out = work / f"out-{engine}-{jobs}"
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, "-c", _RUN, engine, str(jobs), str(course), str(out), str(work / "cache")],
                          capture_output=True, text=True, cwd=ROOT,
                          env=dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1"))
    if proc.returncode != 0:
        raise SystemExit(f"{engine} -j {jobs} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lectures", type=int, default=4)
    ap.add_argument("--input", type=Path, default=ROOT / "samples" / "lecture.mp4")
    ap.add_argument("--seconds", type=float, default=None, help="Cut each lecture to its first SECONDS.")
    ap.add_argument("--keep", type=Path, default=None, help="Work folder to keep (default: a temporary one).")
    args = ap.parse_args()
    try:
        import ray  # noqa: F401
    except ImportError:
        print("needs Ray: pip install 'lecture-notes[ray]'", file=sys.stderr)
        return 2
    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-batch-"))
    course = work / "course"
    course.mkdir(parents=True, exist_ok=True)
    for i in range(1, args.lectures + 1):
        dest = course / f"Lecture {i}{args.input.suffix}"
        if not dest.exists():
            if args.seconds:
                trim(args.input, dest, args.seconds)
            else:
                shutil.copyfile(args.input, dest)
    from lecture_notes.stages.media import probe

    hours = probe(course / f"Lecture 1{args.input.suffix}").duration * args.lectures / 3600
    print(f"course: {args.lectures} x {args.input.name} = {hours * 60:.1f} min of lecture; {os.cpu_count()} CPU cores; "
          f"load average before: {os.getloadavg()[0]:.1f}")
    results = {}
    print(f"{'engine':<10} {'workers':>7} {'wall s':>8} {'ray init s':>10} {'CPU s':>8} {'CPU use':>8}  "
          f"peak RSS per worker (MB)")
    for jobs in (1, 2):
        for engine in ("local", "ray"):
            r = results[(engine, jobs)] = run_config(engine, jobs, course, work)
            assert r["built"] == args.lectures, r
            rss = ", ".join(f"{w['peak_rss_mb']:.0f}" for w in r["workers"])
            print(f"{engine:<10} {jobs:>7} {r['wall']:>8.1f} {r['init_s']:>10.1f} {r['cpu_s']:>8.1f} "
                  f"{r['cpu_s'] / r['wall']:>8.2f}  {rss}", flush=True)
    for jobs in (1, 2):
        lo, ra = results[("local", jobs)], results[("ray", jobs)]
        ratio = ra["wall"] / lo["wall"]
        print(f"parallelism {jobs}: Ray/local wall {ratio:.2f} (target <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'}); "
              f"with the Ray start {(ra['wall'] + ra['init_s']) / lo['wall']:.2f}; CPU Ray/local "
              f"{ra['cpu_s'] / lo['cpu_s']:.2f}")
    best = results[("local", 1)]
    cpu_per_hour = best["cpu_s"] / hours
    print(f"measured: {cpu_per_hour:.0f} CPU s per lecture hour (local -j1: {best['cpu_s']:.0f} CPU s for "
          f"{hours * 60:.1f} min), peak RSS per worker {max(w['peak_rss_mb'] for w in best['workers']):.0f} MB")
    total_cpu_h = 10_000 * cpu_per_hour / 3600
    print(f"projection, 10,000 lecture hours: {total_cpu_h:,.0f} CPU hours")
    for nodes, cores in ((1, 16), (10, 16), (50, 16)):
        print(f"  {nodes:>3} node(s) x {cores} cores (2 per lecture, {nodes * cores // 2} workers): "
              f"{total_cpu_h / (nodes * cores):,.1f} h")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
