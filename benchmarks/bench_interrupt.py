#!/usr/bin/env python3
"""How fast `lecture-notes build` (or `batch`) answers Ctrl-C (target: under 1 s, exit status 130, nothing written).

    python benchmarks/bench_interrupt.py [--input samples/lecture.mp4] [--delays 3,6,10,15] [--batch]

``--batch`` interrupts `lecture-notes batch COURSE -o OUT -j 2` on a course of two copies of INPUT instead
(worker processes, each loading its models and building a lecture); "left behind" then lists lecture folders.

For each delay, starts a real build of INPUT (cold cache, so model loading, slide detection, OCR and speech
recognition really run, with slides in the background thread), sends SIGINT after DELAY seconds, and prints
the time from the signal to the process exit, the exit status, and whether anything was left behind.
The delays fall in different stages, so the figure covers a model loading in C code, the slides thread
decoding and the transcriber running.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def one(input_path: Path, delay: float, batch: bool = False) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-interrupt-") as work:
        out = Path(work) / "notes"
        env = dict(os.environ, LECTURE_NOTES_CACHE=str(Path(work) / "cache"), HF_HUB_OFFLINE="1")
        cmd = [sys.executable, "-m", "lecture_notes", "build", str(input_path), "-o", str(out)]
        if batch:
            course = Path(work) / "course"
            course.mkdir()
            for i in (1, 2):
                os.symlink(input_path.resolve(), course / f"lecture {i}{input_path.suffix}")
            cmd = [sys.executable, "-m", "lecture_notes", "batch", str(course), "-o", str(out), "-j", "2"]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)
        time.sleep(delay)
        if proc.poll() is not None:
            return {"delay": delay, "finished_before_signal": True}
        t0 = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=600)
        latency = time.perf_counter() - t0
        if batch:  # lecture folders published in OUT (the course's own report files are expected)
            left = [p.name for p in out.iterdir() if p.is_dir() and (p / "notes.json").exists()] if out.exists() else []
        else:
            left = [p.name for p in Path(work).iterdir() if p.name != "cache"]
        return {"delay": delay, "latency_s": latency, "rc": proc.returncode,
                "stderr_lines": len(err.strip().splitlines()), "left_behind": left}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--input", type=Path, default=ROOT / "samples" / "lecture.mp4")
    ap.add_argument("--delays", default="3,6,10,15")
    ap.add_argument("--batch", action="store_true", help="interrupt `batch -j 2` on two copies of INPUT")
    args = ap.parse_args()
    rows = [one(args.input, float(d), args.batch) for d in args.delays.split(",")]
    what = "batch -j 2 (2 copies of" if args.batch else "build"
    print(f"Ctrl-C latency of `lecture-notes {what} {args.input.name}{')' if args.batch else ''}` (cold cache, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} before)")
    print(f"{'signal at':>10}  {'latency':>8}  {'exit':>4}  {'stderr lines':>12}  left behind")
    worst = 0.0
    for r in rows:
        if r.get("finished_before_signal"):
            print(f"{r['delay']:>9.1f}s  build finished before the signal")
            continue
        worst = max(worst, r["latency_s"])
        print(f"{r['delay']:>9.1f}s  {r['latency_s']:>7.2f}s  {r['rc']:>4}  {r['stderr_lines']:>12}  "
              f"{', '.join(r['left_behind']) or '-'}")
    print(f"worst latency {worst:.2f} s (target < 1 s)")


if __name__ == "__main__":
    main()
