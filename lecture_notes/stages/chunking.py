"""Sentences from timed transcript segments, sentence-aligned time windows, and (via chapters.py) topic chapters.

``split_sentences`` re-flows ASR segments / caption cues (which cut sentences anywhere) into sentences with times:
word timestamps when a segment has them, otherwise times interpolated by character offset inside the segment.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from lecture_notes.text.textutil import noise_spans
from lecture_notes.core.types import Chunk, Segment, Sentence, Slide, Transcript

log = logging.getLogger(__name__)

__all__ = ["split_sentences", "make_chunks", "find_chapters", "MAX_SENTENCE_WORDS"]

MAX_SENTENCE_WORDS = 40
# A silence this long inside an unpunctuated run is treated as a sentence end.
PAUSE_SPLIT_S = 1.2

_ABBREVIATIONS = frozenset("""
dr mr mrs ms prof profs st sr jr vs etc e.g i.e cf al fig figs eq eqs no vol ch sec approx dept univ inc ltd co corp
jan feb mar apr jun jul aug sep sept oct nov dec mt ft gen gov sen rep rev est ca p pp ed eds
""".split())
_INITIALS_RE = re.compile(r"^(?:[A-Za-z]\.){2,}$|^[A-Z]\.$")
_END_RE = re.compile(r"[.?!]+[\"')\]]*$")
_SENT_START_RE = re.compile(r"^[\"'(\[]*[A-Z0-9]")


@dataclass
class _Tok:
    text: str
    start: float
    end: float
    speaker: str = ""


@dataclass
class _Piece:
    offset: int
    length: int
    start: float
    end: float
    speaker: str = ""


def _pieces(segments: Sequence[Segment]) -> Tuple[str, List[_Piece]]:
    """Concatenate segment (or word) texts into one string, remembering each piece's time span."""
    parts: List[str] = []
    pieces: List[_Piece] = []
    pos = 0

    def add(text: str, start: float, end: float, glue: bool, speaker: str) -> None:
        nonlocal pos
        if not text:
            return
        if parts and not glue:
            parts.append(" ")
            pos += 1
        pieces.append(_Piece(pos, len(text), float(start), float(max(end, start)), speaker))
        parts.append(text)
        pos += len(text)

    for seg in segments:
        words = [w for w in seg.words if w.word.strip()]
        if words:
            for j, w in enumerate(words):
                glue = j > 0 and not w.word[:1].isspace() and not w.word.strip()[:1].isalnum()
                add(w.word.strip(), w.start, w.end, glue, seg.speaker)
        else:
            add(seg.text.strip().replace("\n", " "), seg.start, seg.end, False, seg.speaker)
    return "".join(parts), pieces


def _tokens(text: str, pieces: List[_Piece]) -> List[_Tok]:
    """Whitespace tokens of ``text`` (noise removed) with times interpolated inside their piece."""
    chars = list(text)
    for a, b in noise_spans(text):
        for i in range(a, b):
            chars[i] = " "
    clean = "".join(chars)
    owner = [0] * len(text)
    for pi, p in enumerate(pieces):
        for i in range(p.offset, p.offset + p.length):
            owner[i] = pi
    # Interpolate over spoken characters only: a "Professor X:" tag takes no time.
    spoken = [0] * (len(text) + 1)
    for i, c in enumerate(clean):
        spoken[i + 1] = spoken[i] + (not c.isspace())

    def t_at(i: int, end: bool) -> float:
        p = pieces[owner[i]]
        total = spoken[p.offset + p.length] - spoken[p.offset]
        done = spoken[i + (1 if end else 0)] - spoken[p.offset]
        frac = done / total if total else 0.0
        return p.start + (p.end - p.start) * min(1.0, max(0.0, frac))

    toks = []
    for m in re.finditer(r"\S+", clean):
        a, b = m.span()
        word = m.group(0)
        if not re.search(r"\w", word):
            # Punctuation split from its word (e.g. "it ." or "--") is glued to the previous token.
            if toks:
                toks[-1].text += word
                toks[-1].end = max(toks[-1].end, t_at(b - 1, True))
            continue
        toks.append(_Tok(word, t_at(a, False), t_at(b - 1, True), pieces[owner[a]].speaker))
    return toks


def _is_boundary(tok: str, nxt: Optional[str]) -> bool:
    if not _END_RE.search(tok):
        return False
    if nxt is None:
        return True
    core = tok.rstrip("\"')]")
    if core.endswith(("?", "!")):
        return True
    bare = core.rstrip(".").lower().lstrip("\"'([")
    if core.endswith("...") and not _SENT_START_RE.match(nxt):
        return False
    if bare in _ABBREVIATIONS or bare.replace(".", "") in ("eg", "ie") or _INITIALS_RE.match(core.lstrip("\"'([")):
        # "Dr. Smith", "e.g. this", "U.S. policy": not an end unless the next word obviously starts a sentence.
        return bool(re.match(r"^(?:The|This|That|These|It|We|I|So|And|But|Now|Then|There|He|She|They|You)\b", nxt))
    return bool(_SENT_START_RE.match(nxt))


