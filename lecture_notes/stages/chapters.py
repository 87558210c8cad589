"""Topic chapters of a lecture from slide changes, discourse cues, pauses and TextTiling-style cohesion.

Every sentence start is a candidate boundary, scored by:

- slide evidence: a slide change near the sentence start, weighted by how different the new slide is from the
  previous one (consecutive slides with the same title / similar text are one topic);
- discourse cues that lecturers use to open a topic ("Let's talk about", "I want to begin by", "So that gets us
  into", "To summarize", "the next question");
- a pause before the sentence;
- TextTiling depth scores of embedding similarity and of tf-idf lexical similarity between the sentences in the
  time blocks before and after the candidate (several block sizes, averaged).

The number of chapters comes from the lecture: dynamic programming picks the boundary set that maximises the summed
boundary scores (each minus a cost) plus a log-normal length prior around ``CHAPTER_SECONDS`` (shorter when slides
show more distinct topics), with a minimum chapter length. Parameters (``ChapterParams``) were chosen
leave-one-course-out on the dev lectures (benchmarks/devset_eval.py --loco). Titles come from the slide shown in
the chapter, else from the topic the lecturer announces or the chapter's key phrase (``text.titles``).
"""
from __future__ import annotations

import bisect
import logging
import math
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.text.summarize import clean_sentence
from lecture_notes.text.textutil import content_words, normalize_term, stem
from lecture_notes.text.titles import chapter_title
from lecture_notes.core.types import ChapterSpan, Sentence, Slide

log = logging.getLogger(__name__)

__all__ = ["find_chapters", "boundary_scores", "cue_score", "ChapterParams", "CHAPTER_SECONDS", "MIN_CHAPTER_SECONDS"]

CHAPTER_SECONDS = 450.0  # length prior: about one chapter per 7-8 minutes of speech
MIN_CHAPTER_SECONDS = 150.0
BLOCK_SECONDS = (120.0, 180.0, 240.0)
W_CUE, W_PAUSE, W_EMB, W_LEX, W_SLIDE = 1.0, 0.5, 1.0, 0.5, 2.0
EDGE_START_S, EDGE_END_S = 60.0, 30.0
SLIDE_SNAP_S = 10.0


@dataclass(frozen=True)
class ChapterParams:
    """Segmentation parameters (defaults: chosen leave-one-course-out on the dev lectures, see docs/quality.md)."""

    chapter_seconds: float = CHAPTER_SECONDS
    min_chapter_seconds: float = MIN_CHAPTER_SECONDS
    blocks: Tuple[float, ...] = BLOCK_SECONDS
    w_cue: float = W_CUE
    w_pause: float = W_PAUSE
    w_emb: float = W_EMB
    w_lex: float = W_LEX
    w_slide: float = W_SLIDE
    # Boundary selection. "dp": the chapter count comes from the lecture - dynamic programming maximises the
    # summed boundary scores minus ``boundary_cost`` each, plus ``prior_weight`` x a log-normal length prior
    # around ``chapter_seconds`` (width ``prior_sigma`` in log units). "greedy": a fixed count from the length.
    method: str = "dp"
    boundary_cost: float = 0.6
    prior_weight: float = 1.0
    prior_sigma: float = 0.6


DEFAULT_PARAMS = ChapterParams()

_VERBS = r"(?:talk|turn|look|go|move|consider|begin|start|get|shift|think|focus|come|switch|review|discuss|examine)"
_STRONG_CUES = [re.compile(p, re.I) for p in (
    r"\blet'?s (?:now )?" + _VERBS + r"\b", r"\blet us (?:now )?" + _VERBS + r"\b",
    r"\blet me (?:now )?(?:turn|talk|begin|start|move|introduce|conclude|summari[sz]e|sum up|go on|switch|review|"
    r"shift|return|come)\b",
    r"\bI (?:want|'d like|would like|wanted|need|have|'m going|am going) to (?:now )?(?:begin|start|turn|talk|move|"
    r"discuss|conclude|introduce|review|shift|switch|go on|spend|look|return|come back|sum up|summari[sz]e)\b"
    r"(?! about (?:that |this |it )?later)(?! later)",
    r"\b(?:we're|we are|we'll|we will) (?:now )?(?:about to |going to )?(?:turn|move|talk|begin|start|look|switch|"
    r"shift|go on|come)\b",
    r"\b(?:now turn|turn now) to\b", r"\bmov(?:e|ing) on\b",
    r"\b(?:that|this|which) (?:gets|brings|leads|takes) us\b",
    r"\b(?:the|our) (?:next|second|third|fourth|last|final|other) (?:topic|thing|point|question|part|issue|subject|"
    r"idea|section|step|example|argument|problem|theme)\b",
    r"\bto (?:summari[sz]e|sum up|conclude|recap|wrap up)\b", r"\bin (?:conclusion|summary|sum)\b",
    r"\b(?:stop|end|finish) (?:here|there|for today|today)\b", r"\bwhere I want to (?:stop|end|finish)\b",
    r"\bnext time\b", r"\btoday,? (?:we|I)(?:'re| are|'ll| will| want)\b", r"\bfor today\b",
    r"\b(?:first|firstly|second|secondly|third|thirdly|finally|lastly)\b,",
    r"\bthe (?:basic|main|key|central|big) (?:idea|question|point|problem|issue) (?:here |of |is )",
    r"^(?:and |so |okay,? |ok,? )*finally\b", r"\bnow,? the (?:second|third|next|last|other|final) (?:example|one|thing|"
    r"topic|case|point|question|reaction|poem|part)\b", r"\bI(?:'ll| will) (?:now |just |briefly )?mention\b",
    r"\b(?:turn|go|come) back to\b", r"\blet'?s (?:now )?(?:see|try|do|take)\b",
)]
_WEAK_CUES = [re.compile(p, re.I) for p in (
    r"^(?:now|okay|ok|all right|alright|so|well|right)\b[,.]?\s+", r"^(?:but )?(?:just )?what (?:is|was|are|were|does|did)\b",
    r"^consider\b", r"^(?:and )?(?:so )?(?:now|next)\b",
)]


