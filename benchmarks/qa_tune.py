#!/usr/bin/env python3
"""Leave-one-set-out tuning of the search ranking on ../shared/devset/qa (moments only, no answers).

    python benchmarks/qa_tune.py [--out DIR] [--sets GLOB] [--variants NAME,...]

Every variant below (ranking parameters, window sizes, how window vectors are made) is scored on every set. The
in-sample figure is the default variant's; the cross-validated figure picks, for each set in turn, the variant
that scores best on the *other* sets and scores it on the held-out one, so the set a choice is judged on never
took part in making it. Objective: specific R@5 + MRR@10 (ratios to the better baseline) + topic R@1 (ratio).
Reuses qa_eval.py's transcript indexes and baseline files under --out.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Dict, List

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
import qa_eval  # noqa: E402

KEYS = (("specific", "R@5"), ("specific", "MRR@10"), ("specific", "R@1"), ("topic", "R@1"), ("topic", "R@5"))

# name -> (SearchParams changes, window settings or None for the index's own, window vectors "embed"|"mean")
VARIANTS: Dict[str, tuple] = {}


# The ranking before this tuning: every variant starts from it, whatever SearchParams' defaults are now.
OLD = {"fusion": "rrf", "w_lex": 1.0, "smooth": 0.0, "drop_ask_words": False, "min_moment_s": 0.0, "spread_s": 0.0,
       "w_speaker": 0.0, "speaker_sent": 0.0, "drop_speaker_words": False}


def _v(name: str, params: dict, windows=None, vecs: str = "embed") -> None:
    VARIANTS[name] = (dict(OLD, **params), windows, vecs)


_v("old", {})
_v("rrf-smooth", {"smooth": 0.5})
for ask in (False, True):
    for wl in (0.5, 0.7):
        for smooth in (1.0, 1.5):
            for spread in (0.0, 60.0):
                for minimum in (0.0, 20.0):
                    _v(f"score{'-ask' if ask else ''}-lex{wl}-sm{smooth}-sp{spread:.0f}-min{minimum:.0f}",
                       {"fusion": "score", "drop_ask_words": ask, "w_lex": wl, "smooth": smooth,
                        "spread_s": spread, "min_moment_s": minimum})
_S = {"fusion": "score", "w_lex": 0.5, "smooth": 1.0}
_v("score-lex0.5-sm1.0-min30", dict(_S, min_moment_s=30.0))
_v("score-lex0.5-sm1.0-clean", _S, vecs="clean-embed")
_v("score-lex0.5-sm1.0-w30", _S, windows=(30.0, 20.0, 40.0, 15.0))
_v("score-lex0.5-sm1.0-w60", _S, windows=(60.0, 45.0, 80.0, 30.0))

# Speakers named in the query (transcripts with speakers): boost of the unit score by the share of the named
# speakers' sentences, bonus on their sentences when tightening, speaker words in or out of the lexical query.
_D = {"fusion": "score", "drop_ask_words": True, "w_lex": 0.5, "smooth": 1.0, "min_moment_s": 20.0}
for mode in ("share", "best"):
    for ws in (0.25, 0.5, 1.0):
        for ss in (0.0, 0.1, 0.2):
            for drop in (False, True):
                _v(f"default-{mode}{ws}-s{ss}{'-drop' if drop else ''}",
                   dict(_D, w_speaker=ws, speaker_sent=ss, drop_speaker_words=drop, speaker_mode=mode))
for ws in (1.5, 2.0):
    _v(f"default-best{ws}-s0.0", dict(_D, w_speaker=ws, speaker_mode="best"))


def windowed(index, windows, vecs: str, embedder):
    """A copy of ``index`` whose window units use other sizes and/or mean-of-sentence vectors."""
    from lecture_notes.search.index import LectureIndex
    from lecture_notes.search.units import Unit, make_windows
    from lecture_notes.core.types import Sentence

    if windows is None and vecs == "embed":
        return index
    sent_vecs = index.sent_vecs
    if vecs.startswith("clean"):
        from lecture_notes.text.summarize import clean_sentence

        key = (index.slug, "clean")
        if key not in _CLEAN:
            _CLEAN[key] = np.asarray(embedder.embed([clean_sentence(t) or t for _, _, t in index.sentences]),
                                     np.float32)
        sent_vecs = _CLEAN[key]
    sents = [Sentence(a, b, t) for a, b, t in index.sentences]
    if windows is None:
        spans = [(u.s0, u.s1) for u in index.units if u.kind == "window"]
    else:
        target, minimum, maximum, hop = windows
        spans = make_windows(sents, target=target, minimum=minimum, maximum=maximum, hop=hop)
    units = [Unit("window", sents[i].start, sents[j - 1].end, " ".join(s.text for s in sents[i:j]), i, j)
             for i, j in spans]
    if vecs.endswith("mean"):
        v = np.stack([sent_vecs[i:j].mean(0) for i, j in spans])
        v /= np.linalg.norm(v, axis=1, keepdims=True) + 1e-9
    else:
        v = np.asarray(embedder.embed([u.text for u in units]), np.float32)
    return LectureIndex(index.title, index.slug, index.href, index.duration, index.sentences, units,
                        sent_vecs, v.astype(np.float32), index.model, index.sent_speakers)


_CLEAN: Dict[tuple, np.ndarray] = {}


def score_variant(loaded, name, embedder, score_qa) -> List[dict]:
    from lecture_notes.search.engine import SearchEngine, SearchParams

    params, windows, vecs = VARIANTS[name]
    rows = []
    for queries, index in loaded:
        engine = SearchEngine([windowed(index, windows, vecs, embedder)], embedder,
                              params=replace(SearchParams(), **params))
        res = {q["id"]: {"moments": [[m.start, m.end] for m in engine.search(q["q"], k=10)], "answer": ""}
               for q in queries}
        rows.append(score_qa.metrics([dict(q, a="") for q in queries], res))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ln-qa-eval")
    ap.add_argument("--sets", default="qmsum-*")
    ap.add_argument("--variants", default="", help="comma-separated names (default: all)")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(qa_eval.QA / "tools"))
    import score_qa
    from lecture_notes.search.course import default_embedder

    embedder = default_embedder()
    sets = sorted(p for p in qa_eval.QA.glob(args.sets) if (p / "queries.json").is_file())
    loaded = [(json.loads((s / "queries.json").read_text()), qa_eval.load_set_index(s, args.out, embedder, False))
              for s in sets]
    base = [qa_eval.baselines(s, args.out, embedder, score_qa) for s in sets]
    names = [n for n in args.variants.split(",") if n] or list(VARIANTS)
    per: Dict[str, List[dict]] = {}
    for name in names:
        per[name] = score_variant(loaded, name, embedder, score_qa)
        print(f"{name:<28} " + " ".join(f"{a[:4]} {b} {ratio(per[name], base, a, b):.3f}x" for a, b in KEYS),
              flush=True)
    # Leave one set out: choose on the others, score the held-out set.
    held: List[dict] = []
    for i, s in enumerate(sets):
        rest = [j for j in range(len(sets)) if j != i]
        best = max(names, key=lambda n: objective([per[n][j] for j in rest], [base[j] for j in rest]))
        held.append(per[best][i])
        print(f"held out {s.name}: chose {best}", flush=True)
    print("\nleave-one-set-out (cross-validated):")
    print(" ".join(f"{a} {b} {qa_eval.combine(held, a, b):.3f} ({ratio(held, base, a, b):.3f}x)" for a, b in KEYS))
    return 0


def ratio(rows, base, kind, key) -> float:
    best = max(qa_eval.combine([b["bm25"] for b in base], kind, key),
               qa_eval.combine([b["dense"] for b in base], kind, key))
    return qa_eval.combine(rows, kind, key) / best if best else 0.0


def objective(rows, base) -> float:
    return ratio(rows, base, "specific", "R@5") + ratio(rows, base, "specific", "MRR@10") + \
        ratio(rows, base, "topic", "R@1")


if __name__ == "__main__":
    raise SystemExit(main())
