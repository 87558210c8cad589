#!/usr/bin/env python3
"""Chapter-boundary quality on the dev lectures (real captions, real MiniLM, no slides).

    python benchmarks/devset_chapters.py [--devset /work/shared/devset] [--out /tmp/devset_chapters] [--lexical]

For each lecture: segments.json -> Transcript -> split_sentences -> find_chapters, writes a minimal notes.json
({"chapters": [...], "transcript": [...]}) and runs the devset's tools/score.py on it, then prints boundary F1 at
+-15/30/60 s against the uniform (reference count) and fixed 5-minute baselines, and the chapter titles.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecture_notes.stages.chunking import find_chapters, split_sentences  # noqa: E402
from lecture_notes.core.types import Segment, Transcript  # noqa: E402


def load_segments(path: Path) -> Transcript:
    cues = json.loads(path.read_text(encoding="utf-8"))
    segs = tuple(Segment(float(c["start"]), float(c["end"]), str(c["text"])) for c in cues)
    return Transcript(segments=segs, source=f"file:{path}")


def run_one(lecture: Path, embedder, out_dir: Path, score_py: Path) -> dict:
    transcript = load_segments(lecture / "segments.json")
    duration = max(s.end for s in transcript.segments)
    t0 = time.time()
    sentences = split_sentences(transcript)
    chapters = find_chapters(sentences, [], embedder, duration=duration)
    elapsed = time.time() - t0
    notes = {"chapters": [{"start": c.start, "end": c.end, "title": c.title} for c in chapters],
             "transcript": [{"start": s.start, "end": s.end, "text": s.text} for s in sentences]}
    notes_path = out_dir / f"{lecture.name}.notes.json"
    result_path = out_dir / f"{lecture.name}.score.json"
    notes_path.write_text(json.dumps(notes, indent=1), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(score_py), "--ref", str(lecture), "--notes", str(notes_path),
                           "--json", str(result_path)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"score.py failed on {lecture.name}:\n{proc.stderr[-2000:]}")
    res = json.loads(result_path.read_text(encoding="utf-8"))
    return {"lecture": lecture.name, "chapters": chapters, "n_sentences": len(sentences), "seconds": elapsed,
            "score": res["chapters"], "titles": res.get("titles")}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", default="/work/shared/devset")
    ap.add_argument("--out", default="/tmp/devset_chapters")
    ap.add_argument("--lexical", action="store_true", help="no embedder (lexical cohesion + cues only)")
    args = ap.parse_args()
    devset = Path(args.devset)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    embedder = None
    if not args.lexical:
        from lecture_notes.backends.minilm import MiniLMEmbedder

        embedder = MiniLMEmbedder()
    rows = [run_one(d, embedder, out_dir, devset / "tools" / "score.py")
            for d in sorted(devset.iterdir()) if (d / "segments.json").exists() and (d / "reference.json").exists()]

    print(f"{'lecture':44s} {'#ch':>4s} {'#ref':>4s} | {'F1@15':>6s} {'F1@30':>6s} {'F1@60':>6s} | "
          f"{'unif@30':>7s} {'5min@30':>7s} | {'Pk':>5s} {'titleL':>6s} {'sec':>5s}")
    sums = {"t15": 0.0, "t30": 0.0, "t60": 0.0, "u30": 0.0, "f30": 0.0}
    for r in rows:
        sc = r["score"]
        tested = sc["tested"]
        base = sc["baselines"]
        uni = next(v for k, v in base.items() if k.startswith("uniform"))
        five = base["fixed_5min"]
        vals = {"t15": tested["@15s"]["f1"], "t30": tested["@30s"]["f1"], "t60": tested["@60s"]["f1"],
                "u30": uni["@30s"]["f1"], "f30": five["@30s"]["f1"]}
        for k in sums:
            sums[k] += vals[k] or 0.0
        title = r["titles"]["mean_rougeL_nearest"] if r["titles"] else float("nan")
        print(f"{r['lecture']:44s} {len(r['chapters']):4d} {tested['n_ref_boundaries'] + 1:4d} | "
              f"{vals['t15']:6.3f} {vals['t30']:6.3f} {vals['t60']:6.3f} | {vals['u30']:7.3f} {vals['f30']:7.3f} | "
              f"{tested['pk']:5.3f} {title:6.3f} {r['seconds']:5.1f}")
    n = max(1, len(rows))
    print(f"{'mean':44s} {'':4s} {'':4s} | {sums['t15'] / n:6.3f} {sums['t30'] / n:6.3f} {sums['t60'] / n:6.3f} | "
          f"{sums['u30'] / n:7.3f} {sums['f30'] / n:7.3f} |")
    print()
    for r in rows:
        print(r["lecture"])
        for c in r["chapters"]:
            print(f"  {c.start:7.1f}-{c.end:7.1f}  {c.title}")
    worst = min((r["score"]["tested"]["@30s"]["f1"] or 0.0) for r in rows) if rows else 0.0
    print(f"\nworst F1@30s = {worst:.3f} (target >= 0.5 on every lecture)")


if __name__ == "__main__":
    main()
