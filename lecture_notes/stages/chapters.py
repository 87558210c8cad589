"""Topic chapters of a lecture from slide changes, discourse cues, pauses and TextTiling-style cohesion.

Every sentence start is a candidate boundary. A logistic model (``chapter_features``: weights fitted across the
dev courses by benchmarks/chapter_model.py) gives the log-odds that a chapter starts there from:

- discourse cues that lecturers use to open a topic ("Let's talk about", "So that gets us into", "Now we're
  ready to talk about", "Well, where does syphilis come from?") and a check for questions just before;
- the pause before the sentence;
- TextTiling depth scores of embedding and tf-idf similarity between the time blocks before and after the
  candidate (short, medium and wide blocks);
- where it falls in the lecture (lectures open with a few minutes of logistics);
- with slides, a slide change near the sentence start, weighted by how different the new slide is from the
  previous one (consecutive slides with the same title, a "(cont.)" title or similar text are one topic), and a
  cost where no slide change is near (the slides show the topic going on).

The number of chapters comes from the lecture: dynamic programming picks the boundary set that maximises the summed
log-odds (each minus a cost) plus a log-normal length prior around ``CHAPTER_SECONDS`` (shorter when slides show
more distinct topics), with a minimum chapter length; a chosen boundary then moves to a strong cue a few seconds
away. Parameters (``ChapterParams``) were chosen leave-one-course-out on the dev lectures
(benchmarks/devset_eval.py --loco). Titles come from the slide shown in the chapter, else from the topic the
lecturer announces or the chapter's key phrase (``text.titles``).
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.text.summarize import clean_sentence
from lecture_notes.text.textutil import normalize_term
from lecture_notes.text.titles import DEFAULT_PARAMS as TITLE_PARAMS, TitleParams, chapter_title
from lecture_notes.stages.chapter_features import (  # noqa: F401 - re-exported
    FEATURES, MODEL_WEIGHTS, SLIDE_SNAP_S, STRONG_CHANGE, _slide_change, boundary_features, boundary_logit,
    cue_score, slide_changes, strip_continued)
from lecture_notes.core.types import ChapterSpan, Sentence, Slide

log = logging.getLogger(__name__)

__all__ = ["find_chapters", "boundary_scores", "cue_score", "ChapterParams", "CHAPTER_SECONDS", "MIN_CHAPTER_SECONDS"]

CHAPTER_SECONDS = 600.0  # length prior: about one chapter per 10 minutes of speech
MIN_CHAPTER_SECONDS = 150.0
# Log-odds a clear slide change adds, and those taken where the slides show the topic going on: chosen
# leave-one-course-out on the 32 dev lectures with the slides make_video.py shows (benchmarks/video_chapters.py;
# majority of the 18 folds, the other 7 chose 4.0 / 4.0).
W_SLIDE = 8.0
W_SLIDE_QUIET = 4.0
MIN_SLIDE_CHAPTER_SECONDS = 60.0
EDGE_START_S, EDGE_END_S = 60.0, 30.0
CAND_MARGIN = 4.0  # boundaries whose gain is below -CAND_MARGIN are left out of the search


@dataclass(frozen=True)
class ChapterParams:
    """Segmentation parameters (defaults: chosen leave-one-course-out on the dev lectures, see docs/quality.md)."""

    chapter_seconds: float = CHAPTER_SECONDS
    min_chapter_seconds: float = MIN_CHAPTER_SECONDS
    # Boundary model: log-odds = weights[0] + features @ weights[1:] (``chapter_features.FEATURES``), plus
    # ``w_slide`` x the slide change at that sentence, minus ``w_slide_quiet`` where the slides show the topic
    # going on (no clear slide change near the sentence, in a lecture whose slides change topic).
    weights: Tuple[float, ...] = MODEL_WEIGHTS
    w_slide: float = W_SLIDE
    w_slide_quiet: float = W_SLIDE_QUIET
    # Shortest chapter when the slides change topic (``chapter_features`` ``slide_quiet`` is set somewhere).
    min_slide_chapter_seconds: float = MIN_SLIDE_CHAPTER_SECONDS
    # Boundary selection. "dp": the chapter count comes from the lecture - dynamic programming maximises the
    # summed boundary log-odds minus ``boundary_cost`` each, plus ``prior_weight`` x a log-normal length prior
    # around ``chapter_seconds`` (width ``prior_sigma`` in log units). "greedy": a fixed count from the length.
    method: str = "dp"
    boundary_cost: float = -3.0
    prior_weight: float = 1.0
    prior_sigma: float = 0.6
    # A chosen boundary moves to a strong discourse cue this close (seconds; 0: off), see ``snap_to_cues``.
    cue_snap_s: float = 20.0


DEFAULT_PARAMS = ChapterParams()


def combine_features(feats: dict, params: ChapterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Log-odds that each sentence opens a chapter, from ``boundary_features`` (index 0 is always -inf)."""
    score = boundary_logit(feats["x"], params.weights) + params.w_slide * feats["slide"]
    if params.w_slide_quiet and "slide_quiet" in feats:
        score = score - params.w_slide_quiet * feats["slide_quiet"]
    if len(score):
        score[0] = -np.inf
    return score


