"""Per-sentence evidence that a topic chapter starts there (used by ``stages.chapters``).

- discourse cues lecturers use to open a topic ("Let's talk about", "So that gets us into", "Now we're ready to
  talk about", "Well, where does syphilis come from?"), and a check for questions just before ("Questions here?");
- the pause before the sentence;
- TextTiling depth scores of embedding and tf-idf similarity between the time blocks before and after it;
- whether the sentence's own words belong to the minute after it more than to the minute before (the sentence
  that opens a topic names it: "So let's look at the Second Great Awakening" shares its terms with what follows);
- slide changes, weighted by how different the new slide is from the previous one (the titles decide when both
  have one: "Refuting the Argument (cont.)" continues "Refuting the Argument"; a footer repeated on most slides
  is left out), and where the slides say the topic goes on (no clear slide change near the sentence).
"""
from __future__ import annotations

import bisect
import math
import re
from typing import List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.core.types import Sentence, Slide
from lecture_notes.text.summarize import clean_sentence
from lecture_notes.text.textutil import content_words, normalize_term, stem

__all__ = ["cue_score", "boundary_features", "boundary_logit", "slide_changes", "slide_boilerplate", "strip_continued",
           "FEATURES", "MODEL_WEIGHTS", "SLIDE_SNAP_S", "STRONG_CHANGE"]

SLIDE_SNAP_S = 10.0
OPENS_WIDTH_S = 60.0  # context of ``_opens_topic``: the minute before and the minute after a sentence
STRONG_CHANGE = 0.5  # a slide change at least this large is a clear change of topic
SLIDE_REACH_S = 30.0  # a slide change counts at the sentence starting nearest it, at most this far
QUIET_CHANGE = 0.25  # no slide change at least this large nearby: the slides show the topic going on
# TextTiling block widths (seconds), averaged per set: short, medium and wide context.
BLOCK_SETS = (("", (120.0, 180.0, 240.0)), ("_medium", (180.0, 240.0, 300.0)), ("_wide", (300.0, 420.0, 600.0)))
# Inputs of the boundary model, in weight order: discourse cues (strong / weak opener), a check for questions in
# the two sentences before ("Questions here?"), the pause before, TextTiling depths, and the lecture's shape
# (lectures open with logistics for a few minutes and often close with a short wrap-up), and how much more the
# sentence's tf-idf vector resembles the next minute than the previous one (``_opens_topic``).
FEATURES = ("cue", "weak_cue", "after_check", "pause", "emb", "lex", "emb_medium", "lex_medium", "emb_wide",
            "lex_wide", "opening", "closing", "lex_opens")
# Logistic-regression weights (bias first, then FEATURES), fitted on all 32 dev lectures (18 courses) by
# benchmarks/chapter_model.py; a sentence counts as a boundary within 15 s of a course's chapter start.
# Leave-one-course-out figures (each course scored by weights fitted on the other courses): docs/quality.md.
MODEL_WEIGHTS = (-3.7799, 0.8719, 0.2219, 0.6452, 0.5177, 0.5329, 0.5587, 0.3042, 0.1637, -0.1054, 0.7068,
                 0.1454, -0.3121, 0.0776)

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
    # "Now we're ready to talk about metals", "So the last thing I want to talk about", "I want to do one other
    # thing today", "Another issue that comes up is", "So we conclude by talking about", "Okay, now how about",
    # "Okay, now here's a question", "here I want to bring up another", "Well, where does syphilis come from?"
    r"\b(?:we're|we are|I'm|I am) (?:now )?ready to (?:talk|start|turn|look|discuss|move|begin|go on)\b",
    r"\b(?:the|one) (?:last|next|final|other|first) thing (?:I|we) (?:want|'d like|would like|wanted|need|have) to\b",
    r"\b(?:I want|I'd like|I would like|I wanted) to do (?:one|another|one other|something) (?:other |more |else )?"
    r"thing\b",
    r"\bwhat (?:I'd|I would|I want to|I'd like to|we're going to|we'll) (?:like to )?do (?:today|now|next)\b",
    r"^(?:\w+,? ){0,2}another (?:issue|question|thing|point|topic|example|aspect|problem|case|idea) (?:that|which|is|I)\b",
    r"\b(?:we|I)(?:'ll| will)? conclude (?:by|with)\b",
    r"^(?:(?:okay|ok|so|now|well|and|all right)[,.]? )*(?:now )?(?:how|what) about\b",
    r"\bhere(?:'s| is) (?:a|the|another|my|his|her|their) (?:question|proof|problem|idea|point|example)\b",
    r"\b(?:I want|I'd like|I would like|let me) to (?:bring up|look back|go back|turn back)\b",
    r"^(?:(?:okay|ok|so|now|well|and|all right|but)[,.]? )+(?:where|what|why|how|who)\b[^.?!]{0,120}\?",
)]
# A lecturer closing a topic by inviting questions ("Questions here?", "Any questions?", "Anything else?").
_AUDIENCE_CHECK = re.compile(r"^(?:(?:okay|ok|so|now|well|all right|any)[,.]? )*(?:any |other |more )?"
                             r"(?:questions?|comments?|anything else|thoughts)\b[^.?!]{0,40}\?\s*$", re.I)
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


