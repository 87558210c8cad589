#!/usr/bin/env python3
"""Slides stage benchmark: CPU seconds per step, slide-change detection and OCR word recall against the truth.

    python benchmarks/bench_slides.py [FILE ...]                       # default: samples/lecture.mp4
    python benchmarks/bench_slides.py --devset [--lectures SUBSTR] [--fps 1] [--max-minutes M] [--keep DIR]

Each video may have its ``.truth.json`` beside it (samples/make_sample.py and devset/tools/make_video.py write one):
``slide_change_times`` and ``slides`` (title, bullets). ``--devset`` renders the dev lectures' slide videos with
make_video.py's own slide plan and renderer (the same slides at the same times as ``make_video.py --variant
slides``), silent, so no speech synthesis is needed: slide detection and OCR do not listen.

Runs the slides stage's steps in this one process, one after the other, exactly as the build does (media.iter_frames
-> slides.detect_slides -> ocr.read_slides with full-resolution keyframes) and prints per video:

* CPU seconds (user+sys of the whole process, all threads: decoder and onnxruntime threads included) of
  frame sampling, change detection, OCR model load and keyframe decoding + OCR, and wall seconds;
* change detection: precision / recall / F1 of the detected slide starts against the true change times within
  ``--tol`` seconds (default 2.5: one sampling interval at 0.5 frames/s plus a frame), and the mean offset;
* OCR word recall: share of the words of each true slide (title and bullets) found in the OCR text of the
  detected slide on screen at its midpoint.

CPU seconds do not depend much on other jobs on a shared machine; wall seconds do (the load average is printed).
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import re
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, Iterator, List, Sequence

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEVSET = ROOT.parent / "shared" / "devset"
DEV_LECTURES = ("yale-beng100-l20-bioimaging", "yale-eeb122-l36-selfishness-altruism",
                "yale-phil176-l06-cartesian-argument-plato", "yale-plsc114-l10-machiavelli-prince")


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def render_dev_video(slug_dir: Path, out: Path, fps: int, max_minutes: float | None) -> Path:
    """The slides of ``make_video.py --variant slides`` (its plan and renderer), as a silent video + truth."""
    sys.path.insert(0, str(DEVSET / "tools"))
    sys.path.insert(0, str(ROOT / "samples"))
    import make_sample
    import make_video
    from PIL import Image

    truth_path = out.with_suffix(".truth.json")
    if out.exists() and truth_path.exists():
        return out
    ref, cues, chapters, duration, _ = make_video.load_lecture(slug_dir, max_minutes)
    title = ref.get("lecture") or slug_dir.name
    speaker = re.sub(r"\s*\(.*?\)", "", ref.get("speaker", "")).split(",")[0].strip()
    footer = f"{title}  |  {speaker}" if speaker else title
    slides, _ = make_video.plan_slides("slides", chapters, cues, duration, fps, title, footer)
    images = [Image.fromarray(make_video.render_slide(s["title"], s["bullets"], s["footer"], s["page"]))
              for s in slides]
    make_sample.write_video(out, images, [s["t"] for s in slides], duration, fps=fps, crf=28)
    truth_path.write_text(json.dumps({
        "duration_s": duration, "slide_change_times": [s["t"] for s in slides[1:]],
        "slides": [{"start": s["t"], "title": s["title"], "bullets": s["bullets"]} for s in slides]}))
    return out


def _words(text: str) -> List[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def score_changes(found: Sequence[float], truth: Sequence[float], tol: float) -> Dict[str, float]:
    """Greedy one-to-one matching of detected to true change times within ``tol`` seconds."""
    free = list(truth)
    offsets = []
    for t in found:
        best = min(free, key=lambda x: abs(x - t), default=None)
        if best is not None and abs(best - t) <= tol:
            free.remove(best)
            offsets.append(t - best)
    tp = len(offsets)
    p = tp / len(found) if found else 1.0
    r = tp / len(truth) if truth else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "found": len(found),
            "true": len(truth), "mean_offset": sum(offsets) / tp if tp else 0.0}


def ocr_recall(slides, truth_slides: Sequence[dict], duration: float) -> float:
    """Mean share of each true slide's words found in the OCR text of the slide shown at its midpoint."""
    shares = []
    for k, ts in enumerate(truth_slides):
        end = truth_slides[k + 1]["start"] if k + 1 < len(truth_slides) else duration
        mid = (float(ts["start"]) + end) / 2
        words = _words(" ".join([ts["title"], *ts.get("bullets", [])]))
        if not words:
            continue
        shown = next((s for s in slides if s.start <= mid < s.end), None)
        seen = set(_words(shown.text)) if shown is not None else set()
        shares.append(sum(w in seen for w in words) / len(words))
    return sum(shares) / len(shares) if shares else 0.0


