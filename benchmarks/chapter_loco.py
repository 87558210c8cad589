#!/usr/bin/env python3
"""Leave-one-course-out chapter boundaries only (the chapter part of devset_eval.py --loco, minutes not tens).

    python benchmarks/chapter_loco.py [--cache DIR] [--lectures SUBSTR] [-v]

The same folds as ``devset_loco.main_loco``: for each course the boundary model is fitted on the other courses
(``chapter_model.fit``), the segmentation parameters are chosen from ``devset_loco.chapter_grid`` on the other
courses (objective F1@30 - Pk), and the held-out course is scored with score.py's ``chapter_metrics``. Features
(they do not depend on the parameters) are cached under ``--cache`` with the sentence embeddings, keyed by the
feature code, so a rerun after a decoder change takes seconds. Prints per-lecture F1@30, Pk, uniform Pk and the
chapter counts, and the means.
"""
from __future__ import annotations

import argparse
import hashlib
import inspect
import os
import pickle
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import chapter_model  # noqa: E402
import devset_loco as L  # noqa: E402
from devset_eval import DEVSET  # noqa: E402

from lecture_notes.stages import chapter_features as F  # noqa: E402
from lecture_notes.stages import chapters as C  # noqa: E402


def features(lectures, cache: Path) -> dict:
    """Per-lecture ``boundary_features`` (cached on disk, keyed by the source of chapter_features.py)."""
    key = hashlib.sha1(inspect.getsource(F).encode()).hexdigest()[:12]
    path = cache / f"features-{key}.pkl"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    from lecture_notes.backends.minilm import MiniLMEmbedder

    emb = L.CachedEmbedder(lambda: MiniLMEmbedder(),
                           Path(os.environ.get("LN_LOCO_EMB_CACHE", str(cache / "embeddings.npz"))))
    out = {}
    for lec in lectures:
        out[lec.slug] = C.boundary_features(lec.sentences, [], emb)
        emb.save()
    path.write_bytes(pickle.dumps(out))
    return out


def run(lectures, feats, grid_fn=L.chapter_grid, verbose: bool = False) -> list:
    sc = L.load_score_module(DEVSET)
    ys = {lec.slug: chapter_model.labels(lec.ref, np.array([s.start for s in lec.sentences]), lec.duration)
          for lec in lectures}
    cgrid = grid_fn(C.DEFAULT_PARAMS)
    rows, choice = [], {}

    def score(lec, P) -> dict:
        picks = C.select_boundaries(lec.sentences, feats[lec.slug], [], lec.duration, P)
        ch = sc.chapter_metrics(lec.ref, [0.0] + [lec.sentences[j].start for j in picks], [30.0], 5.0)
        return {"f1_30": ch["@30s"]["f1"] or 0.0, "pk": ch["pk"], "n": len(picks) + 1}

    for course in sorted({lec.course for lec in lectures}):
        train = [lec for lec in lectures if lec.course != course]
        w = chapter_model.fit([feats[lec.slug]["x"] for lec in train], [ys[lec.slug] for lec in train])
        grid = [replace(g, weights=w) for g in cgrid]
        table = [[score(lec, P) for lec in train] for P in grid]
        g = max(range(len(grid)), key=lambda k: (L.chapter_objective(table[k]), -k))
        choice[course] = g
        for lec in lectures:
            if lec.course == course:
                r = score(lec, grid[g])
                uni = sc.chapter_baselines(lec.ref, [30.0], 5.0)
                u = next(v for k, v in uni.items() if k.startswith("uniform"))
                rows.append(dict(r, lecture=lec.slug, uniform_pk=u["pk"], n_ref=len(lec.ref["chapters"]), g=g))
    rows.sort(key=lambda r: r["lecture"])
    if verbose:
        for r in rows:
            print(f"{r['lecture'][:50]:<52}{r['f1_30']:>6.2f}{r['pk']:>7.3f}{r['uniform_pk']:>7.3f}"
                  f"{r['n']:>4}{r['n_ref']:>4}{r['g']:>4}")
    print(f"mean F1@30 {L.mean(rows, 'f1_30'):.3f}  Pk {L.mean(rows, 'pk'):.3f}  uniform Pk "
          f"{L.mean(rows, 'uniform_pk'):.3f}  F1=0 on {sum(r['f1_30'] == 0 for r in rows)}  "
          f"grid choices {dict(Counter(choice.values()))}")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "ln-chapter-loco")
    ap.add_argument("--lectures", default="")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    lectures = L.load_lectures(DEVSET, args.lectures)
    feats = features(lectures, args.cache)
    run(lectures, feats, verbose=args.verbose)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
