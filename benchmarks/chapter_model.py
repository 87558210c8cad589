#!/usr/bin/env python3
"""Fit the chapter-boundary model (``lecture_notes.stages.chapter_features.MODEL_WEIGHTS``) on the dev lectures.

    python benchmarks/chapter_model.py        # weights fitted on all dev lectures, to paste into MODEL_WEIGHTS

A sentence is a positive example when it starts within ``LABEL_TOLERANCE_S`` of one of the course's chapter
starts (t = 0 excluded); the model is an L2-regularised logistic regression on ``chapter_features.FEATURES``
(numpy Newton iterations, the objective of scikit-learn's ``LogisticRegression(C=0.1)``: regularised enough
that the folds agree on the other parameters). devset_loco.py fits it per fold on the other courses, so the
leave-one-course-out table scores every course with weights that never saw it.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Sequence, Tuple

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

LABEL_TOLERANCE_S = 15.0
C_REG = 0.1


def labels(ref: dict, times: np.ndarray, duration: float) -> np.ndarray:
    """1 for sentence starts within ``LABEL_TOLERANCE_S`` of a reference chapter start, else 0."""
    rb = np.array([c["start"] for c in ref["chapters"] if 5.0 < c["start"] < duration])
    if not len(rb) or not len(times):
        return np.zeros(len(times), dtype=np.float64)
    return (np.min(np.abs(times[:, None] - rb[None, :]), axis=1) <= LABEL_TOLERANCE_S).astype(np.float64)


def fit(xs: Sequence[np.ndarray], ys: Sequence[np.ndarray], c_reg: float = C_REG,
        iters: int = 50) -> Tuple[float, ...]:
    """Weights (bias first) of an L2 logistic regression (penalty ||w||^2 / (2 c_reg), bias unpenalised)."""
    x = np.concatenate([np.asarray(a, dtype=np.float64) for a in xs])
    y = np.concatenate([np.asarray(b, dtype=np.float64) for b in ys])
    a = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(a.shape[1])
    reg = np.full(a.shape[1], 1.0 / c_reg)
    reg[0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(a @ w)))
        grad = a.T @ (p - y) + reg * w
        hess = (a * (p * (1 - p))[:, None]).T @ a + np.diag(reg) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return tuple(round(float(v), 4) for v in w)


def main() -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import os

    from devset_eval import DEVSET
    from devset_loco import CachedEmbedder, load_lectures

    from lecture_notes.backends.minilm import MiniLMEmbedder
    from lecture_notes.stages import chapter_features as F

    cache = Path(os.environ.get("LN_LOCO_EMB_CACHE", str(Path.home() / ".cache" / "ln-loco-embeddings.npz")))
    embedder = CachedEmbedder(lambda: MiniLMEmbedder(), cache)
    xs, ys = [], []
    for lec in load_lectures(DEVSET):
        xs.append(F.boundary_features(lec.sentences, [], embedder)["x"])
        ys.append(labels(lec.ref, np.array([s.start for s in lec.sentences]), lec.duration))
    embedder.save()
    w = fit(xs, ys)
    print("FEATURES =", F.FEATURES)
    print("MODEL_WEIGHTS =", w)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
