"""Merge stage: chunk notes + chapter spans -> LectureNotes (lecture summary, chapters with their notes,
cross-chunk de-duplication, glossary). Non-generative: the lecture summary is an overview template in lecture order
('The lecture begins with A. ... The lecture then turns to B. ... Finally, it touches on C.') whose topics are key
phrases of each section and whose other sentences are compressed transcript sentences; everything else is
extracted verbatim."""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import Dict, List, Sequence, Tuple

import numpy as np

from lecture_notes.text import questions as qt
from lecture_notes.text.summarize import (_PERSON_RE, centrality, clean_sentence, compress, is_nounish, embedding_keyphrases,
                        lexical_centrality, mmr_select, sentence_penalty, tighten, words, zscore)
from lecture_notes.core.types import (Chapter, ChapterSpan, ChunkNotes, GlossaryEntry, LectureNotes, Sentence, Slide, SourceInfo,
                    Transcript)

log = logging.getLogger(__name__)

DUP_SIM = 0.85
SUMMARY_WORDS = 100
CHAPTER_SUMMARY_WORDS = 60
MAX_SENTENCE_WORDS = 25  # longer sentences spend the word budget on one point
COVERAGE_UNIT = 300.0  # the lecture summary draws one sentence from every chapter piece of at most this length
MIN_SENTENCE_WORDS = 8  # shorter ones are mostly fragments and asides
# Overview summary: about WORDS_PER_MINUTE words per lecture minute within [MIN_WORDS, MAX_WORDS]; sections
# shorter than MIN_SECTION_FRACTION of the lecture (a film clip, a late aside) join their neighbour, so the
# overview makes four to six moves like a human-written one.
WORDS_PER_MINUTE = 3.5
MIN_SUMMARY_WORDS, MAX_SUMMARY_WORDS = 60, 120
MIN_SECTION_FRACTION = 0.08
OVERVIEW_SENTENCE_WORDS = 22
TOPIC_BONUS = 0.6  # per section topic phrase the sentence mentions (units: z-score)
PERSON_WEIGHT = 3.0  # first/second person density costs this much (units: z-score per pronoun share)


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
    pool = [i for i in members if lec.lengths[i] >= 6 and not lec.texts[i].endswith("?")] or members
    picked = mmr_select(s, lec.emb, max_items=3, max_words=max_words, lengths=lec.lengths, candidates=pool)
    return " ".join(lec.short[i] for i in sorted(picked))


def coverage_spans(spans: Sequence[Tuple[float, float]], unit: float = COVERAGE_UNIT) -> List[Tuple[float, float]]:
    """Chapters split into equal pieces of at most ``unit`` seconds, so long chapters get more summary room."""
    out: List[Tuple[float, float]] = []
    for a, b in spans:
        n = max(1, int(np.ceil((b - a) / unit - 1e-9)))
        out += [(a + (b - a) * i / n, a + (b - a) * (i + 1) / n) for i in range(n)]
    return out


def lead_sentence(topics: Sequence[str]) -> str:
    """Template lead: 'This lecture covers X, Y and Z.' (empty without topics)."""
    topics = [t for t in topics if t]
    if not topics:
        return ""
    body = topics[0] if len(topics) == 1 else ", ".join(topics[:-1]) + " and " + topics[-1]
    return f"This lecture covers {body}."


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


def summary_words(duration: float) -> int:
    """Overview length in words for a lecture of ``duration`` seconds (about 3.5 words per minute, 60..120)."""
    return int(min(MAX_SUMMARY_WORDS, max(MIN_SUMMARY_WORDS, round(WORDS_PER_MINUTE * duration / 60.0))))


def summary_sections(spans: Sequence[Tuple[float, float]], duration: float,
                     min_fraction: float = MIN_SECTION_FRACTION) -> List[Tuple[float, float]]:
    """Chapters as overview sections: a chapter shorter than ``min_fraction`` of the lecture joins its shorter
    neighbour (the first/last one joins the next/previous), repeatedly, so every section is a real move."""
    out = [[float(a), float(b)] for a, b in spans]
    while len(out) > 1:
        short = [j for j, (a, b) in enumerate(out) if b - a < min_fraction * duration]
        if not short:
            break
        j = min(short, key=lambda k: out[k][1] - out[k][0])
        if j == 0 or (j < len(out) - 1 and out[j + 1][1] - out[j + 1][0] < out[j - 1][1] - out[j - 1][0]):
            out[j + 1][0] = out[j][0]
        else:
            out[j - 1][1] = out[j][1]
        del out[j]
    return [(a, b) for a, b in out]


_MOVES = ("The lecture begins with {}.", "The lecture then turns to {}.", "Next, it discusses {}.",
          "Finally, it touches on {}.")


def overview_move(k: int, n: int, topic: str) -> str:
    """Template sentence introducing section ``k`` of ``n`` in lecture order ('' without a topic)."""
    if not topic:
        return ""
    if n == 1:
        return f"The lecture is about {topic}."
    move = _MOVES[0] if k == 0 else _MOVES[3] if k == n - 1 else _MOVES[1] if k == 1 else _MOVES[2]
    return move.format(topic)