def cue_score(text: str) -> float:
    """0..1: how strongly a sentence's opening words announce a new topic (discourse cue phrases)."""
    head = text[:140]
    score = 1.0 if any(r.search(head) for r in _STRONG_CUES) else 0.0
    if any(r.search(head) for r in _WEAK_CUES):
        score += 0.3
    return min(score, 1.0)


def _block_similarity(times: np.ndarray, vecs: np.ndarray, width: float) -> np.ndarray:
    """Cosine between summed vectors of the sentences in [t-width, t) and [t, t+width) for each sentence start t."""
    n = len(times)
    csum = np.vstack([np.zeros((1, vecs.shape[1]), dtype=np.float64), np.cumsum(vecs, axis=0, dtype=np.float64)])
    sims = np.ones(n)
    for i in range(1, n):
        lo = min(bisect.bisect_left(times, times[i] - width), i - 1)
        hi = max(bisect.bisect_left(times, times[i] + width), i + 1)
        a, b = csum[i] - csum[lo], csum[hi] - csum[i]
        sims[i] = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-9))
    if n > 1:
        sims[0] = sims[1]
    return sims


def _depth(sims: np.ndarray) -> np.ndarray:
    """TextTiling depth: climb to the highest similarity on each side and add both drops."""
    s = np.convolve(np.pad(sims, 1, mode="edge"), np.ones(3) / 3, mode="valid")  # light smoothing
    n = len(s)
    out = np.zeros(n)
    for i in range(1, n):
        left, j = s[i], i
        while j > 0 and s[j - 1] >= left:
            left, j = s[j - 1], j - 1
        right, j = s[i], i
        while j < n - 1 and s[j + 1] >= right:
            right, j = s[j + 1], j + 1
        out[i] = (left - s[i]) + (right - s[i])
    return out


def _normalise(x: np.ndarray) -> np.ndarray:
    hi = float(np.percentile(x, 98)) if len(x) else 0.0
    return np.clip(x / hi, 0.0, 1.5) if hi > 0 else np.zeros_like(x)


def _tfidf(texts: Sequence[str]) -> np.ndarray:
    toks = [[stem(w) for w in content_words(t)] for t in texts]
    df: dict = {}
    for ts in toks:
        for w in set(ts):
            df[w] = df.get(w, 0) + 1
    vocab = {w: k for k, w in enumerate(w for w, c in df.items() if c >= 2)}  # hapaxes link nothing
    mat = np.zeros((len(texts), max(1, len(vocab))), dtype=np.float32)
    n = len(texts)
    for i, ts in enumerate(toks):
        for w in ts:
            k = vocab.get(w)
            if k is not None:
                mat[i, k] += math.log((1 + n) / (1 + df[w])) + 1.0
    return mat


def _slide_change(prev: Slide, cur: Slide, sim_emb: Optional[float]) -> float:
    """0..1: how much the topic changes from slide ``prev`` to ``cur`` (same title / similar text -> low)."""
    pt, ct = normalize_term(prev.title), normalize_term(cur.title)
    ct_base = re.sub(r"\b(?:cont|continu)\w*\b", "", ct).strip()
    if pt and ct and (pt == ct or (ct_base and ct_base == pt)):
        return 0.0
    a = {stem(w) for w in content_words(prev.title + " " + prev.text)}
    b = {stem(w) for w in content_words(cur.title + " " + cur.text)}
    if not a and not b:
        return 0.6  # a change between unreadable slides is still a visual event
    sim = len(a & b) / max(1, len(a | b))
    if sim_emb is not None:
        sim = max(sim, min(1.0, max(0.0, (sim_emb - 0.25) / 0.55)))
    return float(1.0 - sim)


