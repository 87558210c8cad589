"""How sure speech recognition was: word and segment flags, and the confidence of a span of notes.

Whisper gives every word a probability and every segment its average log-probability, the probability that it
is not speech at all, and the compression ratio of its text (repetition loops compress well). A word is *unsure*
below ``WORD_LOW``; a segment is *unsure* when Whisper's own fallback thresholds would have rejected it
(avg_logprob < -1.0, compression ratio > 2.4, or no_speech_prob > 0.6 with avg_logprob < -0.5).

The confidence of a key point or question is that of the weakest content word it shares with the transcript
spoken in its span (capped when its segment is unsure); a word the slide vocabulary corrected counts as
``CORRECTED``. Items below ``LOW`` are built on a garbled span and are left out of the notes and exports.
Human transcripts carry no statistics: everything from them has confidence 1.0.
"""
from __future__ import annotations

import bisect
import re
from dataclasses import replace
from typing import Iterable, List, Optional, Sequence, Tuple

from lecture_notes.core.types import LectureNotes, QAPair, Segment, TimedText, Transcript, Word
from lecture_notes.text.stopwords import STOPWORDS

WORD_LOW = 0.4  # word probability below which a word is flagged
LOW = 0.4  # items whose confidence is below this are dropped
SHOW = 0.7  # items below this (but kept) get a visible mark
CORRECTED = 0.6  # confidence of a word the slide vocabulary replaced
SEGMENT_CAP = 0.3  # confidence of anything in a segment Whisper itself would have rejected
_TOKEN = re.compile(r"[a-z0-9']+")


def norm(token: str) -> str:
    """A word as it is compared: lower case, letters/digits/apostrophes only."""
    return "".join(_TOKEN.findall(token.lower()))


def is_content(token: str) -> bool:
    w = norm(token)
    return len(w) >= 3 and w not in STOPWORDS and not w.isdigit()


def segment_unsure(seg: Segment) -> bool:
    """Whisper's own rejection rules: low average log-probability, a repetition loop, or likely not speech."""
    lp, ns, cr = seg.avg_logprob, seg.no_speech_prob, seg.compression_ratio
    return ((lp is not None and lp < -1.0) or (cr is not None and cr > 2.4)
            or (ns is not None and ns > 0.6 and (lp is None or lp < -0.5)))


def word_confidence(word: Word) -> float:
    return max(word.probability, CORRECTED) if word.original else word.probability


def word_unsure(word: Word) -> bool:
    """True for a word Whisper was unsure of that the slide vocabulary did not settle."""
    return not word.original and word.probability < WORD_LOW


class ConfidenceIndex:
    """The transcript's words in time order, to score any span of it."""

    def __init__(self, transcript: Transcript) -> None:
        self.has_stats = not transcript.source.startswith("file:")
        self.words: List[Tuple[float, float, str, float]] = []  # (mid, cap-adjusted confidence, norm word, ...)
        items = []
        for seg in transcript.segments:
            cap = SEGMENT_CAP if segment_unsure(seg) else 1.0
            for w in seg.words:
                items.append(((w.start + w.end) / 2, norm(w.word), min(cap, word_confidence(w))))
        items.sort()
        self.mids = [m for m, _, _ in items]
        self.items = items

    def span(self, start: float, end: float, text: str, pad: float = 0.5) -> float:
        """Confidence (0..1) of ``text`` built from the speech in [start, end]: the weakest content word of the
        text that was spoken there; 1.0 when nothing in the text was spoken there (a slide line) or unknown."""
        if not self.has_stats or not self.items:
            return 1.0
        wanted = {norm(t) for t in text.split() if is_content(t)}
        if not wanted:
            return 1.0
        lo = bisect.bisect_left(self.mids, start - pad)
        hi = bisect.bisect_right(self.mids, end + pad)
        found = [c for _, w, c in self.items[lo:hi] if w in wanted]
        return round(min(found), 3) if found else 1.0


def annotate(notes: LectureNotes, *, drop_below: float = LOW) -> Tuple[LectureNotes, int]:
    """Set ``confidence`` on every key point and question (chapters and chunks) from the transcript, and drop
    those below ``drop_below`` and, for ASR transcripts, questions with a garbled word (see
    ``questions.garbled``). Returns (notes, number dropped)."""
    from lecture_notes.text.questions import garbled

    idx = ConfidenceIndex(notes.transcript)
    slide_words = {w.lower() for s in notes.slides for w in re.findall(r"[A-Za-z']+", f"{s.title} {s.text}")}
    dropped = 0

    def kps(items: Sequence[TimedText]) -> Tuple[TimedText, ...]:
        nonlocal dropped
        out = []
        for k in items:
            c = min(k.confidence, idx.span(k.start, k.end, k.text))
            if c < drop_below:
                dropped += 1
                continue
            out.append(replace(k, confidence=c))
        return tuple(out)

    def qas(items: Sequence[QAPair]) -> Tuple[QAPair, ...]:
        nonlocal dropped
        out = []
        for q in items:
            c = min(q.confidence, idx.span(q.start, q.end, f"{q.question} {q.answer}"))
            if c < drop_below or (idx.has_stats and garbled(f"{q.question} {q.answer}", slide_words)):
                dropped += 1
                continue
            out.append(replace(q, confidence=c))
        return tuple(out)

    chapters = tuple(replace(c, key_points=kps(c.key_points), qa=qas(c.qa)) for c in notes.chapters)
    in_chapters = dropped  # the chunks repeat the chapters' items: count those once
    chunks = tuple(replace(c, key_points=kps(c.key_points), qa=qas(c.qa)) for c in notes.chunks)
    dropped = in_chapters
    return replace(notes, chapters=chapters, chunks=chunks), dropped


def publishable(items: Iterable, min_confidence: float = LOW) -> list:
    """The key points / questions an export may publish: confidence at or above ``min_confidence``. Accepts
    dataclasses or notes.json dicts (a missing confidence counts as 1.0)."""
    out = []
    for it in items:
        c = it.get("confidence", 1.0) if isinstance(it, dict) else getattr(it, "confidence", 1.0)
        try:
            ok = float(c) >= min_confidence
        except (TypeError, ValueError):
            ok = True
        if ok:
            out.append(it)
    return out


def alternative(word: Word, slide_terms: Sequence[str] = ()) -> Optional[str]:
    """Another reading of an unsure word for a tooltip: what ASR heard for a corrected word, else a close slide
    term or the one real word a spelling slip away, else None."""
    if word.original:
        return word.original.strip()
    from lecture_notes.text import lexicon

    core = norm(word.word)
    key = lexicon.phonetic_key(core)
    best, score = None, 0.0
    for t in slide_terms:
        s = lexicon.similarity(core, t.lower())
        if (s >= 0.6 and s > score and t.lower() != core and lexicon.phonetic_key(t)[:1] == key[:1]
                and lexicon.zipf(t) < 4.5):  # a rarer word that starts with the same sound, not 'strain'/'Train'
            best, score = t, s
    return best or lexicon.spelling_fix(core)
