#!/usr/bin/env python3
"""Moment retrieval and question answering on ../shared/devset/qa, beside score_qa.py's BM25 and dense baselines.

    python benchmarks/qa_eval.py [--out DIR] [--sets GLOB] [--build-only] [--no-dense]

For each set: build notes from its timed transcript (`lecture-notes build PLACEHOLDER --transcript
segments.json`, a silent stand-in video of the right length), then run `lecture-notes search --queries` and
`lecture-notes ask --queries` once each (one model load per set), write score_qa.py's results file
(moments = search results, answer = ask's answer) and score it. Then the 30 off-topic questions below are asked
of every set: the share declined is the abstention rate, and the dev questions wrongly declined are counted too.
Prints one table over all sets together (targets: specific R@5 and MRR@10 >= 1.10x the better baseline, topic
R@1 >= the better baseline, answer ROUGE-L >= the baseline's, off-topic declined >= 90%, dev wrongly declined
<= 10%). Builds and scores are kept under --out and reused on a re-run.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QA = ROOT.parent / "shared" / "devset" / "qa"

# Questions no lecture or meeting in the set is about (written for this benchmark, never tuned per set).
OFF_TOPIC = [
    "What is the boiling point of liquid nitrogen?",
    "How do I reset the password on my wireless router?",
    "Who won the football world cup in 1998?",
    "What is the recipe for a classic margherita pizza?",
    "How many moons does Jupiter have?",
    "What is the capital city of Australia?",
    "How does a jet engine produce thrust?",
    "What are the rules of cricket's leg before wicket?",
    "How do you change a flat bicycle tyre?",
    "Which programming language is used to write Android apps?",
    "What is the airspeed of an unladen swallow?",
    "How do I file my taxes online?",
    "When was the Eiffel Tower built?",
    "What is the plot of the movie Titanic?",
    "How do you knit a scarf for beginners?",
    "What vaccines does a puppy need?",
    "How long should I boil an egg for a soft yolk?",
    "What is the exchange rate of the Japanese yen?",
    "Which planet has the Great Red Spot?",
    "How do I install Python packages with pip?",
    "What are the symptoms of a sprained ankle?",
    "Who painted the Mona Lisa?",
    "How do solar panels convert sunlight to electricity?",
    "What is the best way to learn to play the guitar?",
    "How tall is Mount Kilimanjaro?",
    "What does a sommelier do in a restaurant?",
    "How do submarines dive and surface?",
    "What is the offside rule in ice hockey?",
    "How are diamonds formed deep in the earth?",
    "What are good houseplants for low light apartments?",
]


def _env(cache: Path) -> dict:
    return dict(os.environ, LECTURE_NOTES_CACHE=str(cache), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")


def placeholder(out_root: Path, set_dir: Path) -> Path:
    """A silent video of the transcript's length: `build` needs a media file even when a transcript is given."""
    segs = json.loads((set_dir / "segments.json").read_text())
    path = out_root / "placeholders" / f"{set_dir.name}.mp4"
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "samples"))
    import make_sample
    from PIL import Image

    blank = Image.new("RGB", (160, 90), (250, 250, 246))
    make_sample.write_video(path, [blank], [0.0], float(segs[-1]["end"]) + 1, fps=0.2, audio=None,
                            title=set_dir.name)
    return path


def build(set_dir: Path, out_root: Path) -> Path:
    """Notes (and the search index) for one set, reused when already there."""
    out = out_root / "builds" / set_dir.name
    if (out / "notes.json").is_file() and (out / "search").is_dir():
        return out
    cmd = [sys.executable, "-m", "lecture_notes", "build", str(placeholder(out_root, set_dir)), "-o", str(out),
           "--transcript", str(set_dir / "segments.json"), "--force", "-q", "--format", "json"]
    subprocess.run(cmd, check=True, env=_env(out_root / "cache"), cwd=ROOT)
    return out


