"""In-process scoring of chapters, titles and overview on the dev lectures, for devset_eval.py --loco.

Each lecture's captions go through the product's own code (``chunking.split_sentences``,
``chapters.find_chapters``, ``merge.merge_notes``) with a parameter set (``ChapterParams`` / ``OverviewParams``);
sentence embeddings come from the bundled MiniLM and are cached on disk (they do not depend on the parameters).
Scores come from the devset's ``tools/score.py`` functions, so the figures equal what ``score.py`` prints for the
same notes. Leave-one-course-out: for each course, the parameter set with the best mean objective on the OTHER
courses is applied to the held-out course.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import re
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Callable, Dict, List, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from lecture_notes.core.types import Segment, SourceInfo, Transcript  # noqa: E402
from lecture_notes.stages import chapters as chapters_mod  # noqa: E402
from lecture_notes.stages import chunking, merge  # noqa: E402

import chapter_model  # noqa: E402  (benchmarks/)

_COURSE_RE = re.compile(r"^(oyc-.+?)-(?:lecture-)?\d+-|^(yale-[a-z]+\d+)-")


def course_of(slug: str) -> str:
    """Course id of a dev lecture folder name (two oyc lectures per course; each yale lecture its own course)."""
    m = _COURSE_RE.match(slug)
    return (m.group(1) or m.group(2)) if m else slug


def load_score_module(devset: Path):
    spec = importlib.util.spec_from_file_location("devset_score", devset / "tools" / "score.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class CachedEmbedder:
    """Wraps an embedder; remembers every vector on disk (texts -> vectors do not depend on the parameters)."""

    def __init__(self, inner_factory: Callable, path: Path) -> None:
        self._factory, self._inner, self.path = inner_factory, None, path
        self._mem: Dict[str, np.ndarray] = {}
        if path.is_file():
            data = np.load(path, allow_pickle=False)
            for k, v in zip(data["keys"], data["vecs"]):
                self._mem[str(k)] = v
        self.dim = 384
        self._dirty = False

    @staticmethod
    def _key(t: str) -> str:
        return hashlib.sha1(t.encode("utf-8")).hexdigest()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        keys = [self._key(t) for t in texts]
        todo = list(dict.fromkeys(t for t, k in zip(texts, keys) if k not in self._mem))
        if todo:
            if self._inner is None:
                self._inner = self._factory()
            vecs = self._inner.embed(todo)
            for t, v in zip(todo, vecs):
                self._mem[self._key(t)] = np.asarray(v, dtype=np.float32)
            self._dirty = True
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._mem[k] for k in keys])

    def save(self) -> None:
        if self._dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self._mem)
            np.savez(self.path, keys=np.array(keys), vecs=np.stack([self._mem[k] for k in keys]))
            self._dirty = False

    def close(self) -> None:
        pass


@dataclass
class Lecture:
    slug: str
    course: str
    ref_dir: Path
    ref: dict
    transcript: Transcript
    sentences: list
    duration: float
    baselines: Dict[int, dict] = field(default_factory=dict)


def load_lectures(devset: Path, only: str = "") -> List[Lecture]:
    sc = load_score_module(devset)
    out = []
    for d in sorted(p for p in devset.iterdir() if (p / "reference.json").is_file() and only in p.name):
        cues = json.loads((d / "segments.json").read_text(encoding="utf-8"))
        tr = Transcript(tuple(Segment(float(c["start"]), float(c["end"]), str(c["text"])) for c in cues),
                        source="file:captions")
        sents = chunking.split_sentences(tr)
        ref = sc.load_reference(d, None)
        duration = max(s.end for s in tr.segments)
        out.append(Lecture(d.name, course_of(d.name), d, ref, tr, sents, duration))
    return out


def run_lecture(lec: Lecture, embedder, chapter_params, overview_params) -> dict:
    """Chapters + overview for one lecture with the given parameters -> the notes fields score.py reads."""
    spans = chapters_mod.find_chapters(lec.sentences, [], embedder, duration=lec.duration, params=chapter_params)
    notes = merge.merge_notes([], spans, lec.sentences, [], embedder, title=lec.slug,
                              source=SourceInfo(lec.slug, lec.duration, ""), transcript=lec.transcript,
                              overview_params=overview_params)
    return {"summary": notes.summary,
            "chapters": [{"start": c.start, "end": c.end, "title": c.title, "summary": c.summary}
                         for c in notes.chapters]}


def score_lecture(sc, lec: Lecture, notes: dict, want_summary: bool = True) -> dict:
    ref = lec.ref
    tols = [15.0, 30.0, 60.0]
    starts = [c["start"] for c in notes["chapters"]]
    ch = sc.chapter_metrics(ref, starts, tols, 5.0)
    if "uniform" not in lec.baselines:
        base = sc.chapter_baselines(ref, tols, 5.0)
        lec.baselines["uniform"] = next(v for k, v in base.items() if k.startswith("uniform"))
    uni = lec.baselines["uniform"]
    titles = sc.title_similarity(ref["chapters"], [{"start": c["start"], "title": c["title"]}
                                                   for c in notes["chapters"]])
    row = {"lecture": lec.slug, "course": lec.course, "f1_30": ch["@30s"]["f1"] or 0.0, "f1_15": ch["@15s"]["f1"] or 0.0,
           "f1_60": ch["@60s"]["f1"] or 0.0, "pk": ch["pk"], "windowdiff": ch["windowdiff"],
           "uniform_f1_30": uni["@30s"]["f1"] or 0.0, "uniform_pk": uni["pk"],
           "n_chapters": len(starts), "n_ref_chapters": len(ref["chapters"]),
           "titles_rougeL": titles["mean_rougeL_nearest"] if titles else 0.0}
    if want_summary:
        row.update(score_summary(sc, lec, notes["summary"]))
        row["summary_words"] = len(notes["summary"].split())
    return row


def mean(rows: Sequence[dict], key: str) -> float:
    vals = [r[key] for r in rows if r.get(key) is not None]
    return float(sum(vals) / len(vals)) if vals else float("nan")


# ---------------------------------------------------------------------------------------------- leave-one-course-out
def chapter_grid(base) -> list:
    """Segmentation parameter sets tried (every one is a legal product setting); the boundary model's weights
    are fitted per fold (benchmarks/chapter_model.py) and set on each entry."""
    from dataclasses import replace
    return [replace(base, chapter_seconds=L, boundary_cost=cost, method="dp")
            for L in (450.0, 600.0, 750.0) for cost in (-3.0, -2.5, -2.0, -1.5, -1.0, -0.5)]


def overview_grid(base) -> list:
    from dataclasses import replace
    out = []
    for reg in (2.0, 3.0):
        for name in (0.0, 0.5):
            for pw in (3.0, 6.0):
                for early in (0.0, 1.0):
                    out.append(replace(base, register_weight=reg, name_weight=name, person_weight=pw,
                                       early_bonus=early))
    return out


def title_grid(base) -> list:
    """Chapter-title parameter sets tried (``text.titles.TitleParams``); every one is a legal product setting."""
    from dataclasses import replace
    return [replace(base, len_bonus=lb, expand_ratio=er, pair_ratio=pr)
            for lb in (1.6, 2.4, 3.5) for er in (0.0, 0.5, 0.7, 0.9) for pr in (0.2, 0.3, 0.4)]


def chapter_objective(rows: Sequence[dict]) -> float:
    """What segmentation parameters are chosen for: boundary F1 at +-30 s, minus Pk."""
    return mean(rows, "f1_30") - mean(rows, "pk")


def title_objective(rows: Sequence[dict]) -> float:
    return mean(rows, "titles_rougeL")


def summary_objective(rows: Sequence[dict]) -> float:
    return mean(rows, "ratio")


def pick_loco(lectures: Sequence[Lecture], grid: list, table: Dict[int, List[dict]], objective) -> Dict[str, int]:
    """For each course, the index of the grid entry with the best objective on the other courses."""
    out = {}
    for course in sorted({lec.course for lec in lectures}):
        train = [i for i, lec in enumerate(lectures) if lec.course != course]
        out[course] = max(range(len(grid)), key=lambda g: (objective([table[g][i] for i in train]), -g))
    return out


def loco_chapter_picks(sc, lectures: Sequence[Lecture], embedder):
    """Leave-one-course-out boundaries: for each course, the boundary model is fitted and the segmentation grid
    entry chosen on the other courses; returns (boundary sentence indices per lecture index, grid index chosen
    per course, the grid)."""
    cgrid = chapter_grid(chapters_mod.DEFAULT_PARAMS)
    feats = {lec.slug: chapters_mod.boundary_features(lec.sentences, [], embedder) for lec in lectures}
    embedder.save()
    ys = {lec.slug: chapter_model.labels(lec.ref, np.array([s.start for s in lec.sentences]), lec.duration)
          for lec in lectures}
    courses = sorted({lec.course for lec in lectures})
    loco_picks, cchoice = {}, {}
    for course in courses:
        train = [i for i, lec in enumerate(lectures) if lec.course != course]
        w = chapter_model.fit([feats[lectures[i].slug]["x"] for i in train], [ys[lectures[i].slug] for i in train])
        grid = [replace(g, weights=w) for g in cgrid]

        def objective(P) -> float:
            rows = []
            for i in train:
                lec = lectures[i]
                picks = chapters_mod.select_boundaries(lec.sentences, feats[lec.slug], [], lec.duration, P)
                ch = sc.chapter_metrics(lec.ref, [0.0] + [lec.sentences[j].start for j in picks], [30.0], 5.0)
                rows.append({"f1_30": ch["@30s"]["f1"] or 0.0, "pk": ch["pk"]})
            return chapter_objective(rows)

        g = max(range(len(grid)), key=lambda k: (objective(grid[k]), -k))
        cchoice[course] = g
        for i, lec in enumerate(lectures):
            if lec.course == course:
                loco_picks[i] = chapters_mod.select_boundaries(lec.sentences, feats[lec.slug], [], lec.duration,
                                                               grid[g])
    return loco_picks, cchoice, cgrid


def loco_titles(sc, lectures: Sequence[Lecture], picks: Dict[int, List[int]], grid: list):
    """Leave-one-course-out chapter titles on the given boundaries: for each course, the ``TitleParams`` of ``grid``
    with the best mean title ROUGE-L on the other courses titles the held-out course. Returns (chapter spans per
    lecture index, grid index chosen per course, per-entry rows of every lecture)."""
    from lecture_notes.text import titles as titles_mod

    inner, memo = titles_mod.title_candidates, {}

    def cached(sentences, background, announce_window=4):  # candidates do not depend on the parameters
        key = (tuple(sentences), tuple(background), announce_window)
        if key not in memo:
            memo[key] = inner(sentences, background, announce_window)
        return memo[key]

    spans: Dict[tuple, list] = {}
    table: Dict[int, List[dict]] = {}
    titles_mod.title_candidates = cached
    try:
        for g, P in enumerate(grid):
            table[g] = []
            for i, lec in enumerate(lectures):
                spans[(g, i)] = chapters_mod._spans(lec.sentences, list(picks[i]), [], lec.duration, title_params=P)
                t = sc.title_similarity(lec.ref["chapters"], [{"start": c.start, "title": c.title}
                                                              for c in spans[(g, i)]])
                table[g].append({"titles_rougeL": t["mean_rougeL_nearest"] if t else 0.0})
    finally:
        titles_mod.title_candidates = inner
    choice = pick_loco(lectures, grid, table, title_objective)
    return {i: spans[(choice[lec.course], i)] for i, lec in enumerate(lectures)}, choice, table


def main_loco(devset: Path, out: Path, only: str = "", markdown: bool = False) -> int:
    """devset_eval.py --loco: see that script's docstring."""
    import os
    from collections import Counter

    from lecture_notes.backends.minilm import MiniLMEmbedder
    from lecture_notes.text.overview import DEFAULT_PARAMS as O_DEFAULT
    from lecture_notes.text.titles import DEFAULT_PARAMS as T_DEFAULT

    sc = load_score_module(devset)
    out.mkdir(parents=True, exist_ok=True)
    cache = Path(os.environ.get("LN_LOCO_EMB_CACHE", str(out / "embeddings.npz")))
    embedder = CachedEmbedder(lambda: MiniLMEmbedder(), cache)
    lectures = load_lectures(devset, only)
    print(f"{len(lectures)} lectures, {len({lec.course for lec in lectures})} courses", flush=True)
    loco_picks, cchoice, cgrid = loco_chapter_picks(sc, lectures, embedder)
    courses = sorted({lec.course for lec in lectures})
    print("chapter grid done", flush=True)
    tgrid = title_grid(T_DEFAULT)
    if T_DEFAULT not in tgrid:
        tgrid.insert(0, T_DEFAULT)
    loco_spans, tchoice, _ = loco_titles(sc, lectures, loco_picks, tgrid)
    print("title grid done", flush=True)
    lecs_m = {i: merge._Lecture(lec.sentences, embedder) for i, lec in enumerate(lectures)}
    embedder.save()
    ogrid = overview_grid(O_DEFAULT)

    def spans_of(i: int) -> list:
        lec = lectures[i]
        starts = [0.0] + [float(lec.sentences[j].start) for j in loco_picks[i]]
        return list(zip(starts, starts[1:] + [lec.duration]))

    # Overview parameters are chosen on the other courses' lectures with their leave-one-course-out chapters.
    otable: Dict[int, List[dict]] = {}
    for o, P in enumerate(ogrid):
        otable[o] = [score_summary(sc, lec, merge.lecture_overview(lecs_m[i], spans_of(i), lec.duration, P))
                     for i, lec in enumerate(lectures)]
    print("overview grid done", flush=True)
    final = []
    ochoice = {}
    for course in courses:
        g = cchoice[course]
        train = [i for i, lec in enumerate(lectures) if lec.course != course]
        o = max(range(len(ogrid)), key=lambda k: (summary_objective([otable[k][i] for i in train]), -k))
        ochoice[course] = o
        for i, lec in enumerate(lectures):
            if lec.course != course:
                continue
            spans = loco_spans[i]
            notes = {"summary": merge.lecture_overview(lecs_m[i], [(c.start, c.end) for c in spans], lec.duration,
                                                       ogrid[o]),
                     "chapters": [{"start": c.start, "end": c.end, "title": c.title} for c in spans]}
            row = score_lecture(sc, lec, notes)
            row["chapter_params"], row["overview_params"] = g, o
            final.append(row)
            (out / f"{lec.slug}.notes.json").write_text(json.dumps(notes, indent=1, ensure_ascii=False))
    embedder.save()
    final.sort(key=lambda r: r["lecture"])
    print_loco_table(final, markdown)
    cmaj = Counter(cchoice.values()).most_common(1)[0][0]
    omaj = Counter(ochoice.values()).most_common(1)[0][0]
    print(f"\nsegmentation chosen per fold: {dict(Counter(cchoice.values()))}; majority: {cgrid[cmaj]}")
    print(f"overview chosen per fold: {dict(Counter(ochoice.values()))}; majority: {ogrid[omaj]}")
    D = chapters_mod.DEFAULT_PARAMS
    print(f"shipped segmentation defaults are the majority choice: "
          f"{replace(cgrid[cmaj], weights=D.weights) == D}")
    print(f"shipped overview defaults are the majority choice: {ogrid[omaj] == O_DEFAULT}")
    tmaj = Counter(tchoice.values()).most_common(1)[0][0]
    print(f"titles chosen per fold: {dict(Counter(tchoice.values()))}; "
          f"shipped title defaults are the majority choice: {tgrid[tmaj] == T_DEFAULT}")
    (out / "loco_table.json").write_text(json.dumps(final, indent=1))
    print(f"notes and table under {out}")
    return 0


