"""What a lecture's search index is made of, from its notes alone (no model): sentences, overlapping
sentence-aligned transcript windows, slide texts, chapter titles/summaries, key points and glossary entries.

Also the tokenizer shared by the BM25 index, the abstention features and the HTML search box.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from lecture_notes.core.types import LectureNotes, Sentence
from lecture_notes.text.stopwords import STOPWORDS

WINDOW_MIN_S = 30.0
WINDOW_TARGET_S = 45.0
WINDOW_MAX_S = 60.0
WINDOW_HOP_S = 20.0

_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def stem(word: str) -> str:
    """A light suffix stripper (plurals, -ing, -ed, -ly) so "disks"/"disk" and "leaving"/"leave" match."""
    w = word
    if len(w) > 4 and w.endswith("'s"):
        w = w[:-2]
    w = w.replace("'", "")
    if len(w) > 5 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 5 and w.endswith("ing"):
        w = w[:-3]
        return w[:-1] if len(w) > 3 and w[-1] == w[-2] else w
    if len(w) > 4 and w.endswith("ed") and not w.endswith("eed"):
        w = w[:-2]
        return w[:-1] if len(w) > 3 and w[-1] == w[-2] else w
    if len(w) > 5 and w.endswith("ly"):
        return w[:-2]
    if len(w) > 3 and w.endswith("es") and w[-3] in "sxz":
        return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    if len(w) > 4 and w.endswith("e"):
        return w[:-1]
    return w


def tokens(text: str) -> List[str]:
    """Stemmed content words of ``text`` (stopwords dropped), in order."""
    return [stem(t) for t in _TOKEN.findall(text.lower()) if t not in STOPWORDS and len(t) > 1]


@dataclass(frozen=True)
class Unit:
    """One searchable item: a transcript window, a slide, a chapter, a key point or a glossary entry.

    ``s0:s1`` is the range of the lecture's sentences inside the unit's span (what a moment is tightened to);
    ``speakers``: who speaks in those sentences, when the transcript says (in order of first appearance).
    """

    kind: str
    start: float
    end: float
    text: str
    s0: int
    s1: int
    speakers: Tuple[str, ...] = ()


def lecture_sentences(notes: LectureNotes) -> List[Sentence]:
    """The lecture's transcript as timed sentences (the same splitter the notes use)."""
    from lecture_notes.stages.chunking import split_sentences

    return split_sentences(notes.transcript)


def make_windows(sentences: Sequence[Sentence], *, target: float = WINDOW_TARGET_S, minimum: float = WINDOW_MIN_S,
                 maximum: float = WINDOW_MAX_S, hop: float = WINDOW_HOP_S) -> List[Tuple[int, int]]:
    """Sentence ranges ``(i, j)`` (j exclusive) covering about ``target`` seconds (``minimum``-``maximum``), each
    starting about ``hop`` seconds after the previous one, so windows overlap and every sentence is in one."""
    out: List[Tuple[int, int]] = []
    n = len(sentences)
    i = 0
    while i < n:
        j = i + 1
        while j < n and sentences[j - 1].end - sentences[i].start < target \
                and sentences[j].end - sentences[i].start <= maximum:
            j += 1
        while j < n and sentences[j - 1].end - sentences[i].start < minimum \
                and sentences[j].end - sentences[i].start <= maximum * 1.5:
            j += 1
        out.append((i, j))
        if j >= n:
            break
        nxt = i + 1
        while nxt < j and sentences[nxt].start - sentences[i].start < hop:
            nxt += 1
        i = max(nxt, i + 1)
    return out


def _range(sentences: Sequence[Sentence], starts: Sequence[float], start: float, end: float) -> Tuple[int, int]:
    import bisect

    i = max(0, bisect.bisect_right(starts, start + 1e-6) - 1)
    if i < len(sentences) and sentences[i].end <= start:
        i += 1
    j = bisect.bisect_left(starts, end - 1e-6)
    return i, max(j, min(i + 1, len(sentences)))


def speakers_of(sentences: Sequence[Sentence], i: int, j: int) -> Tuple[str, ...]:
    """The distinct speakers of ``sentences[i:j]`` in order of first appearance (() when none is known)."""
    return tuple(dict.fromkeys(s.speaker for s in sentences[i:j] if getattr(s, "speaker", "")))


def make_units(notes: LectureNotes, sentences: Sequence[Sentence]) -> List[Unit]:
    """Every searchable unit of a lecture, windows first."""
    units = [Unit("window", sentences[i].start, sentences[j - 1].end,
                  " ".join(s.text for s in sentences[i:j]), i, j, speakers_of(sentences, i, j))
             for i, j in make_windows(sentences)]
    starts = [s.start for s in sentences]

    def add(kind: str, start: float, end: float, text: str) -> None:
        text = " ".join(str(text or "").split())
        if text and sentences:
            i, j = _range(sentences, starts, float(start), max(float(end), float(start)))
            units.append(Unit(kind, float(start), max(float(end), float(start)), text, i, j,
                              speakers_of(sentences, i, j)))

    seen_slides = set()
    for ch in notes.chapters:
        add("chapter", ch.start, ch.end, f"{ch.title}. {ch.summary}")
        for kp in ch.key_points:
            add("point", kp.start, kp.end, kp.text)
        for sl in ch.slides:
            key = (sl.start, sl.text)
            if key not in seen_slides:
                seen_slides.add(key)
                add("slide", sl.start, sl.end, " ".join(x for x in (sl.title, sl.text, sl.description) if x))
    for g in notes.glossary:
        add("term", g.start, max(g.end, g.start), f"{g.term}: {g.definition}")
    return units


def unit_to_dict(u: Unit) -> Dict[str, object]:
    d = {"kind": u.kind, "start": round(u.start, 3), "end": round(u.end, 3), "text": u.text, "s0": u.s0,
         "s1": u.s1}
    if u.speakers:
        d["speakers"] = list(u.speakers)
    return d


def window_rows(notes: LectureNotes, limit_chars: int = 600) -> List[List[object]]:
    """``[start, end, text]`` of the transcript windows (for the HTML search box; no model needed)."""
    sentences = lecture_sentences(notes)
    return [[round(sentences[i].start, 2), round(sentences[j - 1].end, 2),
             " ".join(s.text for s in sentences[i:j])[:limit_chars]] for i, j in make_windows(sentences)]