def transcript_notes(set_dir: Path):
    """Notes holding only the transcript (index = transcript windows only): the quick mode, no build."""
    from lecture_notes.core.types import LectureNotes, Segment, SourceInfo, Transcript

    segs = json.loads((set_dir / "segments.json").read_text())
    tr = Transcript(tuple(Segment(float(s["start"]), float(s["end"]), str(s["text"]), speaker=str(s.get("speaker") or ""))
                          for s in segs))
    return LectureNotes(title=set_dir.name, source=SourceInfo(set_dir.name, float(segs[-1]["end"]), ""), summary="",
                        chapters=(), chunks=(), glossary=(), transcript=tr)


def baselines(set_dir: Path, out_root: Path, embedder, score_qa) -> dict:
    """score_qa.py's BM25 and dense baselines (dense computed with the same MiniLM, max 256 tokens, mean-pooled,
    normalised: the same vectors score_qa.py computes), cached."""
    path = out_root / "baselines" / f"{set_dir.name}.json"
    if path.is_file():
        return json.loads(path.read_text())
    import numpy as np

    segs = json.loads((set_dir / "segments.json").read_text())
    queries = json.loads((set_dir / "queries.json").read_text())
    wins = score_qa.windows(segs)
    res = {"bm25": score_qa.metrics(queries, score_qa.bm25_results(queries, wins))}
    W = embedder.embed([w[2] for w in wins])
    dense = {}
    for q in queries:
        order = list(np.argsort(-(W @ embedder.embed([q["q"]])[0]))[:10])
        dense[q["id"]] = {"moments": [list(wins[i][:2]) for i in order],
                          "answer": " ".join(wins[order[0]][2].split()[:60])}
    res["dense"] = score_qa.metrics(queries, dense)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(res))
    return res


def load_set_index(set_dir: Path, out_root: Path, embedder, full: bool):
    from lecture_notes.search.index import compute_index, load_index, write_index

    if full:
        folder = build(set_dir, out_root)
        from lecture_notes.search.index import ensure_index

        ensure_index(folder, lambda: embedder)
        return load_index(folder)
    folder = out_root / "index" / set_dir.name
    if not (folder / "search" / "index.json").is_file():
        folder.mkdir(parents=True, exist_ok=True)
        write_index(folder, compute_index(transcript_notes(set_dir), embedder), "")
    return load_index(folder)


def run_set(engine, queries, coef=None) -> tuple:
    """(results for score_qa, declined flags of the dev questions, features of the dev questions)."""
    from lecture_notes.search.answer import ABSTAIN_COEF, ask

    results, declined, feats = {}, [], []
    for q in queries:
        a = ask(engine, q["q"], coef=coef or ABSTAIN_COEF)
        results[q["id"]] = {"moments": [[m.start, m.end] for m in a.moments],
                            "answer": a.answer or " ".join(a.moments[0].text.split()[:60]) if a.moments else ""}
        if a.abstained:  # a declined answer still has its nearest moments; score the answer text it would give
            from lecture_notes.search.answer import extractive_answer

            qv = engine.embed_query(q["q"])
            results[q["id"]]["answer"] = extractive_answer(engine, q["q"], qv, a.moments)[0]
        declined.append(a.abstained)
        feats.append(a.features)
    return results, declined, feats


