"""Merge stage: chunk notes + chapter spans -> LectureNotes (lecture summary, chapters with their notes,
cross-chunk de-duplication, glossary). Non-generative: the lecture summary is the overview of ``text.overview``
(the lecturer's own framing plus one representative sentence per chapter, in lecture order, no template glue);
everything else is extracted verbatim."""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.text import questions as qt
from lecture_notes.text.overview import DEFAULT_PARAMS as OVERVIEW_DEFAULTS
from lecture_notes.text.overview import OverviewParams, is_chatter, is_fragment, overview, strip_greeting
from lecture_notes.text.summarize import (centrality, clean_sentence, compress, embedding_keyphrases,
                                          lexical_centrality, mmr_select, sentence_penalty, words, zscore)
from lecture_notes.core.types import (Chapter, ChapterSpan, ChunkNotes, GlossaryEntry, LectureNotes, Sentence, Slide, SourceInfo,
                    Transcript)

log = logging.getLogger(__name__)

DUP_SIM = 0.85
SUMMARY_WORDS = 100
CHAPTER_SUMMARY_WORDS = 60
MAX_SENTENCE_WORDS = 25  # longer sentences spend the word budget on one point
COVERAGE_UNIT = 300.0  # the lecture summary draws one sentence from every chapter piece of at most this length
MIN_SENTENCE_WORDS = 8  # shorter ones are mostly fragments and asides
# Overview length: OverviewParams.words_per_minute words per lecture minute within [min_words, max_words].


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _dedup(texts: Sequence[str], embedder, threshold: float = DUP_SIM) -> List[int]:
    """Indices of items to keep (first occurrence wins): drop exact normalised repeats and near-duplicates."""
    if not texts:
        return []
    emb = embedder.embed(list(texts))
    keep: List[int] = []
    seen = set()
    for i, t in enumerate(texts):
        key = _norm(t)
        if not key or key in seen:
            continue
        if keep and float((emb[keep] @ emb[i]).max()) > threshold:
            continue
        seen.add(key)
        keep.append(i)
    return keep


def _unique_points(texts: Sequence[str], embedder) -> List[int]:
    """Key points to keep: one per meaning (a slide bullet and the sentence saying the same become one)."""
    from lecture_notes.text.dedup import unique_points

    return unique_points(texts, embedder.embed(list(texts))) if texts else []


def dedup_chunk_notes(chunk_notes: Sequence[ChunkNotes], embedder) -> Tuple[List[ChunkNotes], int]:
    """Remove key points repeated within or across chunks (same meaning, see text.dedup) and repeated questions
    (normalised text or embedding cosine > 0.85)."""
    kps = [(c, k) for c, n in enumerate(chunk_notes) for k in n.key_points]
    qas = [(c, q) for c, n in enumerate(chunk_notes) for q in n.qa]
    keep_k = set(_unique_points([k.text for _, k in kps], embedder))
    # A question is a duplicate when the same wording recurs, or question+answer mean the same thing.
    qkeys = [_norm(q.question) for _, q in qas]
    keep_q = set(_dedup([f"{q.question} {q.answer}" for _, q in qas], embedder))
    seen_q = set()
    for i, key in enumerate(qkeys):
        if i in keep_q and key in seen_q:
            keep_q.discard(i)
        seen_q.add(key)
    out = []
    for c, n in enumerate(chunk_notes):
        out.append(replace(n, key_points=tuple(k for i, (cc, k) in enumerate(kps) if cc == c and i in keep_k),
                           qa=tuple(q for i, (cc, q) in enumerate(qas) if cc == c and i in keep_q)))
    removed = (len(kps) - len(keep_k)) + (len(qas) - len(keep_q))
    return out, removed


