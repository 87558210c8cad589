#!/usr/bin/env python3
"""Chapter titles alone, leave-one-course-out, on the dev lectures' captions (fast loop for text/titles.py).

    python benchmarks/devset_titles.py [--out DIR] [--show SUBSTR] [--lectures SUBSTR] [--grid]

Chapters are the leave-one-course-out boundaries of ``devset_loco.loco_chapter_picks`` (the same as
``devset_eval.py --loco``; computed once per version of the boundary code and kept in DIR/loco_picks-<hash>.json,
the MiniLM vectors in DIR/embeddings.npz). Titles come from the product's own ``chapters._spans`` with each
``TitleParams`` of ``devset_loco.title_grid``; for each course the entry with the best mean title ROUGE-L (score.py
``title_similarity``: each reference title against the predicted chapter whose start is nearest) on the other
courses is applied to the held-out course. Prints the shipped defaults' mean, the leave-one-course-out mean and the
folds' choices; ``--show`` prints reference and predicted titles of the matching lectures.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import devset_loco as L  # noqa: E402
from lecture_notes.text.titles import DEFAULT_PARAMS  # noqa: E402

DEVSET = L.ROOT.parent / "shared" / "devset"


def loco_picks(sc, lectures, out: Path) -> dict:
    """Boundary indices per lecture slug, leave-one-course-out, cached in ``out``."""
    import hashlib

    # The cache is valid only for the boundary code it was made with: key it by the source of that code.
    code = b"".join((L.ROOT / f).read_bytes() for f in ("lecture_notes/stages/chapters.py",
                                                         "lecture_notes/stages/chapter_features.py",
                                                         "lecture_notes/stages/chunking.py",
                                                         "benchmarks/chapter_model.py", "benchmarks/devset_loco.py"))
    path = out / f"loco_picks-{hashlib.sha1(code).hexdigest()[:12]}.json"
    if path.is_file():
        cached = json.loads(path.read_text())
        if all(lec.slug in cached for lec in lectures):
            return cached
    from lecture_notes.backends.minilm import MiniLMEmbedder

    cache = Path(os.environ.get("LN_LOCO_EMB_CACHE", str(out / "embeddings.npz")))
    embedder = L.CachedEmbedder(lambda: MiniLMEmbedder(), cache)
    picks, _, _ = L.loco_chapter_picks(sc, lectures, embedder)
    embedder.save()
    res = {lec.slug: [int(j) for j in picks[i]] for i, lec in enumerate(lectures)}
    path.write_text(json.dumps(res))
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("/tmp/ln-titles"))
    ap.add_argument("--lectures", default="", help="only dev lectures whose folder name contains this")
    ap.add_argument("--show", default=None, help="print reference and predicted titles of these lectures")
    ap.add_argument("--grid", action="store_true", help="choose TitleParams per fold (default: shipped only)")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    sc = L.load_score_module(DEVSET)
    lectures = L.load_lectures(DEVSET, args.lectures)
    picks = loco_picks(sc, lectures, args.out)
    grid = L.title_grid(DEFAULT_PARAMS) if args.grid else [DEFAULT_PARAMS]
    if DEFAULT_PARAMS not in grid:
        grid.insert(0, DEFAULT_PARAMS)
    index = {i: picks[lec.slug] for i, lec in enumerate(lectures)}
    loco_spans, choice, table = L.loco_titles(sc, lectures, index, grid)
    d = grid.index(DEFAULT_PARAMS)
    loco = [table[choice[lec.course]][i]["titles_rougeL"] for i, lec in enumerate(lectures)]
    for i, lec in enumerate(lectures):
        print(f"{lec.slug[:60]:<61}{table[d][i]['titles_rougeL']:>7.3f}{loco[i]:>7.3f}")
    print(f"shipped defaults: mean title ROUGE-L {L.mean(table[d], 'titles_rougeL'):.3f}; "
          f"leave-one-course-out: {sum(loco) / len(loco):.3f} ({len(lectures)} lectures)")
    if len(grid) > 1:
        counts = Counter(choice.values())
        best = max(range(len(grid)), key=lambda g: L.mean(table[g], "titles_rougeL"))
        print(f"folds chose {dict(counts)}; majority {grid[counts.most_common(1)[0][0]]}")
        print(f"in-sample best {L.mean(table[best], 'titles_rougeL'):.3f}: {grid[best]}")
    if args.show is not None:
        for i, lec in enumerate(lectures):
            if args.show not in lec.slug:
                continue
            print(f"\n== {lec.slug}  ({loco[i]:.3f}, leave-one-course-out)")
            print("   ref: " + " | ".join(f"{c['start']:.0f} {c['title']}" for c in lec.ref["chapters"]))
            print("   our: " + " | ".join(f"{c.start:.0f} {c.title}" for c in loco_spans[i]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