def _split_long(toks: List[_Tok], max_words: int) -> List[List[_Tok]]:
    """Split a run of more than ``max_words`` tokens at the best pause / clause mark near its middle."""
    if len(toks) <= max_words:
        return [toks]
    n = len(toks)
    lo, hi = max(5, n // 5), min(n - 5, n - n // 5)
    best, best_score = n // 2, -1e9
    for i in range(lo, hi + 1):
        gap = toks[i].start - toks[i - 1].end
        prev = toks[i - 1].text
        score = 4.0 * min(gap, 2.0)
        if prev.endswith((",", ";", ":", "--")) or toks[i].text.startswith("--"):
            score += 1.5 if not prev.endswith(",") else 1.0
        if toks[i].text.lower() in ("and", "but", "so", "because", "which", "then", "or", "where", "when"):
            score += 0.7
        score -= 1.5 * abs(i - n / 2) / n
        if score > best_score:
            best, best_score = i, score
    return _split_long(toks[:best], max_words) + _split_long(toks[best:], max_words)


def split_sentences(transcript: Transcript, *, max_words: int = MAX_SENTENCE_WORDS) -> List[Sentence]:
    """Merge transcript segments into sentences with accurate start/end times and cleaned text.

    Segments may cut sentences anywhere (caption cues) or hold several. Word timestamps are used when present;
    otherwise times are interpolated by character offset within each segment. Abbreviations ("Dr.", "e.g.",
    "U.S.") and decimals do not end sentences; unpunctuated runs are cut at long pauses and capped at
    ``max_words`` words (at a pause or clause mark near the middle). When segments carry speakers, a change of
    speaker ends the sentence and each sentence keeps its speaker.
    """
    segments = sorted((s for s in transcript.segments if s.text.strip() or s.words), key=lambda s: s.start)
    if not segments:
        return []
    text, pieces = _pieces(segments)
    toks = _tokens(text, pieces)
    groups: List[List[_Tok]] = []
    cur: List[_Tok] = []
    for i, tok in enumerate(toks):
        cur.append(tok)
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        end = _is_boundary(tok.text, nxt.text if nxt else None) or (nxt is not None and nxt.speaker != tok.speaker)
        if not end and nxt is not None and len(cur) >= 8 and nxt.start - tok.end >= PAUSE_SPLIT_S \
                and not re.search(r"[,;:\-]$", tok.text):
            end = True  # unpunctuated ASR: a long silence ends the sentence
        if end or nxt is None:
            groups.extend(_split_long(cur, max_words))
            cur = []
    out: List[Sentence] = []
    for g in groups:
        body = " ".join(t.text for t in g)
        body = re.sub(r"\s+([,.;:?!])", r"\1", body).strip()
        if not re.search(r"\w", body):
            continue
        start, end = g[0].start, max(g[-1].end, g[0].start)
        if out and start < out[-1].start:
            start = out[-1].start
        out.append(Sentence(start=round(start, 3), end=round(max(end, start), 3), text=body, speaker=g[0].speaker))
    log.debug("split %d segments into %d sentences", len(segments), len(out))
    return out


def _overlapping_slides(slides: Sequence[Slide], start: float, end: float) -> Tuple[Slide, ...]:
    out = []
    for s in slides:
        overlap = min(s.end, end) - max(s.start, start)
        if overlap > min(1.0, 0.5 * max(0.0, s.end - s.start)) or (overlap > 0 and s.start >= start):
            out.append(s)
    return tuple(out)


def make_chunks(sentences: Sequence[Sentence], slides: Sequence[Slide], window: float) -> List[Chunk]:
    """Group sentences into consecutive windows of about ``window`` seconds, never cutting a sentence.

    Cuts fall on sentence starts within [0.7, 1.3] x window of the chunk start, preferring slide changes and long
    pauses near the target; a remainder under 0.3 x window joins the previous chunk. Chunks are contiguous (the
    first starts at 0, each ends where the next begins, the last ends with the last sentence) and carry the slides
    overlapping them.
    """
    sents = list(sentences)
    if not sents:
        return []
    window = max(1.0, float(window))
    changes = sorted({s.start for s in slides} | {s.end for s in slides})
    bounds = [0]  # sentence index where each chunk starts
    total_end = sents[-1].end
    while True:
        i0 = bounds[-1]
        t0 = 0.0 if i0 == 0 else sents[i0].start
        if total_end - t0 <= 1.3 * window:
            break
        best, best_score = None, -1e9
        for j in range(i0 + 1, len(sents)):
            t = sents[j].start
            if t - t0 < 0.7 * window:
                continue
            if t - t0 > 1.3 * window or total_end - t < 0.3 * window:
                break
            score = -abs(t - t0 - window) / window
            gap = t - sents[j - 1].end
            score += 0.15 * min(gap, 3.0) / 3.0
            if any(abs(c - t) <= 5.0 for c in changes):
                score += 0.25
            if score > best_score:
                best, best_score = j, score
        if best is None:  # one sentence longer than the window: cut right after it
            best = next((j for j in range(i0 + 1, len(sents)) if sents[j].start - t0 >= 0.7 * window), None)
            if best is None or total_end - sents[best].start < 0.3 * window:
                break
        bounds.append(best)
    chunks = []
    for k, i0 in enumerate(bounds):
        i1 = bounds[k + 1] if k + 1 < len(bounds) else len(sents)
        start = 0.0 if k == 0 else sents[i0].start
        end = sents[i1].start if i1 < len(sents) else total_end
        chunks.append(Chunk(index=k, start=start, end=end, sentences=tuple(sents[i0:i1]),
                            slides=_overlapping_slides(slides, start, end)))
    return chunks


def find_chapters(sentences, slides, embedder, *, duration, params=None):  # noqa: D103 - see chapters.py
    from lecture_notes.stages.chapters import find_chapters as _find

    return _find(sentences, slides, embedder, duration=duration, params=params)


find_chapters.__doc__ = "Topic chapters covering [0, duration]; see ``lecture_notes.stages.chapters.find_chapters``."