def combine(rows: list, kind: str, key: str) -> float:
    num = sum(r[kind][key] * r[kind]["n"] for r in rows if kind in r)
    den = sum(r[kind]["n"] for r in rows if kind in r and key in r[kind])
    return num / den if den else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "ln-qa-eval")
    ap.add_argument("--sets", default="*", help="glob of set names (default: all)")
    ap.add_argument("--full", action="store_true",
                    help="build full notes for each set (chapters, key points, glossary in the index; slow)")
    ap.add_argument("--grid", action="store_true",
                    help="score a small grid of ranking parameters (moments only) instead of the full run")
    ap.add_argument("--fit-abstention", action="store_true",
                    help="fit the abstention coefficients on the dev questions vs the off-topic ones and print them")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    sys.path.insert(0, str(QA / "tools"))
    import score_qa
    from lecture_notes.search.course import default_embedder
    from lecture_notes.search.engine import SearchEngine

    embedder = default_embedder()
    sets = sorted(p for p in QA.glob(args.sets) if (p / "queries.json").is_file())
    if args.grid:
        return grid(sets, args, embedder, score_qa)
    ours, base_bm25, base_dense = [], [], []
    declined_dev, declined_off, feats_dev, feats_off, groups = [], [], [], [], []
    for set_dir in sets:
        queries = json.loads((set_dir / "queries.json").read_text())
        engine = SearchEngine([load_set_index(set_dir, args.out, embedder, args.full)], embedder)
        results, declined, feats = run_set(engine, queries)
        m = score_qa.metrics(queries, results)
        b = baselines(set_dir, args.out, embedder, score_qa)
        ours.append(m), base_bm25.append(b["bm25"]), base_dense.append(b["dense"])
        declined_dev += declined
        feats_dev += feats
        off = [{"id": f"off{i}", "q": q, "kind": "off"} for i, q in enumerate(OFF_TOPIC)]
        _, off_declined, off_feats = run_set(engine, off)
        declined_off += off_declined
        feats_off += off_feats
        groups.append((feats, off_feats))
        print(f"{set_dir.name[:44]:<44} spec R@5 {m.get('specific', {}).get('R@5', float('nan')):.2f} "
              f"topic R@1 {m.get('topic', {}).get('R@1', float('nan')):.2f} off declined "
              f"{sum(off_declined)}/{len(off_declined)} dev declined {sum(declined)}/{len(declined)}", flush=True)
    loso = fit(groups) if args.fit_abstention else None
    table(ours, base_bm25, base_dense, declined_dev, declined_off, args, loso)
    return 0


GRID = [{}, {"w_sent": 0.0}, {"w_sent": 1.0}, {"w_lex": 0.5}, {"w_lex": 1.5}, {"w_dense": 1.5},
        {"extend": 0.7}, {"extend": 0.95}, {"sent_lex": 0.0}, {"sent_lex": 1.0}, {"max_moment_s": 25.0},
        {"max_moment_s": 60.0}, {"rrf_k": 20.0}, {"candidates": 15}]


def grid(sets, args, embedder, score_qa) -> int:
    """Moments-only metrics for each parameter variant in GRID (dev set tuning)."""
    from dataclasses import replace

    from lecture_notes.search.engine import SearchEngine, SearchParams

    loaded = [(json.loads((s / "queries.json").read_text()), load_set_index(s, args.out, embedder, args.full))
              for s in sets]
    bm = [baselines(s, args.out, embedder, score_qa) for s in sets]
    best = {k: max(combine([b["bm25"] for b in bm], *k), combine([b["dense"] for b in bm], *k))
            for k in (("specific", "R@5"), ("specific", "MRR@10"), ("topic", "R@1"))}
    print("better baseline:", {f"{a} {b}": round(v, 3) for (a, b), v in best.items()})
    for variant in GRID:
        params = replace(SearchParams(), **variant)
        rows = []
        for queries, index in loaded:
            engine = SearchEngine([index], embedder, params=params)
            res = {q["id"]: {"moments": [[m.start, m.end] for m in engine.search(q["q"], k=10)], "answer": ""}
                   for q in queries}
            rows.append(score_qa.metrics([dict(q, a="") for q in queries], res))
        figs = {k: combine(rows, *k) for k in best}
        print(json.dumps(variant), " ".join(f"{a} {b} {v:.3f} ({v / best[(a, b)]:.2f}x)" for (a, b), v in figs.items()),
              flush=True)
    return 0


FEATURES = ("best_sentence", "best_unit", "coverage")


def logistic(feats_dev: list, feats_off: list):
    """Class-balanced logistic regression (plain gradient descent) of answerable vs off-topic questions on the
    evidence features: (b0, b_sent, b_unit, b_cov)."""
    import numpy as np

    X = np.array([[f[k] for k in FEATURES] for f in feats_dev + feats_off], np.float64)
    y = np.array([1.0] * len(feats_dev) + [0.0] * len(feats_off))
    w = np.ones(len(y))
    w[y == 1] = len(y) / (2 * (y == 1).sum())
    w[y == 0] = len(y) / (2 * (y == 0).sum())
    Xb = np.hstack([np.ones((len(X), 1)), X])
    beta = np.zeros(Xb.shape[1])
    for _ in range(20000):
        p = 1 / (1 + np.exp(-Xb @ beta))
        beta -= 0.5 * (Xb.T @ (w * (p - y))) / len(y)
    return [float(b) for b in beta]