def boundary_features(sentences: Sequence[Sentence], slides: Sequence[Slide], embedder,
                      blocks: Sequence[float] = BLOCK_SECONDS) -> dict:
    """Per-sentence evidence that a chapter starts there: ``cue`` (0..1 discourse cue), ``pause`` (0..1 silence
    before it, scaled by this transcript's own pauses), ``emb``/``lex`` (TextTiling depth of embedding / tf-idf
    block similarity, averaged over ``blocks`` seconds, ~0..1) and ``slide`` (0..1 topic change of a slide shown
    within ``SLIDE_SNAP_S``)."""
    n = len(sentences)
    times = np.array([s.start for s in sentences], dtype=np.float64)
    texts = [s.text for s in sentences]
    gaps = np.array([0.0] + [sentences[i].start - sentences[i - 1].end for i in range(1, n)])
    # Scale pauses by this transcript's own pause distribution: ASR segments have many short gaps, captions few.
    gap_scale = max(2.0, float(np.percentile(gaps, 95))) if n else 2.0
    feats = {"cue": np.array([cue_score(t) for t in texts], dtype=np.float64),
             "pause": np.clip(gaps / gap_scale, 0.0, 1.0), "emb": np.zeros(n), "lex": np.zeros(n),
             "slide": np.zeros(n)}
    # Cleaned text (no speaker tags, fillers, stutters): the same strings the notes stage embeds, so the
    # embedder's cache serves both.
    emb = np.asarray(embedder.embed([clean_sentence(t) for t in texts]), dtype=np.float32) \
        if embedder is not None and n else None
    lex = _tfidf(texts)
    for w in blocks:
        if emb is not None:
            feats["emb"] += _normalise(_depth(_block_similarity(times, emb, w))) / len(blocks)
        feats["lex"] += _normalise(_depth(_block_similarity(times, lex, w))) / len(blocks)
    ordered = sorted(slides, key=lambda s: s.start)
    if len(ordered) > 1 and n:
        slide_emb = None
        if embedder is not None:
            slide_emb = np.asarray(embedder.embed([(s.title + ". " + s.text).strip(". ") or "-" for s in ordered]))
        for k in range(1, len(ordered)):
            cos = float(slide_emb[k - 1] @ slide_emb[k]) if slide_emb is not None else None
            change = _slide_change(ordered[k - 1], ordered[k], cos)
            i = int(np.argmin(np.abs(times - ordered[k].start)))
            if abs(times[i] - ordered[k].start) <= SLIDE_SNAP_S and change > 0:
                feats["slide"][i] = max(feats["slide"][i], change)
    return feats


def combine_features(feats: dict, params: ChapterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Weighted sum of ``boundary_features`` (index 0 is always 0)."""
    P = params
    score = (P.w_cue * feats["cue"] + P.w_pause * feats["pause"] + P.w_emb * feats["emb"] + P.w_lex * feats["lex"]
             + P.w_slide * feats["slide"])
    if len(score):
        score[0] = 0.0
    return score


def boundary_scores(sentences: Sequence[Sentence], slides: Sequence[Slide], embedder,
                    params: ChapterParams = DEFAULT_PARAMS) -> np.ndarray:
    """Per-sentence score that a new chapter starts at that sentence (index 0 is always 0)."""
    return combine_features(boundary_features(sentences, slides, embedder, params.blocks), params)


def _n_strong_slide_changes(slides: Sequence[Slide]) -> int:
    ordered = sorted(slides, key=lambda s: s.start)
    return sum(_slide_change(a, b, None) >= 0.5 for a, b in zip(ordered, ordered[1:]))


def _title(sents: Sequence[Sentence], slides: Sequence[Slide], start: float, end: float,
           background: List[str], used: set) -> str:
    for s in sorted(slides, key=lambda s: s.start):
        if start - SLIDE_SNAP_S <= s.start < end - SLIDE_SNAP_S and s.title.strip():
            title = re.sub(r"\s+", " ", s.title).strip()
            return title[:80]
    return chapter_title([clean_sentence(s.text) for s in sents], background, used)


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
        if len(picks) >= k or score[i] <= 0:
            break
        if allowed[i] and all(abs(times[i] - times[j]) >= min_len for j in picks):
            picks.append(int(i))
    return sorted(picks)


def _dp(times: np.ndarray, score: np.ndarray, allowed: np.ndarray, duration: float, min_len: float,
        target: float, P: ChapterParams) -> List[int]:
    """Best boundary set: sum of (score - boundary_cost) over boundaries plus the length prior of every chapter."""
    cand = [0] + [i for i in range(1, len(times)) if allowed[i] and score[i] > 0]
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
        feats = boundary_features(sents, slides, embedder, P.blocks)
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
    times = np.array([s.start for s in sents])
    score = combine_features(feats, P)
    allowed = _allowed(times, duration, min_len, [s.start for s in slides])
    if P.method == "dp":
        return _dp(times, score, allowed, duration, min_len, target, P)
    return _greedy(times, score, allowed, k, min_len) if k else []


def _spans(sents: Sequence[Sentence], picks: List[int], slides: Sequence[Slide],
           duration: float) -> List[ChapterSpan]:
    starts = [0.0] + [float(sents[i].start) for i in picks]
    ends = starts[1:] + [duration]
    background = _background_docs(sents)
    out: List[ChapterSpan] = []
    used: set = set()
    bounds = [0] + picks + [len(sents)]
    for c, (a, b) in enumerate(zip(starts, ends)):
        title = _title(sents[bounds[c]:bounds[c + 1]], slides, a, b, background, used) or f"Part {c + 1}"
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