def boundary_scores(sentences: Sequence[Sentence], slides: Sequence[Slide], embedder,
                    params: ChapterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Per-sentence score that a new chapter starts at that sentence (index 0 is always 0)."""
    return combine_features(boundary_features(sentences, slides, embedder), params)


def _n_strong_slide_changes(slides: Sequence[Slide]) -> int:
    return sum(c >= STRONG_CHANGE for _, c in slide_changes(slides))


def _title(sents: Sequence[Sentence], slides: Sequence[Slide], start: float, end: float,
           background: List[str], used: set, title_params: TitleParams = TITLE_PARAMS) -> str:
    for s in sorted(slides, key=lambda s: s.start):
        if start - SLIDE_SNAP_S <= s.start < end - SLIDE_SNAP_S and strip_continued(s.title):
            title = re.sub(r"\s+", " ", strip_continued(s.title)).strip()
            return title[:80]
    return chapter_title([clean_sentence(s.text) for s in sents], background, used, params=title_params)


def _allowed(times: np.ndarray, duration: float, min_len: float, slide_starts: Sequence[float]) -> np.ndarray:
    """Sentence starts that may open a chapter: not in the opening minute or the closing seconds (unless a slide
    changes there), and leaving room for a first and last chapter."""
    ok = np.ones(len(times), dtype=bool)
    edge_start = min(EDGE_START_S, min_len)
    for i, t in enumerate(times):
        near_slide = any(abs(t - s) <= SLIDE_SNAP_S for s in slide_starts)
        if i == 0 or (not near_slide and (t < edge_start or t > duration - EDGE_END_S)) \
                or t < 0.5 * min_len or duration - t < 0.3 * min_len:
            ok[i] = False
    return ok


def _greedy(times: np.ndarray, score: np.ndarray, allowed: np.ndarray, k: int, min_len: float) -> List[int]:
    picks: List[int] = []
    for i in np.argsort(-score, kind="stable"):
        if len(picks) >= k or not np.isfinite(score[i]):
            break
        if allowed[i] and all(abs(times[i] - times[j]) >= min_len for j in picks):
            picks.append(int(i))
    return sorted(picks)


def _dp(times: np.ndarray, score: np.ndarray, allowed: np.ndarray, duration: float, min_len: float,
        target: float, P: ChapterParams) -> List[int]:
    """Best boundary set: sum of (score - boundary_cost) over boundaries plus the length prior of every chapter."""
    # A boundary whose gain is far below zero is never worth its place: leave it out of the search.
    cand = [0] + [i for i in range(1, len(times)) if allowed[i] and score[i] - P.boundary_cost > -CAND_MARGIN]
    pos = np.array([0.0] + [float(times[i]) for i in cand[1:]] + [float(duration)])
    gain = np.array([0.0] + [float(score[i]) - P.boundary_cost for i in cand[1:]] + [0.0])
    m = len(pos)
    best = np.full(m, -np.inf)
    back = np.zeros(m, dtype=int)
    best[0] = 0.0
    log_target = math.log(max(target, 1.0))
    for j in range(1, m):
        lens = pos[j] - pos[:j]
        ok = (lens >= min_len) & np.isfinite(best[:j])
        if not ok.any():
            continue
        prior = -P.prior_weight * (np.log(np.maximum(lens, 1.0)) - log_target) ** 2 / (2 * P.prior_sigma ** 2)
        val = np.where(ok, best[:j] + prior, -np.inf)
        i = int(np.argmax(val))
        best[j], back[j] = val[i] + gain[j], i
    if not np.isfinite(best[m - 1]):
        return []
    out, j = [], back[m - 1]
    while j > 0:
        out.append(cand[j])
        j = back[j]
    return sorted(out)


def find_chapters(sentences: Sequence[Sentence], slides: Sequence[Slide], embedder, *,
                  duration: float, params: Optional[ChapterParams] = None) -> List[ChapterSpan]:
    """Split the lecture into topic chapters covering [0, duration] contiguously, each with a title.

    Boundaries fall on sentence starts. ``embedder`` (an ``Embedder`` or None for lexical-only) scores cohesion;
    ``slides`` (may be empty) give strong evidence at slide changes. Chapter count: chosen from the lecture's own
    boundary evidence against a length prior of about ``chapter_seconds`` per chapter (shorter when slides show
    more distinct topics), no chapter shorter than ``min_chapter_seconds`` (less for short lectures).
    """
    sents = sorted(sentences, key=lambda s: s.start)
    duration = float(max(duration, sents[-1].end if sents else 0.0))
    if duration <= 0:
        return []
    P = params or DEFAULT_PARAMS
    picks: List[int] = []
    if len(sents) > 2:
        feats = boundary_features(sents, slides, embedder)
        picks = select_boundaries(sents, feats, slides, duration, P)
    return _spans(sents, picks, slides, duration)


def select_boundaries(sents: Sequence[Sentence], feats: dict, slides: Sequence[Slide], duration: float,
                      P: ChapterParams = DEFAULT_PARAMS) -> List[int]:
    """Indices of the sentences that open chapters 2..n, from ``boundary_features`` and the parameters."""
    k_prior = max(0, int(round(duration / P.chapter_seconds)) - 1)
    k = k_prior
    target = P.chapter_seconds
    if slides:
        # Short talks still deserve a chapter per slide topic (a 5-minute lecture with 5 topic slides),
        # long ones are capped near twice the prior so 60 slides don't make 60 chapters.
        cap = max(2 * k_prior + 1, min(int(duration / 50.0), 6))
        k = max(k, min(_n_strong_slide_changes(slides), cap))
        target = min(target, duration / (k + 1))
    min_len = min(P.min_chapter_seconds, duration / (k + 2)) if k else P.min_chapter_seconds
    if P.method == "dp":
        min_len = min(P.min_chapter_seconds, 0.5 * target)
        if "slide_quiet" in feats and np.any(feats["slide_quiet"]):
            # Slides that change topic mark a short opening or closing part too (a 100-s introduction).
            min_len = min(min_len, P.min_slide_chapter_seconds)
    times = np.array([s.start for s in sents])
    score = combine_features(feats, P)
    allowed = _allowed(times, duration, min_len, [s.start for s in slides])
    if P.method == "dp":
        picks = _dp(times, score, allowed, duration, min_len, target, P)
    else:
        picks = _greedy(times, score, allowed, k, min_len) if k else []
    return snap_to_cues(times, feats["x"][:, FEATURES.index("cue")] if len(times) else np.zeros(0), picks,
                        allowed, P.cue_snap_s, [s.start for s in slides])


def snap_to_cues(times: np.ndarray, cue: np.ndarray, picks: Sequence[int], allowed: np.ndarray, window: float,
                 slide_starts: Sequence[float] = ()) -> List[int]:
    """Move each boundary that is not itself a discourse cue to the nearest strong-cue sentence ("So now let's turn
    to plate tectonics") within ``window`` seconds: cohesion finds the region, the lecturer's words the sentence.
    Boundaries at a slide change stay where they are."""
    out: List[int] = []
    for i in picks:
        j = i
        if window > 0 and not cue[i] and not any(abs(times[i] - s) <= SLIDE_SNAP_S for s in slide_starts):
            near = [c for c in range(len(times)) if cue[c] and allowed[c] and abs(times[c] - times[i]) <= window]
            if near:
                j = min(near, key=lambda c: abs(times[c] - times[i]))
        if j not in out:
            out.append(j)
    return sorted(out)


def _spans(sents: Sequence[Sentence], picks: List[int], slides: Sequence[Slide],
           duration: float, title_params: TitleParams = TITLE_PARAMS) -> List[ChapterSpan]:
    starts = [0.0] + [float(sents[i].start) for i in picks]
    ends = starts[1:] + [duration]
    background = _background_docs(sents)
    out: List[ChapterSpan] = []
    used: set = set()
    bounds = [0] + picks + [len(sents)]
    for c, (a, b) in enumerate(zip(starts, ends)):
        title = _title(sents[bounds[c]:bounds[c + 1]], slides, a, b, background, used, title_params) or f"Part {c + 1}"
        used.add(normalize_term(title))
        out.append(ChapterSpan(start=round(a, 3), end=round(b, 3), title=title))
    log.info("found %d chapters in %.0f s (%d slides)", len(out), duration, len(slides))
    return out


def _background_docs(sents: Sequence[Sentence], span: float = 60.0) -> List[str]:
    """The lecture cut into ~``span``-second documents: the idf background that makes chapter phrases specific."""
    docs, cur, t0 = [], [], None
    for s in sents:
        if t0 is None:
            t0 = s.start
        cur.append(s.text)
        if s.end - t0 >= span:
            docs.append(" ".join(cur))
            cur, t0 = [], None
    if cur:
        docs.append(" ".join(cur))
    return docs
