"""Hybrid moment search over one or many lecture indexes.

A query is embedded once (MiniLM) and scored against every unit (transcript windows, slides, chapters, key
points, glossary entries) densely (the unit's cosine and its best sentence's) and lexically (BM25, question
phrasing left out); each signal is scaled to 0-1 by its best value and the weighted sum is smoothed over
neighbouring windows (a topic spans more than one window); reciprocal-rank fusion is the other option. Each top
unit is then tightened to the sentences inside it that bear the answer (sentence cosine plus query-term overlap,
at least ``min_moment_s`` long), overlapping moments of the same lecture are merged, and an optional
cross-encoder reranks the survivors. When the transcripts say who speaks and the query names a speaker ("What did
the professor think about ...", see search.speakers), each unit also scores the cosine of its best sentence said
by that speaker. All figures were chosen on the development set (benchmarks/qa_tune.py).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.search.bm25 import BM25
from lecture_notes.search.index import LectureIndex
from lecture_notes.search.speakers import SpeakerNames
from lecture_notes.search.units import stem, tokens

log = logging.getLogger(__name__)

# How questions are phrased, not what they are about: left out of the lexical query (stemmed like tokens()).
ASK_WORDS = frozenset(tokens(
    "summarize summarise summary discuss discussed discussion discussions talk talked opinion opinions explain "
    "explained describe described mention mentioned according reason reasons view views"))


@dataclass(frozen=True)
class SearchParams:
    """Knobs of the ranking. Defaults: the best of benchmarks/qa_tune.py's grid on the 7 QMSum dev sets (its
    leave-one-set-out figure is what docs/quality.md reports)."""

    rrf_k: float = 60.0
    w_dense: float = 1.0
    w_lex: float = 0.5
    w_sent: float = 0.5  # weight of the best sentence's rank inside each unit
    candidates: int = 40  # units tightened per query
    sent_lex: float = 0.5  # lexical overlap in the sentence score (against cosine)
    extend: float = 0.85  # neighbours whose score is at least this share of the best sentence's join the moment
    max_moment_s: float = 40.0
    merge_gap_s: float = 2.0
    kind_weight: Tuple[Tuple[str, float], ...] = (("window", 1.0), ("chapter", 0.9), ("slide", 0.9),
                                                  ("point", 0.8), ("term", 0.8))
    fusion: str = "score"  # "rrf" (reciprocal rank) or "score" (each signal scaled to 0-1 by its best value)
    smooth: float = 1.0  # share of the neighbouring windows' mean score added to each window (topic context)
    drop_ask_words: bool = True  # leave question phrasing ("summarize", "discuss", ...) out of the lexical query
    tighten: bool = True  # moments tightened to the answer-bearing sentences (else the whole unit)
    min_moment_s: float = 20.0  # a tightened moment is widened (neighbour sentences, both sides) to this length
    spread_s: float = 0.0  # a moment this close (midpoints, same lecture) to a better one goes after the others
    w_speaker: float = 1.0  # boost of units where a speaker the query names speaks (see speaker_mode)
    speaker_mode: str = "best"  # "best": the cosine of the unit's best sentence said by a named speaker (scaled to
    # 0-1 like the other signals); "share": the share of the unit's sentences said by a named speaker
    speaker_sent: float = 0.0  # added to the sentence score (tightening) of a named speaker's sentences
    drop_speaker_words: bool = False  # leave the words naming a speaker out of the lexical query


@dataclass(frozen=True)
class Moment:
    """A ranked stretch of one lecture: ``sent`` is the range of its sentences in that lecture."""

    lecture: int  # position in SearchEngine.lectures
    start: float
    end: float
    score: float
    text: str
    unit: int  # global unit id it came from
    s0: int
    s1: int


class SearchEngine:
    """Search over the lectures given (already loaded). ``embedder`` embeds queries; ``reranker`` is optional."""

    def __init__(self, lectures: Sequence[LectureIndex], embedder: Any, reranker: Any = None,
                 params: Optional[SearchParams] = None) -> None:
        self.lectures = list(lectures)
        self.embedder = embedder
        self.reranker = reranker
        self.params = params or SearchParams()
        self.unit_lec = np.concatenate([np.full(len(x.units), i, np.int32) for i, x in enumerate(self.lectures)]
                                       or [np.zeros(0, np.int32)])
        self.units = [u for x in self.lectures for u in x.units]
        dim = next((x.unit_vecs.shape[1] for x in self.lectures if x.unit_vecs.size), 384)
        self.unit_vecs = np.concatenate([x.unit_vecs for x in self.lectures if len(x.units)] or
                                        [np.zeros((0, dim), np.float32)])
        self.sent_tokens = [[set(tokens(t)) for _, _, t in x.sentences] for x in self.lectures]
        unit_tokens = [tokens(u.text) for u in self.units]
        self.bm25 = BM25(unit_tokens)
        kinds = dict(self.params.kind_weight)
        self.kind_w = np.array([kinds.get(u.kind, 0.8) for u in self.units], np.float32)
        # Best sentence of each unit is found through the sentence vectors: keep per-lecture offsets.
        self._sent_off = np.cumsum([0] + [len(x.sentences) for x in self.lectures])
        self.sent_vecs = np.concatenate([x.sent_vecs for x in self.lectures if len(x.sentences)] or
                                        [np.zeros((0, dim), np.float32)])
        starts = np.array([self._sent_off[self.unit_lec[g]] + u.s0 for g, u in enumerate(self.units)], np.int64)
        ends = np.array([self._sent_off[self.unit_lec[g]] + u.s1 for g, u in enumerate(self.units)], np.int64)
        self._has_sents = ends > starts
        self._bounds = np.stack([starts, np.maximum(ends, starts + 1)], 1).reshape(-1) if len(starts) \
            else np.zeros(0, np.int64)
        self._bounds = np.minimum(self._bounds, len(self.sent_vecs))
        # Neighbouring windows of the same lecture (itself at either end), for score smoothing.
        idx = np.arange(len(self.units))
        win = np.array([u.kind == "window" for u in self.units], bool)
        same_prev = np.r_[False, (self.unit_lec[1:] == self.unit_lec[:-1]) & win[1:] & win[:-1]]
        same_next = np.r_[same_prev[1:], False]
        self._prev = np.where(same_prev, idx - 1, idx)
        self._next = np.where(same_next, idx + 1, idx)
        self._is_window = win.astype(np.float32)
        self._has_prev, self._has_next = same_prev.astype(np.float32), same_next.astype(np.float32)
        self._n_nb = np.maximum(1.0, self._has_prev + self._has_next)  # the mean of the neighbours there are
        # Speakers (when the transcripts say): a label id per sentence (-1 unknown), and the names queries use.
        labels = sorted({sp for x in self.lectures for sp in getattr(x, "sent_speakers", ()) if sp})
        self._speaker_id = {label: i for i, label in enumerate(labels)}
        self.speaker_names = SpeakerNames(labels)
        self.sent_speaker = np.concatenate(
            [np.array([self._speaker_id.get(sp, -1) for sp in x.sent_speakers], np.int32)
             if len(getattr(x, "sent_speakers", ())) == len(x.sentences) else np.full(len(x.sentences), -1, np.int32)
             for x in self.lectures] or [np.zeros(0, np.int32)])
        self._n_sents = np.maximum(1, ends - starts).astype(np.float32) if len(starts) else np.zeros(0, np.float32)
        self._cos_key: Optional[bytes] = None
        self._cos = (np.zeros(0, np.float32), np.zeros(0, np.float32))

    # ---- scoring ----------------------------------------------------------------------------------------
    def embed_query(self, query: str) -> np.ndarray:
        """The query's vector (through the embedder's ``embed_query`` when it has one: one thread for one text)."""
        one = getattr(self.embedder, "embed_query", None)
        return np.asarray(one(query) if callable(one) else self.embedder.embed([query])[0], np.float32)

    def sentence_cos(self, qv: np.ndarray) -> np.ndarray:
        """Cosine of every sentence (all lectures) with the query vector ``qv``; the last query's is kept, since
        ranking, tightening and the answer's evidence all need it (the largest product of a query)."""
        return self._query_products(qv)[0]

    def unit_cos(self, qv: np.ndarray) -> np.ndarray:
        """Cosine of every unit with the query vector ``qv`` (kept like `sentence_cos`)."""
        return self._query_products(qv)[1]

    def _query_products(self, qv: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        key = qv.tobytes()
        if self._cos_key != key:
            self._cos = (_matvec(self.sent_vecs, qv), _matvec(self.unit_vecs, qv))
            self._cos_key = key
        return self._cos

    def query_tokens(self, query: str) -> List[str]:
        """The query's content words for the lexical side (question phrasing, and with ``drop_speaker_words`` the
        words naming a speaker, left out when that leaves any)."""
        toks = tokens(query)
        drop = set(ASK_WORDS) if self.params.drop_ask_words else set()
        if self.params.drop_speaker_words and self.speaker_names:
            drop |= {stem(w) for w in self.speaker_names.alias_words(query)}
        kept = [t for t in toks if t not in drop]
        return kept or toks

    def speaker_mask(self, query: str) -> Optional[np.ndarray]:
        """1.0 for every sentence (all lectures) spoken by a speaker ``query`` names, else 0.0; None when the query
        names no speaker (or the transcripts say nothing about speakers)."""
        if not self.speaker_names:
            return None
        named = self.speaker_names.named(query)
        if not named:
            return None
        return np.isin(self.sent_speaker, [self._speaker_id[x] for x in named]).astype(np.float32)

    def moment_speakers(self, m: Moment) -> List[str]:
        """Who speaks in moment ``m`` (in order of first appearance; empty when the transcript does not say)."""
        sp = getattr(self.lectures[m.lecture], "sent_speakers", ())
        return list(dict.fromkeys(x for x in sp[m.s0:m.s1] if x))

    def named_speakers(self, query: str) -> List[str]:
        """The speaker labels ``query`` names (empty when none)."""
        return sorted(self.speaker_names.named(query)) if self.speaker_names else []

    def _term_weights(self, qtoks: Sequence[str]) -> Dict[str, float]:
        return {t: self.bm25.idf(t) for t in set(qtoks)}

    def sentence_scores(self, lec: int, s0: int, s1: int, qv: np.ndarray, weights: Dict[str, float],
                        cos: Optional[np.ndarray] = None, speakers: Optional[np.ndarray] = None) -> np.ndarray:
        """Cosine of each sentence in ``s0:s1`` plus its idf-weighted query-term overlap (plus ``speaker_sent``
        for the sentences of a named speaker, ``speakers`` being `speaker_mask`)."""
        base = self._sent_off[lec]
        if cos is None:
            cos = self.sentence_cos(qv)[base + s0:base + s1]
        total = sum(weights.values()) or 1.0
        toks = self.sent_tokens[lec]
        lex = np.array([sum(w for t, w in weights.items() if t in toks[i]) / total for i in range(s0, s1)],
                       np.float32)
        out = cos + self.params.sent_lex * lex
        if speakers is not None and self.params.speaker_sent:
            out = out + self.params.speaker_sent * speakers[base + s0:base + s1]
        return out

    def rank_units(self, qv: np.ndarray, qtoks: Sequence[str], speakers: Optional[np.ndarray] = None
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(order of units, fused scores, dense scores); ``speakers``: `speaker_mask` of the query, or None."""
        p = self.params
        n = len(self.units)
        dense = self.unit_cos(qv) if n else np.zeros(0, np.float32)
        if not n:
            return np.zeros(0, np.int64), np.zeros(0, np.float32), dense
        lex = self.bm25.scores(qtoks)
        best_sent = self._best_sentence(qv) if p.w_sent > 0 and len(self.sent_vecs) else None
        fused = np.zeros(n, np.float32)
        if p.fusion == "score":
            fused += p.w_dense * _scaled(dense)
            if lex.max() > 0:
                fused += p.w_lex * lex / lex.max()
            if best_sent is not None:
                fused += p.w_sent * _scaled(best_sent)
        else:
            fused += p.w_dense * _rrf(dense, p.rrf_k)
            if p.w_lex > 0:
                fused += np.where(lex > 0, p.w_lex * _rrf(lex, p.rrf_k), 0.0).astype(np.float32)
            if best_sent is not None:
                fused += p.w_sent * self._best_sentence_rrf(qv)
        if speakers is not None and p.w_speaker > 0 and len(self.sent_vecs):
            if p.speaker_mode == "best":
                cos = self.sentence_cos(qv)
                named = self._unit_max(np.where(speakers > 0, cos - float(cos.min()) + 1e-3, 0.0))
                fused += p.w_speaker * _scaled(named)
            else:
                fused += p.w_speaker * self._unit_share(speakers)
        if p.smooth > 0:
            nb = (fused[self._prev] * self._has_prev + fused[self._next] * self._has_next) / self._n_nb
            fused = fused + p.smooth * nb * self._is_window
        fused *= self.kind_w
        return np.argsort(-fused, kind="stable"), fused, dense

    def _best_sentence(self, qv: np.ndarray) -> np.ndarray:
        """Per unit: the cosine of its best sentence (max-sim evidence)."""
        return self._unit_max(self.sentence_cos(qv))

    def _unit_max(self, per_sentence: np.ndarray) -> np.ndarray:
        vals = np.append(per_sentence, np.float32(0.0))  # reduceat needs every index < len
        out = np.maximum.reduceat(vals, self._bounds)[::2]
        return np.where(self._has_sents, out, 0.0).astype(np.float32)

    def _unit_share(self, per_sentence: np.ndarray) -> np.ndarray:
        """Per unit: the mean of ``per_sentence`` over its sentences (0 for a unit without sentences)."""
        vals = np.append(per_sentence, np.float32(0.0))
        out = np.add.reduceat(vals, self._bounds)[::2] / self._n_sents
        return np.where(self._has_sents, out, 0.0).astype(np.float32)

    def _best_sentence_rrf(self, qv: np.ndarray) -> np.ndarray:
        """Per unit: reciprocal rank of its best sentence among all sentences."""
        return self._unit_max(_rrf(self.sentence_cos(qv), self.params.rrf_k))

    # ---- moments ----------------------------------------------------------------------------------------
    def tighten(self, g: int, qv: np.ndarray, weights: Dict[str, float], score: float,
                speakers: Optional[np.ndarray] = None) -> Optional[Moment]:
        """The answer-bearing sentences of unit ``g``: the best one, plus neighbours that score nearly as well."""
        p = self.params
        u, lec = self.units[g], int(self.unit_lec[g])
        sents = self.lectures[lec].sentences
        if u.s1 <= u.s0 or u.s1 > len(sents):
            return None
        if not p.tighten:
            return Moment(lec, sents[u.s0][0], sents[u.s1 - 1][1], score,
                          " ".join(t for _, _, t in sents[u.s0:u.s1]), g, u.s0, u.s1)
        sc = self.sentence_scores(lec, u.s0, u.s1, qv, weights, speakers=speakers)
        b = int(np.argmax(sc))
        lo = hi = b
        floor = sc[b] * p.extend if sc[b] > 0 else sc[b]
        while True:
            grew = False
            for cand in (lo - 1, hi + 1):
                if 0 <= cand < len(sc) and sc[cand] >= floor:
                    s_new, e_new = sents[u.s0 + min(lo, cand)][0], sents[u.s0 + max(hi, cand)][1]
                    if e_new - s_new <= p.max_moment_s:
                        lo, hi, grew = min(lo, cand), max(hi, cand), True
            if not grew:
                break
        # Too short: widen by the nearer neighbour sentence (forwards-first widening was measured worse:
        # leave-one-set-out R@5 1.04x, MRR@10 1.10x against 1.06x and 1.11x).
        while sents[u.s0 + hi][1] - sents[u.s0 + lo][0] < p.min_moment_s and (lo > 0 or hi < len(sc) - 1):
            before = sents[u.s0 + lo][0] - sents[u.s0 + lo - 1][0] if lo > 0 else float("inf")
            after = sents[u.s0 + hi + 1][1] - sents[u.s0 + hi][1] if hi < len(sc) - 1 else float("inf")
            if before <= after:
                lo -= 1
            else:
                hi += 1
        i, j = u.s0 + lo, u.s0 + hi + 1
        text = " ".join(t for _, _, t in sents[i:j])
        return Moment(lec, sents[i][0], sents[j - 1][1], score, text, g, i, j)

    def _merge(self, moments: List[Moment]) -> List[Moment]:
        """Drop or fold moments that overlap a better one of the same lecture."""
        kept: List[Moment] = []
        for m in moments:
            clash = None
            for idx, k in enumerate(kept):
                if k.lecture == m.lecture and m.start <= k.end + self.params.merge_gap_s \
                        and k.start <= m.end + self.params.merge_gap_s:
                    clash = idx
                    break
            if clash is None:
                kept.append(m)
                continue
            k = kept[clash]
            lo, hi = min(k.s0, m.s0), max(k.s1, m.s1)
            sents = self.lectures[k.lecture].sentences
            if sents[hi - 1][1] - sents[lo][0] <= self.params.max_moment_s and (lo, hi) != (k.s0, k.s1):
                kept[clash] = Moment(k.lecture, sents[lo][0], sents[hi - 1][1], k.score,
                                     " ".join(t for _, _, t in sents[lo:hi]), k.unit, lo, hi)
        return kept

    def _spread(self, moments: List[Moment]) -> List[Moment]:
        """Near-duplicates (midpoints within ``spread_s`` of a better moment of the same lecture) go last."""
        gap = self.params.spread_s
        if gap <= 0:
            return moments
        first: List[Moment] = []
        later: List[Moment] = []
        for m in moments:
            mid = (m.start + m.end) / 2
            near = any(k.lecture == m.lecture and abs((k.start + k.end) / 2 - mid) < gap for k in first)
            (later if near else first).append(m)
        return first + later

    def search(self, query: str, k: int = 5, qv: Optional[np.ndarray] = None) -> List[Moment]:
        """The ``k`` best moments for ``query`` (fewer when the lectures are short)."""
        if not self.units:
            return []
        qv = self.embed_query(query) if qv is None else qv
        qtoks = self.query_tokens(query)
        speakers = self.speaker_mask(query)
        order, fused, _ = self.rank_units(qv, qtoks, speakers)
        weights = self._term_weights(qtoks)
        top = [int(g) for g in order[:max(self.params.candidates, k)]]
        moments = [m for m in (self.tighten(g, qv, weights, float(fused[g]), speakers) for g in top)
                   if m is not None]
        moments = self._spread(self._merge(moments))
        if self.reranker is not None and moments:
            moments = self._rerank(query, moments[:max(20, k)])
        return moments[:k]

    def _rerank(self, query: str, moments: List[Moment]) -> List[Moment]:
        """Cross-encoder scores over (query, moment text with its window) replace the fused order."""
        texts = [self.units[m.unit].text if self.units[m.unit].kind == "window" else m.text for m in moments]
        scores = np.asarray(self.reranker.score(query, texts), np.float32)
        order = np.argsort(-scores, kind="stable")
        return [Moment(**{**moments[i].__dict__, "score": float(scores[i])}) for i in order]

    def display_score(self, fused: float) -> float:
        """Fused scores on a 0-1 scale (1 = ranked first by every signal)."""
        p = self.params
        total = p.w_dense + p.w_lex + p.w_sent
        best = total if p.fusion == "score" else total / p.rrf_k
        best *= 1.0 + p.smooth
        return round(min(1.0, max(0.0, fused / best)), 4) if best > 0 else 0.0


def _matvec(matrix: np.ndarray, v: np.ndarray) -> np.ndarray:
    """``matrix @ v`` on one core (einsum, not BLAS): for one query vector the product is memory-bound, and BLAS's
    threads made it slower (30,641 sentences x 384 on a loaded 2-core machine, interleaved in one run: median
    46 ms with two OpenBLAS threads, 16 ms with einsum)."""
    if not len(matrix):
        return np.zeros(0, np.float32)
    return np.einsum("ij,j->i", matrix, v.astype(matrix.dtype, copy=False))


def _rrf(scores: np.ndarray, k: float) -> np.ndarray:
    """1 / (k + rank) of every score (rank 0 = best)."""
    order = np.argsort(-scores, kind="stable")
    ranks = np.empty(len(scores), np.float32)
    ranks[order] = np.arange(len(scores), dtype=np.float32)
    return (1.0 / (k + ranks)).astype(np.float32)


def _scaled(x: np.ndarray) -> np.ndarray:
    """``x`` mapped linearly onto 0-1 (best = 1); zeros when all equal."""
    lo, hi = float(x.min()), float(x.max())
    return ((x - lo) / (hi - lo)).astype(np.float32) if hi > lo else np.zeros(len(x), np.float32)
