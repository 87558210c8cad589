"""Shared non-generative ranking for the extractive note writer and the merge stage.

Spoken-sentence cleaning (speaker tags, fillers, leading discourse markers), quality penalties for sentences that
make poor notes (questions, chatter, pointers at unseen visuals), embedding centrality (centroid similarity plus
continuous LexRank, plus lexical LexRank over tf-idf), MMR selection under a sentence/word budget, sentence
compression (asides, hedges) and embedding-reranked key phrases (``embedding_keyphrases``).
"""
from __future__ import annotations

import re
from typing import List, Optional, Sequence

import numpy as np

from lecture_notes.text.stopwords import STOPWORDS
from lecture_notes.text.textutil import stem, tfidf_keyphrases

PRONOUNS = frozenset("i me my we us our you your he him his she her it its they them their this that these those "
                     "there here which what who whom whose one someone something anyone anything everyone everything "
                     "somebody nobody none each either neither".split())

_SPEAKER_RE = re.compile(r"^\s*(?:(?:Prof(?:essor)?|Dr|Mr|Ms|Mrs)\.?(?:\s+[A-Z][\w.'\-]*){0,3}|Student|Audience|"
                         r"Speaker(?:\s*\d+)?|Interviewer|Host|[A-Z][A-Z.'\-]+(?:\s+[A-Z][A-Z.'\-]+){0,3})\s*:\s*")
_STUDENT_RE = re.compile(r"^\s*(?:Student|Audience)\s*:", re.I)
_FILLER_RE = re.compile(r"(?:,\s*)?\b(?:u+h+|u+m+|erm|er|hmm+|mm+|ah+)\b[,.]?\s*", re.I)
_HEDGE_RE = re.compile(r"(?:,\s*)?\b(?:you know|I mean|you see|if you will|sort of like|kind of like)\b\s*,?\s*",
                       re.I)
_LEAD_RE = re.compile(r"^(?:so|okay|ok|alright|all right|well|now|and|but|anyway|right|yeah|yes|oh|then|"
                      r"also|again|actually|basically)\b\s*[,.;:!-]*\s+", re.I)
_REPEAT_RE = re.compile(r"\b(\w+)(\s+\1\b)+", re.I)
_WORD_RE = re.compile(r"[A-Za-z][A-Za-z'\-]*|\d+(?:\.\d+)?")
_PERSON_RE = re.compile(r"\b(?:i|i'm|i've|i'll|i'd|me|my|you|you're|you've|you'll|your|let's|guys)\b", re.I)
_CHATTER_RE = re.compile(r"\b(?:i think|i don't know|i guess|i want you|let me|let's|you guys|any questions|"
                         r"raise your hand|last time|next time|next week|this week|on the exam|homework|"
                         r"problem set|midterm|office hours|remind you|i'll show|i'm going to show)\b", re.I)
_VISUAL_RE = re.compile(r"\b(?:(?:this|that|these|those)\s+(?:\w+\s+)?(?:diagram|picture|slide|figure|graph|image|"
                        r"chart|plot|curve|drawing|photo|video|table|board|arrow|box|line|one|thing|guy|stuff)s?"
                        r"(?:\s+(?:here|there|over here|up here|down here|right here))?|as you can see|over here|"
                        r"right here|up here|down here|over there|in here|on the board|on the screen|look at (?:this|"
                        r"that|these)|shown here|you can see|here's|here is|like this|this end|that end|"
                        r"(?:go|going) back|(?:a|the|next|last|previous) slide)\b", re.I)
_ANAPHOR_START_RE = re.compile(r"^(?:it|this|that|they|these|those|he|she|his|her|its|their|which|there|here)\b",
                               re.I)


ANAPHOR_PENALTY = 0.3


def words(text: str) -> List[str]:
    """Word tokens (letters, apostrophes, hyphens, numbers)."""
    return _WORD_RE.findall(text or "")


def scoring_words(text: str) -> List[str]:
    """Lower-cased words of at least three letters (or numbers) that are not stopwords: what sentence scoring
    counts (unlike ``textutil.content_words``, two-letter words and possessive endings are not special-cased)."""
    return [w for w in (x.lower() for x in words(text)) if (w[0].isdigit() or len(w) >= 3) and w not in STOPWORDS]