def baseline_orders(sc, lec: Lecture) -> dict:
    """Sentence rankings of score.py's lead / TextRank / LexRank baselines (they do not depend on the length, so
    they are computed once; ``sc.pick`` then cuts them at any length exactly as score.py does)."""
    if "orders" in lec.baselines:
        return lec.baselines["orders"]
    import os
    cache = Path(os.environ.get("LN_LOCO_BASELINE_CACHE", str(Path.home() / ".cache" / "ln-loco-baselines")))
    path = cache / f"{lec.slug}.json"
    if path.is_file():
        lec.baselines["orders"] = json.loads(path.read_text())
        return lec.baselines["orders"]
    from sumy.models.dom import ObjectDocumentModel, Paragraph, Sentence
    from sumy.nlp.stemmers import Stemmer
    from sumy.summarizers.lex_rank import LexRankSummarizer
    from sumy.summarizers.text_rank import TextRankSummarizer
    from sumy.utils import get_stop_words

    sents = sc.split_sentences(" ".join(c["text"] for c in lec.ref["cues"]))
    tok = sc._Tok()
    sobjs = [Sentence(x, tok) for x in sents]
    doc = ObjectDocumentModel([Paragraph(sobjs)])
    tr = TextRankSummarizer(Stemmer("english"))
    tr.stop_words = get_stop_words("english")
    r = tr.rate_sentences(doc)
    lr = LexRankSummarizer(Stemmer("english"))
    lr.stop_words = get_stop_words("english")
    sw = [lr._to_words_set(x) for x in doc.sentences]
    mat = lr._create_matrix(sw, lr.threshold, lr._compute_tf(sw), lr._compute_idf(sw))
    scores = lr.power_method(mat, lr.epsilon)
    n = len(sents)
    lec.baselines["orders"] = {"sents": sents, "lead": list(range(n)),
                               "textrank": sorted(range(n), key=lambda i: (-r[sobjs[i]], i)),
                               "lexrank": sorted(range(n), key=lambda i: (-scores[i], i))}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(lec.baselines["orders"]))
    return lec.baselines["orders"]