class _Lecture:
    """Cleaned, embedded sentences of the whole lecture with their global salience."""

    def __init__(self, sentences: Sequence[Sentence], embedder) -> None:
        self.sentences = list(sentences)
        self.texts = [clean_sentence(s.text) for s in self.sentences]
        self.short = [compress(t) for t in self.texts]
        self.idx = [i for i, t in enumerate(self.texts) if len(words(t)) >= 3]
        self.lengths = [len(t.split()) for t in self.short]
        self.emb = np.zeros((len(self.texts), 1), dtype=np.float32)
        self.score = np.full(len(self.texts), -1e3)
        if not self.idx:
            return
        e = embedder.embed([self.texts[i] for i in self.idx])
        self.emb = np.zeros((len(self.texts), e.shape[1]), dtype=np.float32)
        self.emb[self.idx] = e
        n = len(self.sentences)
        pen = np.array([sentence_penalty(self.sentences[i].text, self.texts[i]) for i in self.idx])
        # Lecturers announce the topic early: a small prior on the first few percent of the lecture.
        pos = np.array([i / max(n - 1, 1) for i in self.idx])
        lexical = lexical_centrality([self.texts[i] for i in self.idx])
        self.score[self.idx] = centrality(e) + 0.5 * lexical + pen + 0.3 * np.exp(-pos / 0.05)

    def within(self, start: float, end: float, last: bool = False) -> List[int]:
        return [i for i in self.idx if start <= self.sentences[i].start < end or
                (last and self.sentences[i].start >= start)]

    def local_scores(self, members: List[int]) -> np.ndarray:
        """Global salience plus centrality inside the given stretch (chapter)."""
        s = self.score.copy()
        if len(members) >= 3:
            s[members] = s[members] + zscore(centrality(self.emb[members]))
        return s


def _chapter_summary(lec: _Lecture, members: List[int], max_words: int = CHAPTER_SUMMARY_WORDS) -> str:
    if not members:
        return ""
    s = lec.local_scores(members)
    # Classroom chatter, logistics, jokes and fragments never make a chapter summary, even in a chapter of chatter.
    pool = [i for i in members if lec.lengths[i] >= 6 and not lec.texts[i].endswith("?")
            and not is_chatter(lec.texts[i]) and not is_fragment(lec.short[i])]
    if not pool:
        return ""
    picked = mmr_select(s, lec.emb, max_items=3, max_words=max_words, lengths=lec.lengths, candidates=pool)
    return " ".join(strip_greeting(lec.short[i]) for i in sorted(picked))


def coverage_spans(spans: Sequence[Tuple[float, float]], unit: float = COVERAGE_UNIT) -> List[Tuple[float, float]]:
    """Chapters split into equal pieces of at most ``unit`` seconds, so long chapters get more summary room."""
    out: List[Tuple[float, float]] = []
    for a, b in spans:
        n = max(1, int(np.ceil((b - a) / unit - 1e-9)))
        out += [(a + (b - a) * i / n, a + (b - a) * (i + 1) / n) for i in range(n)]
    return out


def lecture_summary(lec: _Lecture, spans: Sequence[Tuple[float, float]], *, lead: str = "",
                    max_words: int = SUMMARY_WORDS, coverage: bool = True) -> str:
    """Whole-lecture summary: the most salient sentence of each chapter (chapter coverage), then MMR fill,
    within ``max_words``; sentences in time order after the template lead."""
    budget = max_words - len(lead.split())
    best: List[int] = []
    for k, (a, b) in enumerate(spans if coverage else ()):
        members = lec.within(a, b, last=k == len(spans) - 1)
        pool = [i for i in members if MIN_SENTENCE_WORDS <= lec.lengths[i] <= MAX_SENTENCE_WORDS
                and not lec.texts[i].endswith("?")]
        if pool:
            s = lec.local_scores(members)
            best.append(max(pool, key=lambda i: s[i]))
    picked: List[int] = []
    total = 0
    for i in sorted(best, key=lambda i: -lec.score[i]):
        if total + lec.lengths[i] <= budget and all(float(lec.emb[i] @ lec.emb[j]) < DUP_SIM for j in picked):
            picked.append(i)
            total += lec.lengths[i]
    pool = [i for i in lec.idx if i not in picked and MIN_SENTENCE_WORDS <= lec.lengths[i] <= MAX_SENTENCE_WORDS
            and not lec.texts[i].endswith("?")]
    if pool and total < budget:
        avoid = lec.emb[picked] if picked else None
        more = mmr_select(lec.score, lec.emb, max_items=20, max_words=budget - total, lengths=lec.lengths,
                          candidates=pool, avoid=avoid, lam=0.7)
        for i in more:
            if total + lec.lengths[i] <= budget:
                picked.append(i)
                total += lec.lengths[i]
    body = " ".join(lec.short[i] for i in sorted(picked))
    return f"{lead} {body}".strip()


def lecture_overview(lec: _Lecture, spans: Sequence[Tuple[float, float]], end: float,
                     params: Optional[OverviewParams] = None) -> str:
    """The overview paragraph (``text.overview``) of a lecture with chapters ``spans``, ``summary_words`` long."""
    P = params or OVERVIEW_DEFAULTS
    return overview([s.text for s in lec.sentences], lec.texts, [s.start for s in lec.sentences], lec.score,
                    lec.emb, spans, end, max_words=summary_words(end, P), params=P)


