#!/usr/bin/env python3
"""Overview-only leave-one-course-out evaluation on the dev lectures (fast loop for ``text/overview.py``).

    python benchmarks/overview_loco.py [--lectures SUBSTR] [--grid default|NAME] [--show SUBSTR] [--params k=v,...]

Chapters come from the shipped segmentation (``chapters.find_chapters`` with the default parameters, cached on
disk), so only the overview varies; ``devset_eval.py --loco`` is the full measurement (chapters chosen per fold
too). For each grid entry (``OverviewParams``) every lecture's overview is scored with score.py's ROUGE-L against
the course overview and the best of lead-N / TextRank / LexRank at the same length (``devset_loco.score_summary``);
for each course, the entry with the best mean ratio on the OTHER courses is applied to it. Prints per-lecture
ratios, the mean, the share >= 1.0 and how often each entry was chosen. ``--show`` prints, for matching lectures,
our overview, the reference overview and the best baseline's text side by side (for reading, never used at run
time).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import devset_loco as dl  # noqa: E402
from lecture_notes.stages import chapters as chapters_mod  # noqa: E402
from lecture_notes.stages import merge  # noqa: E402
from lecture_notes.text.overview import DEFAULT_PARAMS, OverviewParams  # noqa: E402

DEVSET = ROOT.parent / "shared" / "devset"
CACHE = Path(os.environ.get("LN_LOCO_CACHE", str(Path.home() / ".cache" / "ln-overview-loco")))


def grid(name: str, base: OverviewParams) -> list:
    """Named parameter grids (each entry a legal product setting)."""
    if name == "default":
        return [base]
    if name == "loco":  # the grid devset_eval.py --loco chooses from
        return dl.overview_grid(base)
    if name == "length":
        return [replace(base, words_per_minute=w, max_words=m) for w in (3.0, 3.5, 4.0) for m in (100, 120, 150)]
    if name == "terms":
        return [replace(base, term_weight=t, register_weight=r) for t in (0.0, 0.5, 1.0, 2.0) for r in (2.0, 3.0)]
    if name == "wide":
        return [replace(base, register_weight=r, person_weight=p, term_weight=t, framing_bonus=f)
                for r in (2.0, 3.0, 4.0) for p in (6.0, 12.0) for t in (0.0, 0.5) for f in (2.0, 4.0)]
    if name == "struct":
        return [replace(base, max_framing=f, redundancy=r, sentence_words=w)
                for f in (1, 2) for r in (0.7, 0.8) for w in (30, 40)]
    if name == "sentlen":
        return [replace(base, sentence_words=w, term_weight=t) for w in (30, 40) for t in (0.0, 1.0)]
    raise SystemExit(f"unknown grid {name}")


def chapter_spans(lec, embedder) -> list:
    path = CACHE / "spans" / f"{lec.slug}.json"
    if path.is_file():
        return [tuple(x) for x in json.loads(path.read_text())]
    spans = chapters_mod.find_chapters(lec.sentences, [], embedder, duration=lec.duration)
    out = [(c.start, c.end) for c in spans]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out))
    return out


def sentence_targets(sc, lectures, lecs, base):
    """Per lecture: candidate feature matrix and each candidate's ROUGE-L precision against the reference
    (z-scored within the lecture). Benchmark-only: the reference is read to fit weights, never at run time."""
    from rouge_score import rouge_scorer

    from lecture_notes.text import overview as ov

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    data = {}
    for lec in lectures:
        L = lecs[lec.slug]
        cands = ov.candidates([s.text for s in L.sentences], L.texts, [s.start for s in L.sentences], L.score,
                              lec.duration, base)
        X = np.array([f for *_, f in cands])
        y = np.array([scorer.score(lec.ref["summary"], t)["rougeL"].precision for _, t, _, _ in cands])
        data[lec.slug] = (X, (y - y.mean()) / (y.std() + 1e-9))
    return data


def fit_weights(data, slugs, ridge: float) -> np.ndarray:
    """Least squares of the z-scored targets on the features (centred per lecture), pooled over ``slugs``."""
    X = np.concatenate([data[s][0] - data[s][0].mean(0) for s in slugs])
    y = np.concatenate([data[s][1] for s in slugs])
    sd = X.std(0) + 1e-9
    Z = X / sd
    w = np.linalg.solve(Z.T @ Z + ridge * len(y) * np.eye(Z.shape[1]), Z.T @ y) / sd
    return w / max(w[0], 1e-3)


def params_from(w, base: OverviewParams) -> OverviewParams:
    return replace(base, person_weight=float(-w[1]), framing_bonus=float(w[2]), name_weight=float(w[3]),
                   term_weight=float(w[4]), register_weight=float(w[5]), early_bonus=float(w[6]))


def fit_loco(args, sc, lectures, lecs, spans, base) -> int:
    """--grid fit[:RIDGE[:VARIANTS]]: feature weights fitted per fold by regression on the other courses'
    sentences; with VARIANTS (a grid name), the structural variant is chosen per fold on the other courses."""
    parts = args.grid.split(":")
    ridge = float(parts[1]) if len(parts) > 1 else 0.01
    variants = grid(parts[2], base) if len(parts) > 2 else [base]
    data = sentence_targets(sc, lectures, lecs, base)
    courses = sorted({lec.course for lec in lectures})
    wfold = {c: fit_weights(data, [lec.slug for lec in lectures if lec.course != c], ridge) for c in courses}
    table = {v: [dl.score_summary(sc, lec, merge.lecture_overview(lecs[lec.slug], spans[lec.slug], lec.duration,
                                                                  params_from(wfold[lec.course], V)))
                 for lec in lectures] for v, V in enumerate(variants)}
    choice = dl.pick_loco(lectures, variants, table, dl.summary_objective)
    final = [dict(table[choice[lec.course]][i], lecture=lec.slug, g=choice[lec.course])
             for i, lec in enumerate(lectures)]
    for r in final:
        print(f"{r['lecture'][:56]:<57}{r['rougeL']:.3f} {r['best_baseline']:.3f} {r['ratio']:.2f} g{r['g']}")
    for v in range(len(variants)):
        w = sum(r["ratio"] >= 1.0 for r in table[v])
        print(f"  g{v} mean {dl.mean(table[v], 'ratio'):.3f} >=1 {w}  {variants[v]}")
    won = sum(r["ratio"] >= 1.0 for r in final)
    print(f"chosen per fold: {dict(Counter(choice.values()))}")
    print(f"LOCO mean ratio {dl.mean(final, 'ratio'):.3f}  >=1.0 on {won}/{len(final)}")
    print("all lectures:", np.round(fit_weights(data, [lec.slug for lec in lectures], ridge), 2))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--lectures", default="")
    ap.add_argument("--grid", default="default")
    ap.add_argument("--params", default="", help="overrides of the base OverviewParams, e.g. register_weight=2")
    ap.add_argument("--show", default=None, help="print texts for lectures whose name contains this")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    from lecture_notes.backends.minilm import MiniLMEmbedder

    base = DEFAULT_PARAMS
    for kv in filter(None, args.params.split(",")):
        k, v = kv.split("=")
        base = replace(base, **{k: type(getattr(base, k))(v)})
    sc = dl.load_score_module(DEVSET)
    embedder = dl.CachedEmbedder(lambda: MiniLMEmbedder(), CACHE / "embeddings.npz")
    lectures = dl.load_lectures(DEVSET, args.lectures)
    spans = {lec.slug: chapter_spans(lec, embedder) for lec in lectures}
    lecs = {lec.slug: merge._Lecture(lec.sentences, embedder) for lec in lectures}
    embedder.save()
    if args.grid.startswith("fit"):
        return fit_loco(args, sc, lectures, lecs, spans, base)
    G = grid(args.grid, base)
    table = {}
    texts = {}
    for g, P in enumerate(G):
        rows = []
        for lec in lectures:
            text = merge.lecture_overview(lecs[lec.slug], spans[lec.slug], lec.duration, P)
            texts[g, lec.slug] = text
            rows.append(dl.score_summary(sc, lec, text))
        table[g] = rows
    choice = dl.pick_loco(lectures, G, table, dl.summary_objective)
    final = []
    for i, lec in enumerate(lectures):
        g = choice[lec.course]
        final.append(dict(table[g][i], lecture=lec.slug, g=g))
    for r in final:
        print(f"{r['lecture'][:56]:<57}{r['rougeL']:.3f} {r['best_baseline']:.3f} {r['ratio']:.2f}  g{r['g']}")
    won = sum(r["ratio"] >= 1.0 for r in final)
    print(f"LOCO mean ratio {dl.mean(final, 'ratio'):.3f}  >=1.0 on {won}/{len(final)}  "
          f"ROUGE-L {dl.mean(final, 'rougeL'):.4f}")
    if len(G) > 1:
        for g in range(len(G)):
            w = sum(r["ratio"] >= 1.0 for r in table[g])
            print(f"  g{g} in-sample mean {dl.mean(table[g], 'ratio'):.3f} >=1 {w}  {G[g]}")
        print(f"chosen per fold: {dict(Counter(choice.values()))}")
    if args.show is not None:
        for i, lec in enumerate(lectures):
            if args.show not in lec.slug:
                continue
            g = choice[lec.course]
            text = texts[g, lec.slug]
            n = len(text.split())
            o = dl.baseline_orders(sc, lec)
            best = max(("lead", "textrank", "lexrank"), key=lambda k: lec.baselines[n][k])
            print(f"\n=== {lec.slug}  ratio {table[g][i]['ratio']:.2f}  ({n} words)\n--- ours:\n{text}\n--- reference:\n"
                  f"{lec.ref['summary']}\n--- best baseline {best} ({lec.baselines[n][best]:.3f}):\n"
                  f"{sc.pick(o['sents'], o[best], n)}")
    if args.json:
        args.json.write_text(json.dumps({"rows": final, "texts": {s: texts[choice[c], s] for s, c in
                                                                  ((lec.slug, lec.course) for lec in lectures)}},
                                        indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