def declined(coef, feats: list, threshold: float = 0.5) -> list:
    from lecture_notes.search.answer import confidence

    return [confidence(f, coef) < threshold for f in feats]


def fit(groups: list) -> tuple:
    """Fit on all sets (the shipped coefficients) and leave-one-set-out: for each set, fit on the others and
    count its declines. ``groups`` = [(dev features, off-topic features)] per set. Returns the held-out
    (dev wrongly declined, off-topic declined) flags."""
    all_dev = [f for d, _ in groups for f in d]
    all_off = [f for _, o in groups for f in o]
    beta = logistic(all_dev, all_off)
    print("abstention coefficients (b0, best_sentence, best_unit, coverage):", [round(b, 3) for b in beta])
    print(f"  in-sample at 0.5: off-topic declined {sum(declined(beta, all_off)) / len(all_off):.3f}, "
          f"dev wrongly declined {sum(declined(beta, all_dev)) / len(all_dev):.3f}")
    held_dev, held_off = [], []
    for i, (dev, off) in enumerate(groups):
        rest = [g for j, g in enumerate(groups) if j != i]
        b = logistic([f for d, _ in rest for f in d], [f for _, o in rest for f in o])
        held_dev += declined(b, dev)
        held_off += declined(b, off)
    print(f"  leave-one-set-out at 0.5: off-topic declined {sum(held_off) / len(held_off):.3f}, "
          f"dev wrongly declined {sum(held_dev) / max(1, len(held_dev)):.3f}")
    return held_dev, held_off


def table(ours, bm, de, declined_dev, declined_off, args, loso=None) -> None:
    rows = []
    for kind, key, ratio_target in (("specific", "R@5", 1.10), ("specific", "MRR@10", 1.10), ("specific", "R@1", None),
                                    ("topic", "R@1", 1.0), ("topic", "R@5", None), ("topic", "MRR@10", None),
                                    ("specific", "answer_rougeL", 1.0)):
        o, b, d = combine(ours, kind, key), combine(bm, kind, key), combine(de, kind, key)
        best = max(b, d)
        rows.append((f"{kind} {key}", o, b, d, o / best if best else float("inf"), ratio_target))
    n_spec = sum(r["specific"]["n"] for r in ours if "specific" in r)
    n_topic = sum(r["topic"]["n"] for r in ours if "topic" in r)
    print(f"\nAll sets together ({n_spec} specific questions, {n_topic} topic queries; "
          f"index: {'full build' if args.full else 'transcript windows only'}):\n")
    print("| metric | ours | BM25 | dense | ours / better baseline | target |")
    print("|---|---|---|---|---|---|")
    for name, o, b, d, r, t in rows:
        tgt = f">= {t:.2f}x" if t else "-"
        print(f"| {name} | {o:.3f} | {b:.3f} | {d:.3f} | {r:.2f}x | {tgt} |")
    off = sum(declined_off) / max(1, len(declined_off))
    dev = sum(declined_dev) / max(1, len(declined_dev))
    print(f"| off-topic declined | {off:.1%} | | | | >= 90% |")
    print(f"| dev questions wrongly declined | {dev:.1%} | | | | <= 10% |")
    if loso:
        held_dev, held_off = loso
        print(f"| off-topic declined (leave-one-set-out fit) | {sum(held_off) / max(1, len(held_off)):.1%} | | | | "
              f">= 90% |")
        print(f"| dev questions wrongly declined (leave-one-set-out fit) | "
              f"{sum(held_dev) / max(1, len(held_dev)):.1%} | | | | <= 10% |")


if __name__ == "__main__":
    raise SystemExit(main())
