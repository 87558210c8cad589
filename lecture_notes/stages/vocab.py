"""Slide vocabulary stage: correct words speech recognition misheard, using the slide on screen at that moment.

A recognised word is replaced by a term of the slide shown while it was spoken (give or take ``MARGIN_S``) when
  - the heard word is rare in the language (wordfreq Zipf below ``RARE_ZIPF``: 'anedjuva' is never seen), so a
    real common word the lecturer said is never 'corrected', and
  - it is close to the term both by spelling (edit distance / longest common subsequence) and by sound (a
    Metaphone-like key): 'anedjuva' -> 'adjuvant' under a slide saying 'Adjuvants amplify the alarm signal'.
Long non-words with exactly one clearly most likely real word one edit away are fixed too ('attenduated' ->
'attenuated'). Every corrected word keeps what ASR heard in ``Word.original`` (notes.json keeps it).
Human transcripts (subtitle files) are never changed.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, replace
from typing import Dict, List, Optional, Sequence, Tuple

from lecture_notes.core.types import Segment, Slide, Transcript, Word
from lecture_notes.text import lexicon

log = logging.getLogger(__name__)

MARGIN_S = 8.0  # a lecturer names a slide's terms a little before it appears and after it goes
RARE_ZIPF = 3.0  # heard words more common than this (about once per million words) are left alone
MIN_TERM_LEN = 4
MIN_SPELLING = 0.70  # best of edit-distance similarity and LCS ratio on the letters
MIN_SOUND = 0.60  # LCS ratio of the phonetic keys
_TOKEN = re.compile(r"^(?P<pre>[^\w]*)(?P<core>[A-Za-z][A-Za-z'\-]*?)(?P<post>(?:'s)?[^\w]*)$")
_TERM = re.compile(r"[A-Za-z][A-Za-z\-]{2,}")


@dataclass(frozen=True)
class Term:
    """A word seen on a slide, with the time the slide is on screen."""

    text: str
    start: float
    end: float


def slide_terms(slides: Sequence[Slide], lang: str = "en") -> List[Term]:
    """Distinctive words of each slide (title, OCR text, description), at least MIN_TERM_LEN letters and not
    among the most common words of the language."""
    out: List[Term] = []
    for s in slides:
        seen = set()
        for m in _TERM.finditer(f"{s.title}\n{s.text}"):
            w = m.group(0).strip("-")
            if len(w) < MIN_TERM_LEN or w.lower() in seen or lexicon.zipf(w, lang) >= 5.0:
                continue
            seen.add(w.lower())
            out.append(Term(w, s.start, s.end))
    return out


def best_term(heard: str, terms: Sequence[Term], lang: str = "en") -> Optional[str]:
    """The slide term ``heard`` (one recognised word, letters only) most likely stands for, or None."""
    h = heard.lower()
    if len(h) < MIN_TERM_LEN - 1 or lexicon.zipf(h, lang) >= RARE_ZIPF:
        return None
    hk = lexicon.phonetic_key(h)
    known = lexicon.zipf(h, lang) > 0.0
    best: Tuple[float, Optional[str]] = (0.0, None)
    for term in terms:
        for form in _forms(term.text, h, lang):
            t = form.lower()
            if t == h:
                return None  # the heard word is on the slide: nothing to correct
            if known and _inflection(h, t):
                continue  # 'amplifies' under 'amplify': a real word in another form, not a mishearing
            spelling = max(lexicon.similarity(h, t), lexicon.lcs_ratio(h, t))
            sound = lexicon.lcs_ratio(hk, lexicon.phonetic_key(t))
            if spelling >= MIN_SPELLING and sound >= MIN_SOUND and h[0] == t[0] and spelling + sound > best[0]:
                best = (spelling + sound, form)
    return best[1]


def _inflection(a: str, b: str) -> bool:
    """True when two words differ only in their ending (a shared stem of all but the last three letters)."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= max(3, min(len(a), len(b)) - 3)