def run_one(video: Path, tol: float, config) -> dict:
    from lecture_notes.backends import registry
    from lecture_notes.stages import media, ocr
    from lecture_notes.stages.slides import detect_slides

    truth_path = video.with_suffix(".truth.json")
    truth = json.loads(truth_path.read_text()) if truth_path.is_file() else None
    info = media.probe(video)
    cost = {"sample": 0.0, "detect": 0.0, "ocr_load": 0.0, "keyframes+ocr": 0.0}
    w0 = time.perf_counter()

    def frames() -> Iterator:
        it = media.iter_frames(video, fps=config.frame_rate, max_side=config.frame_max_side)
        while True:
            c = cpu()
            try:
                fr = next(it)
            except StopIteration:
                cost["sample"] += cpu() - c
                return
            cost["sample"] += cpu() - c
            yield fr

    c0 = cpu()
    spans = detect_slides(frames(), duration=info.duration)
    cost["detect"] = cpu() - c0 - cost["sample"]
    c = cpu()
    _, opts = registry.configured(config, "ocr")  # the build's OCR backend and options
    engine = registry.create("ocr", config.ocr_backend, **opts)
    cost["ocr_load"] = cpu() - c
    c = cpu()
    with tempfile.TemporaryDirectory() as tmp:
        slides = ocr.read_slides(spans, engine, Path(tmp), full_res=lambda t: media.frame_at(video, t))
    cost["keyframes+ocr"] = cpu() - c
    engine.close()
    wall = time.perf_counter() - w0
    out = {"video": video.name, "minutes": info.duration / 60, "cpu": cost, "cpu_total": sum(cost.values()),
           "wall": wall, "spans": len(spans), "slides": len(slides)}
    if truth is not None and "slide_change_times" in truth:
        out["detection"] = score_changes([s.start for s in spans[1:]], truth["slide_change_times"], tol)
        out["ocr_recall"] = ocr_recall(slides, truth["slides"], info.duration)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", type=Path)
    ap.add_argument("--devset", action="store_true", help="render and check the four dev lectures' slide videos")
    ap.add_argument("--lectures", default="", help="--devset: only slugs containing this")
    ap.add_argument("--fps", type=int, default=1, help="--devset: frame rate of the rendered videos")
    ap.add_argument("--max-minutes", type=float, default=None, help="--devset: cut each lecture after M minutes")
    ap.add_argument("--keep", type=Path, default=None, help="--devset: keep (and reuse) the rendered videos here")
    ap.add_argument("--tol", type=float, default=2.5, help="seconds within which a detected change counts")
    ap.add_argument("--frame-rate", type=float, default=None, help="sampling rate (default: the build's)")
    ap.add_argument("--max-side", type=int, default=None, help="sampled frame size (default: the build's)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    from lecture_notes.core.config import BuildConfig

    defaults = BuildConfig(input=Path("x.mp4"))
    if args.frame_rate or args.max_side:
        defaults = BuildConfig(input=Path("x.mp4"), frame_rate=args.frame_rate or defaults.frame_rate,
                               frame_max_side=args.max_side or defaults.frame_max_side)
    frame_rate = defaults.frame_rate
    videos = list(args.inputs)
    if args.devset:
        work = args.keep or Path(tempfile.mkdtemp(prefix="ln-slides-"))
        work.mkdir(parents=True, exist_ok=True)
        for slug in DEV_LECTURES:
            if args.lectures in slug:
                cut = f"_{args.max_minutes:g}min" if args.max_minutes else ""
                videos.append(render_dev_video(DEVSET / slug, work / f"{slug}_{args.fps}fps{cut}.mp4", args.fps,
                                               args.max_minutes))
    if not videos:
        videos = [ROOT / "samples" / "lecture.mp4"]
    print(f"{os.cpu_count()} CPUs, load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}; "
          f"sampling {frame_rate:g} frames/s at {defaults.frame_max_side} px; CPU = user+sys seconds, all threads")
    head = f"{'video':<46}{'min':>6}{'sample':>8}{'detect':>8}{'ocr ld':>8}{'key+ocr':>8}{'cpu':>7}{'wall':>7}" \
           f"{'found/true':>11}{'P':>6}{'R':>6}{'off s':>7}{'ocr rec':>8}"
    print(head)
    rows = []
    for v in videos:
        r = run_one(v, args.tol, defaults)
        rows.append(r)
        c, d = r["cpu"], r.get("detection")
        score = "   (no .truth.json)" if d is None else \
            f"{d['found']:>6}/{d['true']:<4}{d['precision']:>6.2f}{d['recall']:>6.2f}{d['mean_offset']:>7.2f}" \
            f"{r['ocr_recall']:>8.3f}"
        print(f"{r['video'][:45]:<46}{r['minutes']:>6.1f}{c['sample']:>8.2f}{c['detect']:>8.2f}{c['ocr_load']:>8.2f}"
              f"{c['keyframes+ocr']:>8.2f}{r['cpu_total']:>7.2f}{r['wall']:>7.1f}" + score, flush=True)
    if len(rows) > 1:
        tot = {k: sum(r["cpu"][k] for r in rows) for k in rows[0]["cpu"]}
        mins = sum(r["minutes"] for r in rows)
        print(f"{'total':<46}{mins:>6.1f}" + "".join(f"{v:>8.2f}" for v in tot.values())
              + f"{sum(tot.values()):>7.2f}   (CPU s per lecture minute: {sum(tot.values()) / mins:.3f})")
    print(f"load average after {' / '.join(f'{x:.1f}' for x in os.getloadavg())}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
