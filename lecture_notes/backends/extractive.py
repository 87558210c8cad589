"""Embedded (non-generative) note writer: every summary sentence, key point and answer is a cleaned span of the
chunk's transcript (or slide text) with the time of the sentence it came from."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.text import questions as qt
from lecture_notes.core.errors import BackendError
from lecture_notes.text.stopwords import STOPWORDS
from lecture_notes.text.summarize import (centrality, clean_sentence, compress, embedding_keyphrases, lexical_centrality, mmr_select,
                         sentence_penalty, starts_with_anaphor, words, zscore)
from lecture_notes.core.types import Chunk, ChunkNotes, QAPair, Sentence, TimedText
from lecture_notes.backends.base import Embedder, NoteWriter, option

log = logging.getLogger(__name__)

_ENUM_RE = re.compile(r"\b(?:first(?:ly)?|second(?:ly)?|third(?:ly)?|finally|(?:two|three|four|five|several) "
                      r"(?:\w+ )?(?:types|kinds|ways|reasons|steps|stages|parts|components|properties|principles|"
                      r"factors|categories|forms|classes|features|advantages|disadvantages|problems|limitations))\b",
                      re.I)
MIN_POINT_WORDS = 5  # shorter key points are headings or fragments, unless they are slide bullets

_CAUSE_RE = re.compile(r"\b(?:because|therefore|thus|hence|so that|leads? to|led to|causes?|caused|results? in|"
                       r"due to|as a result|consequently|in order to)\b", re.I)


@dataclass(frozen=True)
class ExtractiveOptions:
    """Options of the extractive note writer."""

    summary_sentences: int = option(4, "summary sentences per chunk (2-4)")
    key_points: int = option(6, "key points per chunk (3-6)")
    max_qa: int = option(6, "questions per chunk")
    mmr_lambda: float = option(0.7, "relevance vs. diversity of the chosen sentences (0-1)")


class ExtractiveNoteWriter(NoteWriter):
    """Centrality + MMR summaries, pattern/keyphrase key points and grounded template questions.

    Options: ``summary_sentences`` (max, default 4), ``key_points`` (max, default 6), ``max_qa`` (default 6),
    ``mmr_lambda`` (default 0.7)."""

    name = "extractive"
    generative = False
    Options = ExtractiveOptions
    cache_modules = ("lecture_notes.text",)

    def __init__(self, embedder: Optional[Embedder] = None, *, summary_sentences: int = 4, key_points: int = 6,
                 max_qa: int = 6, mmr_lambda: float = 0.7) -> None:
        if embedder is None:
            raise BackendError("the extractive note writer needs an embedder; pass embedder=create('embedder', "
                               "'minilm') or another Embedder backend")
        self.embedder = embedder
        self.summary_sentences = max(2, min(4, int(summary_sentences)))
        self.max_key_points = max(3, min(6, int(key_points)))
        self.max_qa = max(1, int(max_qa))
        self.lam = float(mmr_lambda)

    # ------------------------------------------------------------------------------------------ scoring
    def _rank(self, chunk: Chunk, texts: List[str], emb: np.ndarray, context: str) -> np.ndarray:
        n = len(texts)
        score = centrality(emb) + 0.5 * lexical_centrality(texts)
        slide_texts = [s.text.strip() for s in chunk.slides if s.text.strip()]
        if slide_texts:
            sl = self.embedder.embed(slide_texts)
            score = score + 0.5 * zscore((emb @ sl.T).max(1))
        if context.strip():
            ctx = self.embedder.embed([context.strip()[:1500]])[0]
            score = score - 0.3 * np.clip(emb @ ctx - 0.5, 0, None) / 0.5
        # Mild position prior: topic statements tend to open a stretch of a lecture.
        pos = np.arange(n) / max(n - 1, 1)
        score = score + 0.2 * (1.0 - pos) ** 2
        penalties = np.array([sentence_penalty(chunk.sentences[i].text, t) for i, t in enumerate(texts)])
        return score + penalties

    # ------------------------------------------------------------------------------------------ parts
    def _summary(self, idx: List[int], texts: List[str], emb: np.ndarray, score: np.ndarray) -> List[int]:
        n = len(idx)
        k = 2 if n < 10 else (3 if n < 40 else self.summary_sentences)
        lengths = [len(texts[i].split()) for i in range(len(texts))]
        pool = [i for i in idx if lengths[i] >= 5 and not texts[i].endswith("?")] or idx
        picked = mmr_select(score, emb, max_items=k, max_words=25 * k, lengths=lengths, lam=self.lam,
                            candidates=pool)
        if len(picked) < min(2, len(pool)):
            picked = mmr_select(score, emb, max_items=2, lam=self.lam, candidates=pool)
        return sorted(picked)

    def _key_points(self, chunk: Chunk, idx: List[int], texts: List[str], emb: np.ndarray, score: np.ndarray,
                    summary: List[int], phrases: List[str], pen: np.ndarray) -> List[Tuple[str, int]]:
        n_target = int(np.clip(round(len(idx) / 10), 3, self.max_key_points))
        out: List[Tuple[str, int]] = []
        # Slide bullets, placed at the sentence that speaks them.
        titles = {_norm(s.title) for s in chunk.slides if s.title.strip()}
        bullets = [clean_sentence(line) for s in chunk.slides for line in s.text.splitlines()
                   if len(words(line)) >= 3 and not _is_heading(line, titles)]
        if bullets and idx:
            bemb = self.embedder.embed(bullets)
            sims = bemb @ emb[idx].T
            for b, row in zip(bullets, sims):
                j = int(np.argmax(row))
                if row[j] >= 0.5 and len(out) < n_target // 2:
                    out.append((b, idx[j]))
        bonus = np.zeros(len(texts))
        low = [p.lower() for p in phrases]
        for i in idx:
            t = texts[i]
            if qt.definition(t) is not None:
                bonus[i] += 0.8
            if _CAUSE_RE.search(t):
                bonus[i] += 0.4
            if _ENUM_RE.search(t):
                bonus[i] += 0.4
            tl = t.lower()
            bonus[i] += 0.25 * min(3, sum(1 for p in low if p in tl))
        lengths = [len(t.split()) for t in texts]
        pool = [i for i in idx if i not in summary and 6 <= lengths[i] <= 40 and not texts[i].endswith("?")
                and i not in {j for _, j in out}]
        # Key points must stand alone: no chatter, pointers at visuals or dangling 'it/this' openings.
        good = [i for i in pool if pen[i] > -0.6 and not starts_with_anaphor(texts[i])]
        pool = good if len(good) >= n_target - len(out) else sorted(pool, key=lambda i: -pen[i])[:max(
            n_target - len(out), len(good))]
        avoid = emb[summary] if summary else None
        if out:
            used = emb[[j for _, j in out]]
            avoid = used if avoid is None else np.vstack([avoid, used])
        picked = mmr_select(score + bonus, emb, max_items=n_target - len(out), lam=self.lam, candidates=pool,
                            avoid=avoid)
        if avoid is not None:
            picked = [i for i in picked if float((emb[i] @ avoid.T).max()) < 0.85]
        out += [(compress(texts[i]), i) for i in picked]
        bullet_set = {b for b, _ in out}
        # A key point must say something: transcript fragments under MIN_POINT_WORDS words and slide headings go.
        out = [(t, i) for t, i in out if t in bullet_set or len(words(t)) >= MIN_POINT_WORDS]
        if len(out) < 3:  # tiny chunk: fall back to the best remaining sentences, summary ones included
            extra = [i for i in np.argsort(-score) if i in idx and i not in {j for _, j in out}
                     and len(words(compress(texts[i]))) >= MIN_POINT_WORDS and _norm(texts[i]) not in titles]
            out += [(compress(texts[i]), i) for i in extra[:3 - len(out)]]
        return sorted(out, key=lambda p: p[1])

    def _questions(self, idx: List[int], texts: List[str], score: np.ndarray, key_idx: List[int],
                   phrases: List[str], pen: np.ndarray) -> List[Tuple[qt.Template, int]]:
        proper = qt.proper_nouns([texts[i] for i in idx])
        order = sorted(idx, key=lambda i: -score[i])
        found: List[Tuple[qt.Template, int]] = []
        for i in order:
            if texts[i].endswith("?") or len(texts[i].split()) > 50 or pen[i] <= -1.5:
                continue
            for t in qt.templates_for(texts[i], proper):
                found.append((t, i))
        rank = {"definition": 0, "why": 1, "cause": 1, "how": 2}
        found.sort(key=lambda p: (rank.get(p[0].kind, 3), -score[p[1]]))
        out: List[Tuple[qt.Template, int]] = []
        seen_q, seen_s = set(), {}
        for t, i in found:
            key = re.sub(r"\W+", " ", t.question.lower()).strip()
            if key in seen_q or seen_s.get(i, 0) >= 1:
                continue
            seen_q.add(key)
            seen_s[i] = seen_s.get(i, 0) + 1
            out.append((t, i))
            if len(out) >= self.max_qa:
                break
        # Cloze cards over key phrases fill the deck to at least three cards; only terms worth learning are
        # blanked (defined terms, multi-word key phrases, rare terms), never the passage's topic word.
        if len(out) < max(3, self.max_qa // 2):
            used = {t.answer.lower() for t, _ in out}
            phrases = qt.cloze_targets(phrases, defined=[t.term for t, _ in found if t.term],
                                       topic=qt.topic_words([texts[i] for i in idx]))
            for i in list(key_idx) + order:
                if i in seen_s or pen[i] <= -0.6:
                    continue
                # One card per key phrase: a deck that blanks the same name six times teaches nothing.
                c = qt.cloze(texts[i], [p for p in phrases if not any(p.lower() in u for u in used)])
                if c is not None:
                    out.append((c, i))
                    seen_s[i] = 1
                    used.add(c.answer.lower())
                if len(out) >= max(3, self.max_qa // 2):
                    break
        return sorted(out, key=lambda p: p[1])

    # ------------------------------------------------------------------------------------------ API
    def write(self, chunk: Chunk, *, context: str = "") -> ChunkNotes:
        """Summary (2-4 sentences, time order), 3-6 key points and grounded Q&A for one chunk."""
        sents: Sequence[Sentence] = chunk.sentences
        texts = [clean_sentence(s.text) for s in sents]
        idx = [i for i, t in enumerate(texts) if len(words(t)) >= 3]
        if not idx:
            return ChunkNotes(chunk.start, chunk.end, (), (), (), backend=self.name)
        emb_idx = self.embedder.embed([texts[i] for i in idx])
        emb = np.zeros((len(texts), emb_idx.shape[1]), dtype=np.float32)
        emb[idx] = emb_idx
        score = np.full(len(texts), -1e3)
        score[idx] = self._rank(Chunk(chunk.index, chunk.start, chunk.end, tuple(sents[i] for i in idx),
                                      chunk.slides), [texts[i] for i in idx], emb_idx, context)
        phrases = embedding_keyphrases([texts[i] for i in idx] + [s.text for s in chunk.slides], self.embedder, top=8,
                             doc_vec=_unit(emb_idx.mean(0)))
        pen = np.full(len(texts), -1e3)
        pen[idx] = [sentence_penalty(sents[i].text, texts[i]) for i in idx]
        summary = self._summary(idx, texts, emb, score)
        kps = self._key_points(chunk, idx, texts, emb, score, summary, phrases, pen)
        qas = self._questions(idx, texts, score, [i for _, i in kps], phrases, pen)

        log.debug("chunk %d: %d sentences -> %d summary, %d key points, %d questions; phrases %s", chunk.index,
                  len(idx), len(summary), len(kps), len(qas), phrases[:5])

        def span(i: int) -> Tuple[float, float]:
            return float(sents[i].start), float(sents[i].end)

        return ChunkNotes(
            start=chunk.start, end=chunk.end,
            summary=tuple(TimedText(compress(texts[i]), *span(i)) for i in summary),
            key_points=tuple(TimedText(_as_point(t), *span(i)) for t, i in kps),
            qa=tuple(QAPair(t.question, t.answer, t.kind, *span(i)) for t, i in qas),
            backend=self.name)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _is_heading(line: str, titles: set) -> bool:
    """A slide line that names a topic rather than stating a point: a slide's title (which OCR also puts first in
    the slide text) or a short Title-Case line such as 'Two Lines of Defense' or a repeated course footer."""
    if _norm(line) in titles:
        return True
    toks = words(line)
    content = [w for w in toks if w.lower() not in STOPWORDS]
    return len(toks) < MIN_POINT_WORDS and bool(content) and all(w[:1].isupper() or w[:1].isdigit() for w in content) \
        and ":" not in line


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def _as_point(text: str) -> str:
    """A key point reads as a statement: capitalised, final period, no trailing comma."""
    t = text.strip().rstrip(",;:")
    if t and t[0].islower():
        t = t[0].upper() + t[1:]
    return t if t.endswith((".", "!", "?")) else t + "."