def strip_speaker(text: str) -> str:
    """Remove caption speaker tags such as 'Prof:' or 'Professor Mark Saltzman:' at the start."""
    prev = None
    t = text or ""
    while prev != t:
        prev, t = t, _SPEAKER_RE.sub("", t, count=1)
    return t


def clean_sentence(text: str) -> str:
    """Spoken sentence -> note sentence: no speaker tag, fillers, hedges, stutters or leading discourse markers."""
    t = strip_speaker(text).replace(">", " ").replace("<", " ")
    t = _FILLER_RE.sub(" ", t)
    t = _HEDGE_RE.sub(" ", t)
    t = _REPEAT_RE.sub(r"\1", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"\s+([,.;:!?])", r"\1", t)
    t = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", t)
    prev = None
    while prev != t:
        prev, t = t, _LEAD_RE.sub("", t, count=1)
    t = t.strip(" ,;:-")
    if t and t[0].islower():
        t = t[0].upper() + t[1:]
    if t and t[-1].isalnum():
        t += "."
    return t


def sentence_penalty(raw: str, cleaned: str) -> float:
    """Non-positive score adjustment for sentences that make poor notes (units: about one z-score)."""
    n = len(words(cleaned))
    pen = 0.0
    if cleaned.rstrip().endswith("?"):
        pen -= 1.2
    if _STUDENT_RE.match(raw or ""):
        pen -= 1.5
    if n < 6:
        pen -= 1.5
    elif n < 9:
        pen -= 0.4
    if n > 45:
        pen -= 0.5 + 0.02 * (n - 45)
    if _VISUAL_RE.search(cleaned):
        pen -= 0.8
    if _CHATTER_RE.search(cleaned):
        pen -= 0.6
    person = len(_PERSON_RE.findall(cleaned))
    pen -= min(1.2, 3.0 * person / max(n, 1))
    if _ANAPHOR_START_RE.match(cleaned):
        pen -= ANAPHOR_PENALTY
    if cleaned.count('"') % 2 or cleaned.count("(") != cleaned.count(")"):
        pen -= 0.5  # a fragment of a quotation or an aside
    cw = len(scoring_words(cleaned))
    pen -= 1.0 * max(0.0, 0.35 - cw / max(n, 1))
    return pen


def starts_with_anaphor(text: str) -> bool:
    """True when a sentence opens with a pronoun or 'here/there' that points outside it ('It ...', 'This ...')."""
    return bool(_ANAPHOR_START_RE.match(text or ""))


def zscore(x: np.ndarray) -> np.ndarray:
    """Standardise a score vector (constant vectors give zeros)."""
    x = np.asarray(x, dtype=np.float64)
    if x.size == 0:
        return x
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 1e-9 else np.zeros_like(x)


def lexrank(sim: np.ndarray, damping: float = 0.85, iters: int = 100, tol: float = 1e-6) -> np.ndarray:
    """Continuous LexRank (PageRank over the positive cosine-similarity graph); returns scores summing to N."""
    n = sim.shape[0]
    if n == 0:
        return np.zeros(0)
    # In place on one float64 copy: for a 3-hour lecture (~2,700 sentences) each N x N matrix is 58 MB.
    w = np.array(sim, dtype=np.float64)
    np.clip(w, 0.0, None, out=w)
    np.fill_diagonal(w, 0.0)
    rows = w.sum(1, keepdims=True)
    np.divide(w, np.maximum(rows, 1e-12), out=w)
    w[rows[:, 0] <= 0] = 1.0 / n
    p = np.full(n, 1.0 / n)
    for _ in range(iters):
        nxt = (1 - damping) / n + damping * (w.T @ p)
        if np.abs(nxt - p).sum() < tol:
            p = nxt
            break
        p = nxt
    return p * n


def centrality(emb: np.ndarray) -> np.ndarray:
    """Embedding centrality: z(centroid similarity) + z(LexRank), averaged."""
    if len(emb) == 0:
        return np.zeros(0)
    centroid = emb.mean(0)
    centroid /= max(float(np.linalg.norm(centroid)), 1e-9)
    return 0.5 * zscore(emb @ centroid) + 0.5 * zscore(lexrank(emb @ emb.T))


