#!/usr/bin/env python3
"""Chapters and titles with the slides a make_video.py video shows, on all 32 dev lectures, leave-one-course-out.

    python benchmarks/video_chapters.py [--lectures SUBSTR] [--markdown] [--grid 0,1,2,4]

No video is synthesized: for every dev lecture the slides that ``../shared/devset/tools/make_video.py --variant
slides`` would show are computed by make_video's own planning code (``load_lecture`` + ``plan_slides``, imported
from that file, 1 frame/s as its default), and turned into the ``Slide`` objects the OCR stage would give
(``Slide.title`` = the heading, ``Slide.text`` = heading, bullet lines, footer and page number, as
``slides.split_title`` returns them). The captions (sentences) and these slides go through the product's own
chapter and title code (``chapter_features.boundary_features``, ``chapters.select_boundaries``,
``chapters._spans``). This benchmark is the only reader of the references; the product sees captions and
slides only.

Leave-one-course-out: for each of the 18 courses, the boundary model's weights are fitted on the other 17
courses (``chapter_model.fit``, captions features as shipped) and the slide weight ``ChapterParams.w_slide`` is
``w_slide_quiet`` and ``min_slide_chapter_seconds`` are chosen from ``--grid`` x ``--quiet-grid`` x ``--min-grid`` by F1@30 - Pk on the other courses; the held-out course is scored with that choice.
Prints F1@30, Pk (uniform segmentation with the true count as baseline) and title ROUGE-L (score.py
``titles.mean_rougeL_nearest``) per lecture and the mean, the choice per fold and the majority choice (the
shipped default should be it).

Caveat: make_video draws the reference chapter titles on the slides and puts a slide exactly at each reference
chapter start (and a "(cont.)" slide mid-chapter), so these figures measure how well the product uses clean
slide evidence, not how well it finds chapters in lectures whose slides follow their own structure.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import re
import sys
import tempfile
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import List

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import chapter_model  # noqa: E402
from devset_eval import DEVSET  # noqa: E402
from devset_loco import CachedEmbedder, load_lectures, load_score_module, mean, score_lecture  # noqa: E402

from lecture_notes.core.types import Slide  # noqa: E402
from lecture_notes.stages import chapters as chapters_mod  # noqa: E402


def load_make_video(devset: Path):
    spec = importlib.util.spec_from_file_location("make_video", devset / "tools" / "make_video.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def video_slides(mv, slug_dir: Path, fps: int = 1, max_minutes=None):
    """(slides as the OCR stage would read them, duration, make_video's slide plan) for one lecture."""
    ref, cues, chapters, duration, _cut = mv.load_lecture(slug_dir, max_minutes)
    title = ref.get("lecture") or slug_dir.name
    speaker = ref.get("speaker", "")
    spk_short = re.sub(r"\s*\(.*?\)", "", speaker).split(",")[0].strip()
    footer = f"{title}  |  {spk_short}" if spk_short else title
    plan, _ = mv.plan_slides("slides", chapters, cues, duration, fps, title, footer)
    out: List[Slide] = []
    for k, s in enumerate(plan):
        end = plan[k + 1]["t"] if k + 1 < len(plan) else duration
        text = "\n".join([s["title"]] + list(s["bullets"]) + [f"{s['footer'][:100]} {s['page']}"])
        out.append(Slide(float(s["t"]), float(end), f"slides/slide-{k + 1:03d}.jpg", text, s["title"], 0.95))
    return out, duration, plan


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lectures", default="")
    ap.add_argument("--grid", default="2,4,8,12", help="slide-change weights tried (ChapterParams.w_slide)")
    ap.add_argument("--quiet-grid", default="0,1,2,4",
                    help="weights tried for the slides showing the topic go on (ChapterParams.w_slide_quiet)")
    ap.add_argument("--min-grid", default="60",
                    help="shortest chapters tried when slides change topic (ChapterParams.min_slide_chapter_seconds)")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    from lecture_notes.backends.minilm import MiniLMEmbedder

    out = args.out or Path(tempfile.mkdtemp(prefix="ln-video-chapters-"))
    out.mkdir(parents=True, exist_ok=True)
    sc = load_score_module(DEVSET)
    mv = load_make_video(DEVSET)
    cache = Path(os.environ.get("LN_LOCO_EMB_CACHE", str(Path.home() / ".cache" / "ln-loco-embeddings.npz")))
    embedder = CachedEmbedder(lambda: MiniLMEmbedder(), cache)
    lectures = load_lectures(DEVSET, args.lectures)
    print(f"{len(lectures)} lectures, {len({lec.course for lec in lectures})} courses", flush=True)
    slides, feats, ys = {}, {}, {}
    for lec in lectures:
        sl, duration, _plan = video_slides(mv, lec.ref_dir)
        lec.duration = duration
        slides[lec.slug] = sl
        feats[lec.slug] = chapters_mod.boundary_features(lec.sentences, sl, embedder)
        ys[lec.slug] = chapter_model.labels(lec.ref, np.array([s.start for s in lec.sentences]), lec.duration)
    embedder.save()
    print("features done", flush=True)
    grid = [(float(a), float(b), float(m)) for a in args.grid.split(",") for b in args.quiet_grid.split(",")
            for m in args.min_grid.split(",")]
    base = chapters_mod.DEFAULT_PARAMS

    def run(lec, P):
        picks = chapters_mod.select_boundaries(lec.sentences, feats[lec.slug], slides[lec.slug], lec.duration, P)
        spans = chapters_mod._spans(lec.sentences, picks, slides[lec.slug], lec.duration)
        return {"summary": "", "chapters": [{"start": c.start, "end": c.end, "title": c.title} for c in spans]}

    courses = sorted({lec.course for lec in lectures})
    choice, rows = {}, []
    for course in courses:
        train = [lec for lec in lectures if lec.course != course]
        w = chapter_model.fit([feats[lec.slug]["x"] for lec in train], [ys[lec.slug] for lec in train]) \
            if train else base.weights

        def objective(P) -> float:
            rs = []
            for lec in train:
                starts = [c["start"] for c in run(lec, P)["chapters"]]
                ch = sc.chapter_metrics(lec.ref, starts, [30.0], 5.0)
                rs.append({"f1_30": ch["@30s"]["f1"] or 0.0, "pk": ch["pk"]})
            return mean(rs, "f1_30") - mean(rs, "pk")

        scores = [objective(replace(base, weights=w, w_slide=g, w_slide_quiet=q, min_slide_chapter_seconds=m))
                  for g, q, m in grid]
        k = max(range(len(grid)), key=lambda j: (round(scores[j], 6), -j))
        choice[course] = grid[k]
        print(f"fold {course}: (w_slide, w_slide_quiet, min_slide_chapter_seconds) {grid[k]} (train objective " +
              " ".join(f"{g[0]:g}/{g[1]:g}/{g[2]:g}:{s:.3f}" for g, s in zip(grid, scores)) + ")", flush=True)
        for lec in lectures:
            if lec.course == course:
                notes = run(lec, replace(base, weights=w, w_slide=grid[k][0], w_slide_quiet=grid[k][1],
                                         min_slide_chapter_seconds=grid[k][2]))
                row = score_lecture(sc, lec, notes, want_summary=False)
                row["w_slide"] = "%g/%g/%g" % grid[k]
                row["n_slides"] = len(slides[lec.slug])
                rows.append(row)
                (out / f"{lec.slug}.chapters.json").write_text(json.dumps(notes, indent=1, ensure_ascii=False))
    rows.sort(key=lambda r: r["lecture"])
    print(f"\n{'lecture':<44}{'F1@30':>7}{'Pk':>7}{'uniPk':>7}{'title':>7}{'#ch':>5}{'#ref':>5}{'w/quiet/min':>12}")
    for r in rows:
        print(f"{r['lecture'][:43]:<44}{r['f1_30']:>7.2f}{r['pk']:>7.3f}{r['uniform_pk']:>7.3f}"
              f"{r['titles_rougeL']:>7.3f}{r['n_chapters']:>5}{r['n_ref_chapters']:>5}{r['w_slide']:>10}")
    print(f"{'mean':<44}{mean(rows, 'f1_30'):>7.2f}{mean(rows, 'pk'):>7.3f}{mean(rows, 'uniform_pk'):>7.3f}"
          f"{mean(rows, 'titles_rougeL'):>7.3f}")
    if args.markdown:
        print("\n| lecture | F1@30 | Pk | uniform Pk | title ROUGE-L | chapters (ref) | slide weights |\n"
              "|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['lecture']} | {r['f1_30']:.2f} | {r['pk']:.3f} | {r['uniform_pk']:.3f} | "
                  f"{r['titles_rougeL']:.3f} | {r['n_chapters']} ({r['n_ref_chapters']}) | {r['w_slide']} |")
        print(f"| **mean** | **{mean(rows, 'f1_30'):.2f}** | **{mean(rows, 'pk'):.3f}** | "
              f"{mean(rows, 'uniform_pk'):.3f} | **{mean(rows, 'titles_rougeL'):.3f}** | | |")
    counts = Counter(choice.values())
    maj = counts.most_common(1)[0][0]
    shipped = (base.w_slide, base.w_slide_quiet, base.min_slide_chapter_seconds)
    print(f"\nslide weights chosen per fold: {dict(counts)}; majority {maj}; shipped defaults {shipped}: "
          f"{'the majority choice' if maj == shipped else 'NOT the majority choice'}")
    (out / "video_chapters.json").write_text(json.dumps(rows, indent=1))
    print(f"table under {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