def summary_words(duration: float, params: OverviewParams = OVERVIEW_DEFAULTS) -> int:
    """Overview length in words for a lecture of ``duration`` seconds (about 3.5 words per minute, 60..120)."""
    P = params
    return int(min(P.max_words, max(P.min_words, round(P.words_per_minute * duration / 60.0))))


def build_glossary(lec: _Lecture, max_entries: int = 40) -> List[GlossaryEntry]:
    """Terms defined in the lecture ('X is a ...', 'X means ...'), each with its defining sentence and time;
    the best-scored definition of a term wins; sorted alphabetically."""
    proper = qt.proper_nouns([lec.texts[i] for i in lec.idx])
    found: Dict[str, Tuple[float, GlossaryEntry]] = {}
    for i in lec.idx:
        text = lec.texts[i]
        if text.endswith("?") or len(text.split()) > 45:
            continue
        t = qt.definition(text, proper)
        if t is None or not t.term or len(t.term.split()) > 4:
            continue
        term = t.term if any(c.isupper() for c in t.term[1:]) or t.term.split()[0] in proper else t.term.lower()
        key = term.lower()
        entry = GlossaryEntry(term, text, float(lec.sentences[i].start), float(lec.sentences[i].end))
        if key not in found or lec.score[i] > found[key][0]:
            found[key] = (float(lec.score[i]), entry)
    best = sorted(found.values(), key=lambda p: -p[0])[:max_entries]
    return sorted((e for _, e in best), key=lambda e: e.term.casefold())


def _in(t: float, a: float, b: float, last: bool) -> bool:
    return a <= t < b or (last and t >= a)


def merge_notes(chunk_notes: Sequence[ChunkNotes], chapters: Sequence[ChapterSpan], sentences: Sequence[Sentence],
                slides: Sequence[Slide], embedder, *, title: str, source: SourceInfo, transcript: Transcript,
                created: str = "", lead: bool = True, overview_params=None) -> LectureNotes:
    """Assemble LectureNotes: de-duplicated chunk notes, chapters carrying the key points, questions and slides
    inside their span plus an extractive chapter summary, a lecture overview (template moves over section topics
    plus compressed central sentences, ``summary_words`` long; ``lead=False``: plain extractive summary),
    and a glossary of defined terms."""
    lec = _Lecture(sentences, embedder)
    notes, removed = dedup_chunk_notes(chunk_notes, embedder)
    end = max([source.duration] + [s.end for s in sentences] + [n.end for n in notes] + [0.0])
    spans = sorted(chapters, key=lambda c: c.start) or [ChapterSpan(0.0, end, title or "")]
    texts = [lec.texts[i] for i in lec.idx]
    phrases = embedding_keyphrases(texts, embedder, top=8, doc_vec=_unit(lec.emb[lec.idx].mean(0))) if texts else []
    kps = sorted((k for n in notes for k in n.key_points), key=lambda k: k.start)
    qas = sorted((q for n in notes for q in n.qa), key=lambda q: q.start)
    out_chapters = []
    for k, span in enumerate(spans):
        last = k == len(spans) - 1
        members = lec.within(span.start, span.end, last)
        ch_title = span.title.strip()
        if not ch_title and members:
            local = embedding_keyphrases([lec.texts[i] for i in members], embedder, top=1)
            ch_title = local[0].title() if local else ""
        out_chapters.append(Chapter(
            start=span.start, end=span.end, title=ch_title, summary=_chapter_summary(lec, members),
            key_points=tuple(x for x in kps if _in(x.start, span.start, span.end, last)),
            qa=tuple(x for x in qas if _in(x.start, span.start, span.end, last)),
            slides=tuple(s for s in slides if _in((s.start + s.end) / 2, span.start, span.end, last))))
    if lead and texts:
        summary = lecture_overview(lec, [(c.start, c.end) for c in spans], end, overview_params)
    else:
        summary = lecture_summary(lec, coverage_spans([(c.start, c.end) for c in spans]))
    glossary = build_glossary(lec)
    stats = (("chunks", len(notes)), ("key_points", len(kps)), ("questions", len(qas)),
             ("duplicates_removed", removed), ("glossary_terms", len(glossary)))
    log.info("merged %d chunks into %d chapters (%d duplicates removed, %d glossary terms)", len(notes),
             len(out_chapters), removed, len(glossary))
    return LectureNotes(title=title, source=source, summary=summary, chapters=tuple(out_chapters),
                        chunks=tuple(notes), glossary=tuple(glossary), transcript=transcript, created=created,
                        tags=tuple(phrases[:6]), stats=stats)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)