def _forms(term: str, heard: str, lang: str) -> List[str]:
    """The term, plus its singular when the slide has a plural and the speaker said one thing ('Adjuvants' ->
    'Adjuvant'), or its plural the other way round."""
    forms = [term]
    if term.lower().endswith("s") and not heard.endswith("s") and lexicon.zipf(term[:-1], lang) > 0:
        forms.insert(0, term[:-1])
    elif heard.endswith("s") and not term.lower().endswith("s") and lexicon.zipf(term + "s", lang) > 0:
        forms.insert(0, term + "s")
    return forms


def _cased(new: str, old: str) -> str:
    """Give the replacement the heard word's capitalisation, unless the slide writes it as a name/acronym."""
    if any(c.isupper() for c in new[1:]) or (new[:1].isupper() and not old[:1].isupper() and new.lower() != new):
        return new if new.isupper() or any(c.isupper() for c in new[1:]) else new.lower()
    return new[:1].upper() + new[1:].lower() if old[:1].isupper() else new.lower()


def correct_word(token: str, t: float, terms: Sequence[Term], lang: str = "en") -> Optional[str]:
    """The corrected token (punctuation kept) for a word heard at time ``t``, or None to keep it."""
    m = _TOKEN.match(token)
    if not m or "'" in m.group("core") or "-" in m.group("core"):
        return None
    core = m.group("core")
    near = [x for x in terms if x.start - MARGIN_S <= t <= x.end + MARGIN_S]
    new = best_term(core, near, lang) if near else None
    if new is None and core[:1].islower():  # capitalised unknown words are mostly names: left alone
        new = lexicon.spelling_fix(core, lang)
    if new is None or new.lower() == core.lower():
        return None
    return m.group("pre") + _cased(new, core) + m.group("post")


def correct_transcript(transcript: Transcript, slides: Sequence[Slide]) -> Tuple[Transcript, int]:
    """Correct misheard words of an ASR transcript against the slides on screen; returns (transcript, count).

    Subtitle-file transcripts (source ``file:...``) are returned unchanged."""
    if transcript.source.startswith("file:") or not transcript.segments:
        return transcript, 0
    lang = (transcript.language or "en").split("-")[0]
    terms = slide_terms(slides, lang)
    segments, n = [], 0
    for seg in transcript.segments:
        new_seg, k = _correct_segment(seg, terms, lang)
        segments.append(new_seg)
        n += k
    if n:
        log.info("slide vocabulary corrected %d words", n)
    return replace(transcript, segments=tuple(segments)), n


def _correct_segment(seg: Segment, terms: Sequence[Term], lang: str) -> Tuple[Segment, int]:
    if seg.words:
        words: List[Word] = []
        changes: List[Tuple[str, str]] = []
        for w in seg.words:
            new = correct_word(w.word, w.start, terms, lang)
            if new is None:
                words.append(w)
                continue
            words.append(replace(w, word=new, original=w.original or w.word))
            changes.append((w.word, new))
        if not changes:
            return seg, 0
        return replace(seg, text=_replace_in_text(seg.text, changes), words=tuple(words)), len(changes)
    toks = seg.text.split()
    changes = []
    for i, tok in enumerate(toks):
        t = seg.start + (seg.end - seg.start) * i / max(1, len(toks))
        new = correct_word(tok, t, terms, lang)
        if new is not None:
            changes.append((tok, new))
    if not changes:
        return seg, 0
    return replace(seg, text=_replace_in_text(seg.text, changes)), len(changes)


def _replace_in_text(text: str, changes: Sequence[Tuple[str, str]]) -> str:
    """Replace each (old, new) token in order, left to right, as whole words."""
    out: List[str] = []
    pos = 0
    for old, new in changes:
        o = old.strip()
        pat = (r"(?<!\w)" if o[:1].isalnum() else "") + re.escape(o) + (r"(?!\w)" if o[-1:].isalnum() else "")
        m = re.compile(pat).search(text, pos)
        if not m:
            continue
        out.append(text[pos:m.start()])
        out.append(new.strip())
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)


def corrections(transcript: Transcript) -> Dict[str, int]:
    """How often each 'heard -> corrected' pair occurs (for logs and benchmarks)."""
    out: Dict[str, int] = {}
    for seg in transcript.segments:
        for w in seg.words:
            if w.original:
                key = f"{w.original} -> {w.word}"
                out[key] = out.get(key, 0) + 1
    return out