def _section_topic(lec: _Lecture, members: List[int], embedder, used: List[str], lecture_text: str,
                   title: str = "") -> str:
    """The section's key phrase: a slide title when the chapter has one, else the best section phrase (near both
    the section and the whole lecture) that names a thing and is not part of an earlier section's topic."""
    if title:
        # "Topic (cont.)" continues an earlier slide: the same topic must not open two moves of the overview.
        title = re.sub(r"\s*[\(\[]?\b(?:cont(?:inued|'d|\.)?|part\s+\d+)[\)\]]?\s*$", "", title, flags=re.I).strip()
        phrase = _title_as_phrase(title, " ".join(lec.texts)) if title else ""
        if phrase and phrase.lower() not in used:
            return phrase
    centre = _unit(lec.emb[members].mean(0)) + _unit(lec.emb[lec.idx].mean(0))
    for p in embedding_keyphrases([lec.texts[i] for i in members], embedder, top=6, doc_vec=_unit(centre)):
        low = p.lower()
        if is_nounish(p, lecture_text) and not any(low in u or u in low for u in used):
            # A sentence-initial capital is not a name: keep it only when the lecture capitalises it mid-sentence.
            first = p.split()[0]
            if first[:1].isupper() and sum(c.isupper() for c in first) == 1 and \
                    not re.search(r"[a-z,;]\s+" + re.escape(first) + r"\b", " ".join(lec.texts)):
                p = first.lower() + p[len(first):]
            return p
    return ""


def overview_summary(lec: _Lecture, sections: Sequence[Tuple[float, float]], embedder, *, max_words: int,
                     titles: Sequence[str] = ()) -> str:
    """Whole-lecture overview: for every section in order a template move over its topic phrase, then (word budget
    permitting, best sections first) its most central compressed sentence, preferring third-person sentences that
    mention the topic. ``titles`` (per section, may be empty) are slide titles to use as topics."""
    lecture_text = " ".join(lec.texts).lower()
    used: List[str] = []
    parts: List[Tuple[str, Tuple[float, int, str]]] = []
    for k, (a, b) in enumerate(sections):
        members = lec.within(a, b, last=k == len(sections) - 1)
        if len(members) < 5:
            continue
        topic = _section_topic(lec, members, embedder, used, lecture_text, titles[k] if k < len(titles) else "")
        if topic:
            used.append(topic.lower())
        s = lec.local_scores(members)
        best = (-np.inf, -1, "")
        for i in members:
            t = tighten(lec.short[i], OVERVIEW_SENTENCE_WORDS)
            n = len(t.split()) if t else 0
            if n < 7 or t.endswith("?"):
                continue
            sc = s[i] - PERSON_WEIGHT * len(_PERSON_RE.findall(t)) / n + TOPIC_BONUS * (topic.lower() in t.lower())
            if sc > best[0]:
                best = (float(sc), i, t)
        parts.append((topic, best))
    moves = [overview_move(k, len(parts), topic) for k, (topic, _) in enumerate(parts)]
    total = sum(len(m.split()) for m in moves)
    chosen = set()
    for k in sorted(range(len(parts)), key=lambda k: -parts[k][1][0]):
        sc, i, text = parts[k][1]
        if i >= 0 and total + len(text.split()) <= max_words:
            chosen.add(k)
            total += len(text.split())
    out: List[str] = []
    for k, (_, (_, _, text)) in enumerate(parts):
        out += [moves[k]] if moves[k] else []
        out += [text] if k in chosen else []
    return " ".join(out)


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
                created: str = "", lead: bool = True) -> LectureNotes:
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
        sections = summary_sections([(c.start, c.end) for c in spans], end)
        summary = overview_summary(lec, sections, embedder, max_words=summary_words(end),
                                   titles=[_slide_title(slides, a, b) for a, b in sections])
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


def _title_as_phrase(title: str, lecture_text: str = "") -> str:
    """A slide title read as part of a sentence: "What a Vaccine Contains" -> "what a vaccine contains";
    acronyms, mixed-case words (DNA, mRNA) and names the speaker capitalises mid-sentence keep their case."""
    words = []
    for w in title.split():
        core = re.sub(r"[^A-Za-z]", "", w)
        name = bool(core) and core[0].isupper() and re.search(r"[a-z,;] " + re.escape(core) + r"\b", lecture_text)
        keep = bool(name) or (len(core) >= 2 and (core.isupper() or any(c.isupper() for c in core[1:])))
        words.append(w if keep else w.lower())
    return " ".join(words).rstrip(":.;")


def _slide_title(slides: Sequence[Slide], start: float, end: float) -> str:
    """Title of the first titled slide of [start, end) (by its midpoint, as chapters take their slides), if it
    opens the span (shown before the span's midpoint); '' otherwise."""
    for sl in sorted(slides, key=lambda x: x.start):
        if start <= (sl.start + sl.end) / 2 < end and sl.start < start + 0.5 * (end - start) and sl.title.strip():
            return re.sub(r"\s+", " ", sl.title).strip()
    return ""


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)