def mmr_select(relevance: Sequence[float], emb: np.ndarray, *, max_items: int, max_words: int = 0,
               lengths: Optional[Sequence[int]] = None, lam: float = 0.7, candidates: Optional[Sequence[int]] = None,
               avoid: Optional[np.ndarray] = None, min_gain: float = -np.inf) -> List[int]:
    """Maximal Marginal Relevance: greedily pick items balancing relevance against similarity to those picked
    (and to ``avoid`` vectors); stop at ``max_items`` or when the next item would exceed ``max_words``."""
    rel = np.asarray(relevance, dtype=np.float64)
    if rel.size == 0 or max_items <= 0:
        return []
    lo, hi = float(rel.min()), float(rel.max())
    reln = (rel - lo) / (hi - lo) if hi > lo else np.ones_like(rel)
    pool = list(range(len(rel))) if candidates is None else list(candidates)
    red = np.zeros(len(rel))
    if avoid is not None and len(avoid):
        red = np.clip((emb @ avoid.T).max(1), 0, 1)
    chosen: List[int] = []
    total = 0
    while pool and len(chosen) < max_items:
        gains = [lam * reln[i] - (1 - lam) * red[i] for i in pool]
        order = np.argsort(gains)[::-1]
        picked = None
        for o in order:
            i = pool[int(o)]
            if gains[int(o)] < min_gain:
                break
            if max_words and lengths is not None and chosen and total + lengths[i] > max_words:
                continue
            picked = i
            break
        if picked is None:
            break
        chosen.append(picked)
        pool.remove(picked)
        if lengths is not None:
            total += lengths[picked]
        red = np.maximum(red, np.clip(emb @ emb[picked], 0, 1))
    return chosen


def embedding_keyphrases(texts: Sequence[str], embedder, *, top: int = 10, doc_vec: Optional[np.ndarray] = None,
                         pool: int = 0) -> List[str]:
    """Key phrases: a tf-idf candidate pool (``textutil.tfidf_keyphrases``) re-ranked by embedding similarity to the
    document (``doc_vec``, default: the embedded text) with MMR, so off-topic frequent words and near-duplicates
    ('immune', 'immune system') drop out. Best first."""
    phrases = tfidf_keyphrases([t for t in texts if t.strip()], pool or max(2 * top, 10))
    phrases = list(dict.fromkeys(re.sub(r"['\u2019]s\b", "", p).strip() for p in phrases))
    phrases = [p for p in phrases if p]
    if not phrases:
        return []
    if doc_vec is None:
        doc_vec = embedder.embed([" ".join(texts)])[0]
    pe = embedder.embed(phrases)
    # The tf-idf rank stays a tie-breaker: frequent terms of this lecture beat merely related words.
    picked = mmr_select(pe @ doc_vec - 0.02 * np.arange(len(phrases)), pe, max_items=top, lam=0.7)
    return [phrases[i] for i in picked]


_ASIDE_RE = re.compile(r"\s*--[^-]{0,60}?--\s*|\s*\([^)]{0,80}\)\s*")
_ASIDE_PHRASE_RE = re.compile(r",?\s*\b(?:in other words|as we said|as I said|of course|I think|so to speak|"
                              r"if you like|if you will|let's say|you might say|you might even say|in a sense|"
                              r"in some sense|more or less|as it were)\b,?", re.I)
_EMPTY_ADVERB_RE = re.compile(r"\b(?:really|actually|basically|literally|obviously|certainly|simply|essentially|"
                              r"indeed|kind of|sort of|pretty much)\b\s*", re.I)