def _opens_topic(times: np.ndarray, vecs: np.ndarray, width: float = OPENS_WIDTH_S) -> np.ndarray:
    """Per sentence: cosine of its (row-normalised) vector with the sum of the sentences in the following
    ``width`` seconds minus that with the preceding ``width`` seconds, scaled by the lecture's 98th percentile of
    the absolute value and clipped to [-1.5, 1.5]. Positive where a sentence introduces what comes next."""
    n = len(times)
    out = np.zeros(n)
    if n < 3:
        return out
    v = np.asarray(vecs, dtype=np.float64)
    v = v / (np.linalg.norm(v, axis=1, keepdims=True) + 1e-9)
    csum = np.vstack([np.zeros((1, v.shape[1])), np.cumsum(v, axis=0)])
    for i in range(1, n):
        lo = min(bisect.bisect_left(times, times[i] - width), i - 1)
        hi = min(max(bisect.bisect_left(times, times[i] + width), i + 2), n)
        before = csum[i] - csum[lo]
        after = csum[hi] - csum[i + 1] if hi > i + 1 else np.zeros(v.shape[1])
        out[i] = float(v[i] @ after / (np.linalg.norm(after) + 1e-9) - v[i] @ before / (np.linalg.norm(before) + 1e-9))
    hi = float(np.percentile(np.abs(out), 98))
    return np.clip(out / hi, -1.5, 1.5) if hi > 0 else out


_CONT_RE = re.compile(r"\s*[\(\[]?\b(?:cont(?:inued|'d|d)?|ctd)\b\.?[\)\]]?\s*$", re.I)


def strip_continued(title: str) -> str:
    """A slide title without a trailing continuation mark: "Refuting the Argument (cont.)" -> "Refuting the
    Argument" ("(continued)", "cont'd", "[ctd]" too)."""
    return _CONT_RE.sub("", title).strip()


def _line_key(line: str) -> str:
    return re.sub(r"[\d\W_]+", " ", line.lower()).strip()


def slide_boilerplate(slides: Sequence[Slide]) -> set:
    """Text lines repeated on at least half of the slides (3 or more): a footer with the course name, the
    lecturer, a page number. Keys as ``_line_key`` makes them (lower case, digits and punctuation dropped)."""
    if len(slides) < 3:
        return set()
    counts: dict = {}
    for sl in slides:
        for key in {_line_key(ln) for ln in sl.text.splitlines()}:
            if key:
                counts[key] = counts.get(key, 0) + 1
    return {k for k, c in counts.items() if c >= max(3, 0.5 * len(slides))}


def _slide_words(slide: Slide, boilerplate: set, with_title: bool = True) -> set:
    lines = [ln for ln in slide.text.splitlines() if _line_key(ln) not in boilerplate]
    text = (strip_continued(slide.title) + " " if with_title else "") + " ".join(lines)
    return {stem(w) for w in content_words(text)}


def _heading(slide: Slide, boilerplate: frozenset) -> str:
    """The slide's title, or when OCR found none (a title wrapped onto two lines in the body's font size), its
    first text line that is not boilerplate; without a continuation mark."""
    if strip_continued(slide.title):
        return strip_continued(slide.title)
    first = next((ln for ln in slide.text.splitlines() if ln.strip() and _line_key(ln) not in boilerplate), "")
    return strip_continued(first.strip())


def _slide_change(prev: Slide, cur: Slide, sim_emb: Optional[float], boilerplate: frozenset = frozenset()) -> float:
    """0..1: how much the topic changes from slide ``prev`` to ``cur``.

    Both with a heading (the title, else the first line): the headings decide (the same or a continuation -> 0,
    else 1 - the word overlap of the two). Otherwise: 1 - the overlap of the slides' words (lines repeated on most slides left out), or of
    their embeddings (``sim_emb``) when higher."""
    ph, ch = _heading(prev, boilerplate), _heading(cur, boilerplate)
    pt, ct = normalize_term(ph), normalize_term(ch)
    if pt and ct:
        if pt == ct:
            return 0.0
        a, b = set(pt.split()), set(ct.split())
        a_c = {stem(w) for w in content_words(ph)} or a
        b_c = {stem(w) for w in content_words(ch)} or b
        return float(1.0 - len(a_c & b_c) / max(1, len(a_c | b_c)))
    a = _slide_words(prev, boilerplate)
    b = _slide_words(cur, boilerplate)
    if not a and not b:
        return 0.6  # a change between unreadable slides is still a visual event
    sim = len(a & b) / max(1, len(a | b))
    if sim_emb is not None:
        sim = max(sim, min(1.0, max(0.0, (sim_emb - 0.25) / 0.55)))
    return float(1.0 - sim)