def score_summary(sc, lec: Lecture, summary: str) -> dict:
    n = len(summary.split())
    if n not in lec.baselines:
        o = baseline_orders(sc, lec)
        lec.baselines[n] = {k: sc.rouge(lec.ref["summary"], sc.pick(o["sents"], o[k], n))["rougeL"]
                            for k in ("lead", "textrank", "lexrank")}
    best = max(lec.baselines[n].values())
    ours = sc.rouge(lec.ref["summary"], summary)["rougeL"] if summary.strip() else 0.0
    return {"rougeL": ours, "best_baseline": best, "ratio": ours / best if best else 0.0}


def print_loco_table(rows: Sequence[dict], markdown: bool) -> None:
    hdr = (f"{'lecture':<44}{'ROUGE-L':>8}{'best':>7}{'ratio':>7}{'F1@30':>7}{'Pk':>7}{'uniPk':>7}{'uniF1':>7}"
           f"{'title':>7}{'#ch':>5}{'#ref':>5}")
    print("\n" + hdr)
    for r in rows:
        print(f"{r['lecture'][:43]:<44}{r['rougeL']:>8.3f}{r['best_baseline']:>7.3f}{r['ratio']:>7.2f}"
              f"{r['f1_30']:>7.2f}{r['pk']:>7.3f}{r['uniform_pk']:>7.3f}{r['uniform_f1_30']:>7.2f}"
              f"{r['titles_rougeL']:>7.3f}{r['n_chapters']:>5}{r['n_ref_chapters']:>5}")
    won = sum(r["ratio"] >= 1.0 for r in rows) / max(len(rows), 1)
    print(f"{'mean':<44}{mean(rows, 'rougeL'):>8.3f}{mean(rows, 'best_baseline'):>7.3f}{mean(rows, 'ratio'):>7.2f}"
          f"{mean(rows, 'f1_30'):>7.2f}{mean(rows, 'pk'):>7.3f}{mean(rows, 'uniform_pk'):>7.3f}"
          f"{mean(rows, 'uniform_f1_30'):>7.2f}{mean(rows, 'titles_rougeL'):>7.3f}")
    print(f"overview ratio >= 1.0 on {won:.0%} of lectures")
    if markdown:
        print("\n| lecture | ROUGE-L | best baseline | ratio | F1@30 | Pk | uniform Pk | uniform F1@30 | title ROUGE-L "
              "| chapters (ref) |\n|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['lecture']} | {r['rougeL']:.3f} | {r['best_baseline']:.3f} | {r['ratio']:.2f} | "
                  f"{r['f1_30']:.2f} | {r['pk']:.3f} | {r['uniform_pk']:.3f} | {r['uniform_f1_30']:.2f} | "
                  f"{r['titles_rougeL']:.3f} | {r['n_chapters']} ({r['n_ref_chapters']}) |")
        print(f"| **mean** | {mean(rows, 'rougeL'):.3f} | {mean(rows, 'best_baseline'):.3f} | "
              f"**{mean(rows, 'ratio'):.2f}** | **{mean(rows, 'f1_30'):.2f}** | **{mean(rows, 'pk'):.3f}** | "
              f"{mean(rows, 'uniform_pk'):.3f} | {mean(rows, 'uniform_f1_30'):.2f} | "
              f"**{mean(rows, 'titles_rougeL'):.3f}** | |")