def compress(sentence: str) -> str:
    """Drop asides ('-- you know --', '(laughter)'), hedging phrases ('in other words', 'of course') and empty
    adverbs ('really', 'basically') from a cleaned sentence; the rest of the wording is kept verbatim."""
    s = _ASIDE_RE.sub(" ", sentence)
    s = re.sub(r"\s*--\s*$", "", s)
    s = re.sub(r"\s*--\s*", ", ", s)
    s = _ASIDE_PHRASE_RE.sub("", s)
    s = _EMPTY_ADVERB_RE.sub("", s)
    s = re.sub(r"\s+", " ", s).strip()
    s = re.sub(r"\s+([,.;:?!])", r"\1", s)
    s = re.sub(r",\s*,", ",", s)
    s = re.sub(r"[,;:]\s*([.?!])$", r"\1", s).strip(" ,;:")
    if s and s[0].islower():
        s = s[0].upper() + s[1:]
    if s and s[-1].isalnum():
        s += "."
    return s or sentence


def lexical_centrality(texts: Sequence[str]) -> np.ndarray:
    """z-scored LexRank over TF-IDF vectors of stemmed content words (complements embedding centrality: it
    rewards the lecture's own recurring terms, which embeddings blur)."""
    bags = [[stem(w) for w in scoring_words(t)] for t in texts]
    n = len(bags)
    if n == 0:
        return np.zeros(0)
    df: dict = {}
    for b in bags:
        for w in set(b):
            df[w] = df.get(w, 0) + 1
    from scipy.sparse import csr_matrix

    vocab = {w: k for k, w in enumerate(df)}
    rows, cols, vals = [], [], []
    for i, b in enumerate(bags):  # sparse: a dense sentences x vocabulary matrix grows with length squared
        for w in b:
            rows.append(i)
            cols.append(vocab[w])
            vals.append(np.log(n / df[w]))
    x = csr_matrix((vals, (rows, cols)), shape=(n, max(len(vocab), 1)), dtype=np.float64)  # duplicates summed
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    x = csr_matrix(x.multiply(1.0 / np.maximum(norms, 1e-9)[:, None]))
    return zscore(lexrank((x @ x.T).toarray()))


_DETERMINED_RE = r"\b(?:the|a|an|this|that|these|those|his|her|its|their|our|of|about|and)\s+"
_LEAD_IN_RE = re.compile(
    r"^(?:(?:I|we)\s*(?:want to|wanna|would like to|'d like to|need to|have to|am going to|are going to|'m going to|"
    r"'re going to)\s+(?:begin|start|end|talk|say|think|look|spend \w+ \w+)\s+(?:by\s+)?(?:talking\s+|thinking\s+)?"
    r"(?:about|with|at)\s+|(?:let me|let's)\s+\w+\s+(?:about\s+)?)", re.I)
_OPENER_RE = re.compile(r"^(?:In fact|Of course|For example|Again|Now|So|Remember|You see|In other words),\s*")
_OPINION_RE = re.compile(r"\b(?:I think|I believe|I guess|I suppose)\s+(?:that\s+)?")


def is_nounish(phrase: str, text: str) -> bool:
    """A key phrase names a thing: multi-word or capitalised, or seen after a determiner/'of' somewhere in ``text``
    (lower-cased) - 'the mind' passes, the verb 'exists' does not."""
    if " " in phrase.strip() or phrase[:1].isupper():
        return True
    return re.search(_DETERMINED_RE + re.escape(phrase.lower()) + r"\b", text) is not None


def tighten(sentence: str, max_words: int, min_words: int = 6) -> Optional[str]:
    """Compress a cleaned sentence for the lecture summary: drop openers ('In fact,'), opinion frames ('I think
    that') and speaker lead-ins ('I want to begin by talking about'), then cut a sentence longer than
    ``max_words`` at its first clause boundary that leaves ``min_words``..``max_words`` words. None when no such
    cut exists. The words kept are verbatim."""
    s = _OPINION_RE.sub("", _OPENER_RE.sub("", sentence))
    s = _LEAD_IN_RE.sub("", _OPENER_RE.sub("", compress(s)))
    if len(s.split()) > max_words:
        for sep in ("; ", ", and ", ", but ", ", so ", ", which ", " -- ", ", "):
            k = s.find(sep)
            if k > 0 and min_words <= len(s[:k].split()) <= max_words:
                s = s[:k]
                break
        else:
            return None
    s = s.strip().rstrip(",;:")
    if s and s[0].islower():
        s = s[0].upper() + s[1:]
    if s and s[-1].isalnum():
        s += "."
    return s or None
