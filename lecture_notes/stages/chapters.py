"""Topic chapters of a lecture from slide changes, discourse cues, pauses and TextTiling-style cohesion.

Every sentence start is a candidate boundary, scored by:

- slide evidence: a slide change near the sentence start, weighted by how different the new slide is from the
  previous one (consecutive slides with the same title / similar text are one topic);
- discourse cues that lecturers use to open a topic ("Let's talk about", "I want to begin by", "So that gets us
  into", "To summarize", "the next question");
- a pause before the sentence;
- TextTiling depth scores of embedding similarity and of tf-idf lexical similarity between the sentences in the
  time blocks before and after the candidate (several block sizes, averaged).

The number of boundaries follows a prior of about one chapter per ``CHAPTER_SECONDS`` (more when slides show
more distinct topics); boundaries are picked greedily by score with a minimum chapter length. Titles come from the
slide shown in the chapter, else from key phrases of its text against the whole lecture.
"""
from __future__ import annotations

import bisect
import logging
import math
import re
from typing import List, Optional, Sequence

import numpy as np

from lecture_notes.text.textutil import content_words, normalize_term, stem, tfidf_keyphrases, title_case
from lecture_notes.core.types import ChapterSpan, Sentence, Slide

log = logging.getLogger(__name__)

__all__ = ["find_chapters", "boundary_scores", "cue_score", "CHAPTER_SECONDS", "MIN_CHAPTER_SECONDS"]

CHAPTER_SECONDS = 400.0  # prior: about one chapter per 6-7 minutes of speech
MIN_CHAPTER_SECONDS = 150.0
BLOCK_SECONDS = (90.0, 120.0, 180.0)
W_CUE, W_PAUSE, W_EMB, W_LEX, W_SLIDE = 1.0, 0.5, 0.25, 0.25, 2.0
EDGE_START_S, EDGE_END_S = 60.0, 30.0
SLIDE_SNAP_S = 10.0

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


def boundary_scores(sentences: Sequence[Sentence], slides: Sequence[Slide], embedder) -> np.ndarray:
    """Per-sentence score that a new chapter starts at that sentence (index 0 is always 0)."""
    n = len(sentences)
    times = np.array([s.start for s in sentences], dtype=np.float64)
    texts = [s.text for s in sentences]
    gaps = np.array([0.0] + [sentences[i].start - sentences[i - 1].end for i in range(1, n)])
    # Scale pauses by this transcript's own pause distribution: ASR segments have many short gaps, captions few.
    gap_scale = max(2.0, float(np.percentile(gaps, 95))) if n else 2.0
    score = W_CUE * np.array([cue_score(t) for t in texts]) + W_PAUSE * np.clip(gaps / gap_scale, 0.0, 1.0)
    emb = np.asarray(embedder.embed(texts), dtype=np.float32) if embedder is not None and n else None
    lex = _tfidf(texts)
    for w in BLOCK_SECONDS:
        if emb is not None:
            score += W_EMB / len(BLOCK_SECONDS) * _normalise(_depth(_block_similarity(times, emb, w)))
        score += W_LEX / len(BLOCK_SECONDS) * _normalise(_depth(_block_similarity(times, lex, w)))
    ordered = sorted(slides, key=lambda s: s.start)
    if len(ordered) > 1:
        slide_emb = None
        if embedder is not None:
            slide_emb = np.asarray(embedder.embed([(s.title + ". " + s.text).strip(". ") or "-" for s in ordered]))
        for k in range(1, len(ordered)):
            cos = float(slide_emb[k - 1] @ slide_emb[k]) if slide_emb is not None else None
            change = _slide_change(ordered[k - 1], ordered[k], cos)
            i = int(np.argmin(np.abs(times - ordered[k].start)))
            if abs(times[i] - ordered[k].start) <= SLIDE_SNAP_S and change > 0:
                score[i] += W_SLIDE * change
    score[0] = 0.0
    return score


def _n_strong_slide_changes(slides: Sequence[Slide]) -> int:
    ordered = sorted(slides, key=lambda s: s.start)
    return sum(_slide_change(a, b, None) >= 0.5 for a, b in zip(ordered, ordered[1:]))


def _title(sents: Sequence[Sentence], slides: Sequence[Slide], start: float, end: float,
           background: List[str], used: set) -> str:
    for s in sorted(slides, key=lambda s: s.start):
        if start - SLIDE_SNAP_S <= s.start < end - SLIDE_SNAP_S and s.title.strip():
            title = re.sub(r"\s+", " ", s.title).strip()
            return title[:80]
    phrases = tfidf_keyphrases([s.text for s in sents], 4, background=background)
    for p in phrases:  # a title used by an earlier chapter is replaced by the next phrase
        if normalize_term(p) in used:
            continue
        if len(p.split()) == 1:
            others = [q for q in phrases[:4] if q != p and len(q.split()) <= 3 and normalize_term(q) not in used]
            others.sort(key=lambda q: len(q.split()) == 1)  # a multi-word partner says more than a word
            if others:
                p = f"{p} and {others[0]}"
        return title_case(" ".join(p.split()[:6]))
    return ""


def find_chapters(sentences: Sequence[Sentence], slides: Sequence[Slide], embedder, *,
                  duration: float) -> List[ChapterSpan]:
    """Split the lecture into topic chapters covering [0, duration] contiguously, each with a title.

    Boundaries fall on sentence starts. ``embedder`` (an ``Embedder`` or None for lexical-only) scores cohesion;
    ``slides`` (may be empty) give strong evidence at slide changes. Chapter count: about one per
    ``CHAPTER_SECONDS`` of lecture, more when slides show more distinct topics (at most about twice the prior),
    no chapter shorter than ``MIN_CHAPTER_SECONDS`` (less for short lectures).
    """
    sents = sorted(sentences, key=lambda s: s.start)
    duration = float(max(duration, sents[-1].end if sents else 0.0))
    if duration <= 0:
        return []
    k_prior = max(0, int(round(duration / CHAPTER_SECONDS)) - 1)
    k = k_prior
    if slides:
        # Short talks still deserve a chapter per slide topic (a 5-minute lecture with 5 topic slides),
        # long ones are capped near twice the prior so 60 slides don't make 60 chapters.
        cap = max(2 * k_prior + 1, min(int(duration / 50.0), 6))
        k = max(k, min(_n_strong_slide_changes(slides), cap))
    min_len = min(MIN_CHAPTER_SECONDS, duration / (k + 2)) if k else MIN_CHAPTER_SECONDS
    picks: List[int] = []
    if k and len(sents) > 2:
        score = boundary_scores(sents, slides, embedder)
        times = np.array([s.start for s in sents])
        edge_start = min(EDGE_START_S, min_len)
        slide_starts = [s.start for s in slides]
        for i in np.argsort(-score, kind="stable"):
            if len(picks) >= k or score[i] <= 0:
                break
            t = times[i]
            near_slide = any(abs(t - s) <= SLIDE_SNAP_S for s in slide_starts)
            if not near_slide and (t < edge_start or t > duration - EDGE_END_S):
                continue
            if t < 0.5 * min_len or duration - t < 0.3 * min_len:
                continue
            if all(abs(t - times[j]) >= min_len for j in picks):
                picks.append(int(i))
        picks.sort()
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
    log.info("found %d chapters in %.0f s (prior %d boundaries, %d slides)", len(out), duration, k_prior,
             len(slides))
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
