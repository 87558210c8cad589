#!/usr/bin/env python3
"""Speed of the search index and of queries (targets: index <= 5% of a build; a query < 100 ms over one lecture and
< 300 ms over a 40-lecture course once loaded).

    python benchmarks/bench_search.py [--out DIR] [--no-build]

1. Builds samples/lecture.mp4 with `lecture-notes build --no-cache` (real ASR, slides, OCR, notes) and reads the
   per-stage timings of its manifest: the search stage's share of the whole build.
2. Indexes the longest development transcript (a ~2 h meeting) and prints the index time per hour of speech.
3. Loads 40 lecture indexes (the 39 ../shared/devset/qa transcripts, one twice) and times `search` and `ask`
   over one lecture and over all 40 (median and 95th percentile over the dev questions, model already loaded).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import qa_eval  # noqa: E402


def build_share(out: Path) -> None:
    folder = out / "sample_notes"
    env = dict(os.environ, LECTURE_NOTES_CACHE=str(out / "cache"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lecture_notes", "build", str(ROOT / "samples" / "lecture.mp4"), "-o",
                    str(folder), "--force", "--no-cache", "-q"], check=True, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    t = json.loads((folder / ".lecture-notes.json").read_text())["timings"]
    work = sum(v for k, v in t.items() if k not in ("slides", "transcript"))  # slides+transcript covers both
    print(f"sample build: {wall:.1f} s wall, stages {work:.1f} s; search index {t.get('search', 0):.2f} s = "
          f"{100 * t.get('search', 0) / max(work, 1e-9):.1f}% of the build (target <= 5%), "
          f"{100 * t.get('search', 0) / max(t.get('notes', 0), 1e-9):.0f}% of the notes stage; load average "
          f"{os.getloadavg()[0]:.1f}")


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ln-qa-eval")
    ap.add_argument("--no-build", action="store_true", help="skip the sample build (part 1)")
    ap.add_argument("--no-index", action="store_true", help="skip indexing the longest transcript (part 2)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    if not args.no_build:
        build_share(args.out)
    from lecture_notes.search.answer import ask
    from lecture_notes.search.course import default_embedder
    from lecture_notes.search.engine import SearchEngine
    from lecture_notes.search.index import compute_index

    embedder = default_embedder()
    sets = sorted(p for p in qa_eval.QA.iterdir() if (p / "queries.json").is_file())
    longest = max(sets, key=lambda p: json.loads((p / "segments.json").read_text())[-1]["end"])
    notes = qa_eval.transcript_notes(longest)
    embedder.embed(["warm up"])
    if not args.no_index:
        t0 = time.perf_counter()
        compute_index(notes, embedder)
        dt = time.perf_counter() - t0
        hours = notes.source.duration / 3600
        print(f"index of {longest.name} ({hours:.2f} h of speech): {dt:.1f} s = {dt / hours:.1f} s per hour")

    lectures = [qa_eval.load_set_index(s, args.out, embedder, False) for s in sets]
    lectures = (lectures + lectures)[:40]
    questions = [q["q"] for s in sets[:8] for q in json.loads((s / "queries.json").read_text())][:60]
    for name, lecs in (("one lecture", [lectures[0]]), (f"{len(lectures)} lectures", lectures)):
        t0 = time.perf_counter()
        engine = SearchEngine(lecs, embedder)
        load = time.perf_counter() - t0
        for q in questions[:3]:
            engine.search(q)
        e_times, s_times, a_times = [], [], []
        for q in questions:
            getattr(embedder, "_cache", {}).clear()  # a query embedded afresh, as a user's new question is
            t0 = time.perf_counter()
            qv = engine.embed_query(q)
            e_times.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            engine.search(q, k=5, qv=qv)
            s_times.append(1000 * (time.perf_counter() - t0))
            t0 = time.perf_counter()
            ask(engine, q)  # its query vector is cached by now: the time past embedding
            a_times.append(1000 * (time.perf_counter() - t0))
        total = [e + x for e, x in zip(e_times, s_times)]
        units = sum(len(x.units) for x in lecs)
        print(f"{name} ({units} units; engine set up in {1000 * load:.0f} ms): query embedding median "
              f"{statistics.median(e_times):.0f} ms; ranking median {statistics.median(s_times):.0f} ms, p95 "
              f"{pct(s_times, 95):.0f} ms; search in all (embedding + ranking) median {statistics.median(total):.0f} "
              f"ms, p95 {pct(total, 95):.0f} ms; ask past embedding median {statistics.median(a_times):.0f} ms, "
              f"p95 {pct(a_times, 95):.0f} ms (load average {os.getloadavg()[0]:.1f})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