def slide_changes(slides: Sequence[Slide], embedder=None) -> List[Tuple[float, float]]:
    """(time, 0..1 topic change) of every slide change, in time order (``_slide_change``)."""
    ordered = sorted(slides, key=lambda s: s.start)
    if len(ordered) < 2:
        return []
    boiler = frozenset(slide_boilerplate(ordered))
    slide_emb = None
    # Embeddings only matter for a change between slides that are not both titled.
    if embedder is not None and not all(normalize_term(_heading(sl, boiler)) for sl in ordered):
        texts = []
        for sl in ordered:
            body = " ".join(ln for ln in sl.text.splitlines() if _line_key(ln) not in boiler)
            texts.append((strip_continued(sl.title) + ". " + body).strip(". ") or "-")
        slide_emb = np.asarray(embedder.embed(texts))
    out = []
    for k in range(1, len(ordered)):
        cos = float(slide_emb[k - 1] @ slide_emb[k]) if slide_emb is not None else None
        out.append((float(ordered[k].start), _slide_change(ordered[k - 1], ordered[k], cos, boiler)))
    return out


def boundary_features(sentences: Sequence[Sentence], slides: Sequence[Slide], embedder) -> dict:
    """Per-sentence evidence that a chapter starts there: ``x`` (n x len(FEATURES) matrix, the boundary model's
    inputs, see ``FEATURES``), ``slide`` (0..1 topic change of the slide shown nearest the sentence start, within
    ``SLIDE_REACH_S``) and
    ``slide_quiet`` (1 where no slide change of at least ``QUIET_CHANGE`` is within ``SLIDE_SNAP_S`` or attached to the sentence, in a lecture whose slides change
    at least twice, once by that much; else 0)."""
    n = len(sentences)
    times = np.array([s.start for s in sentences], dtype=np.float64)
    texts = [s.text for s in sentences]
    duration = max((s.end for s in sentences), default=0.0)
    gaps = np.array([0.0] + [sentences[i].start - sentences[i - 1].end for i in range(1, n)])
    # Scale pauses by this transcript's own pause distribution: ASR segments have many short gaps, captions few.
    gap_scale = max(2.0, float(np.percentile(gaps, 95))) if n else 2.0
    heads = [t[:140] for t in texts]
    check = np.array([bool(_AUDIENCE_CHECK.search(t.strip())) for t in texts], dtype=np.float64)
    after_check = np.zeros(n)
    if n > 1:
        after_check[1:] = check[:-1]
        after_check[2:] = np.maximum(after_check[2:], check[:-2])
    cols = {"cue": np.array([float(any(r.search(h) for r in _STRONG_CUES)) for h in heads]),
            "weak_cue": np.array([float(any(r.search(h) for r in _WEAK_CUES)) for h in heads]),
            "after_check": after_check, "pause": np.clip(gaps / gap_scale, 0.0, 1.0),
            "opening": ((times >= 60.0) & (times <= 300.0)).astype(np.float64),
            "closing": (times >= duration - 300.0).astype(np.float64)}
    # Cleaned text (no speaker tags, fillers, stutters): the same strings the notes stage embeds, so the
    # embedder's cache serves both.
    emb = np.asarray(embedder.embed([clean_sentence(t) for t in texts]), dtype=np.float32) \
        if embedder is not None and n else None
    lex = _tfidf(texts)
    cols["lex_opens"] = _opens_topic(times, lex)
    for name, blocks in BLOCK_SETS:
        cols["emb" + name] = np.zeros(n)
        cols["lex" + name] = np.zeros(n)
        for w in blocks:
            if emb is not None:
                cols["emb" + name] += _normalise(_depth(_block_similarity(times, emb, w))) / len(blocks)
            cols["lex" + name] += _normalise(_depth(_block_similarity(times, lex, w))) / len(blocks)
    feats = {"x": np.column_stack([cols[f] for f in FEATURES]) if n else np.zeros((0, len(FEATURES))),
             "slide": np.zeros(n), "slide_quiet": np.zeros(n)}
    # Topic changes at slide changes, and where the slides say the topic goes on ("quiet": no slide change of
    # QUIET_CHANGE or more within SLIDE_SNAP_S, in a lecture whose slides change at least twice, once in topic).
    changes = slide_changes(slides, embedder) if n else []
    strong = [t for t, c in changes if c >= QUIET_CHANGE]
    attached = []
    for t, change in changes:
        # The sentence starting nearest the change; ASR sentences can be long, so up to SLIDE_REACH_S away.
        i = int(np.argmin(np.abs(times - t)))
        if abs(times[i] - t) > SLIDE_REACH_S:
            continue
        if change >= QUIET_CHANGE:
            attached.append(i)
        if change > 0:
            feats["slide"][i] = max(feats["slide"][i], change)
    if len(changes) >= 2 and strong:
        near = np.min(np.abs(times[:, None] - np.array(strong)[None, :]), axis=1) <= SLIDE_SNAP_S
        near[attached] = True
        feats["slide_quiet"] = (~near).astype(np.float64)
    return feats


def boundary_logit(x: np.ndarray, weights: Sequence[float] = MODEL_WEIGHTS) -> np.ndarray:
    """Log-odds that each sentence opens a chapter: ``weights[0]`` + ``x @ weights[1:]`` (``x`` from
    ``boundary_features``)."""
    w = np.asarray(weights, dtype=np.float64)
    return w[0] + np.asarray(x, dtype=np.float64) @ w[1:] if len(x) else np.zeros(0)
