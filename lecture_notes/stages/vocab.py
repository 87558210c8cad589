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
UNSURE_P = 0.5  # a heard word more common than RARE_ZIPF is replaced only below this word probability ...
COMMON_ZIPF = 5.0  # ... and only if it is not among the most common words
MIN_SPELLING = 0.70  # best of edit-distance similarity and LCS ratio on the letters
MIN_SOUND = 0.60  # LCS ratio of the phonetic keys
MIN_SPELLING_SAME_SOUND = 0.55  # spelling needed when the words sound the same ('Keculae' / 'Kekulé')
_TOKEN = re.compile(r"^(?P<pre>[^\w]*)(?P<core>[A-Za-z][A-Za-z'\-]*?)(?P<post>(?:'s)?[^\w]*)$")
_TERM = re.compile(r"[^\W\d_][^\W\d_]*(?:-[^\W\d_]+)*")  # letters of any script ('Kekulé')


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


def best_term(heard: str, terms: Sequence[Term], lang: str = "en", probability: float = 1.0) -> Optional[str]:
    """The slide term ``heard`` (one recognised word, letters only, recognised with ``probability``) most likely
    stands for, or None. A common heard word is only replaced when Whisper was unsure of it and the slide's
    term is rarer ('Shelley' at p=0.28 under a slide naming 'Shelly Kagan')."""
    h = heard.lower()
    z = lexicon.zipf(h, lang)
    unsure = probability < UNSURE_P and z < COMMON_ZIPF
    if len(h) < MIN_TERM_LEN - 1 or (z >= RARE_ZIPF and not unsure):
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
            if z >= RARE_ZIPF and lexicon.zipf(t, lang) >= z:
                continue  # an unsure common word is only traded for a rarer slide term
            tk = lexicon.phonetic_key(t)
            if not tk or hk[:1] != tk[:1]:
                continue  # words that start with another sound ('Cagon' and 'Kagan' both start with K)
            spelling = max(lexicon.similarity(h, t), lexicon.lcs_ratio(h, t))
            sound = lexicon.lcs_ratio(hk, tk)
            same_sound = hk == tk and len(hk) >= 2 and len(h) >= 5 and spelling >= MIN_SPELLING_SAME_SOUND
            if ((spelling >= MIN_SPELLING and sound >= MIN_SOUND) or same_sound) and spelling + sound > best[0]:
                best = (spelling + sound, form)
    return best[1]


_ENDINGS = frozenset(["", "s", "es", "ed", "d", "ing", "ies", "y", "ied", "er", "ers", "ly", "ily", "e", "al", "ally",
                      "ness", "ity", "ical", "ically", "ation", "ations", "ment", "ments"])


def _inflection(a: str, b: str) -> bool:
    """True when two words are one stem with inflectional endings ('amplifies' / 'amplify'), not when they
    differ in spelling ('Shelley' / 'Shelly')."""
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n >= 3 and a[n:] in _ENDINGS and b[n:] in _ENDINGS


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
    """The replacement with the heard word's capitalisation (Whisper capitalises names and sentence starts),
    unless the slide writes it as an acronym or with inner capitals ('mRNA', 'DNA')."""
    if any(c.isupper() for c in new[1:]):
        return new
    return (new[:1].upper() if old[:1].isupper() else new[:1].lower()) + new[1:]


_NUMBER = re.compile(r"^(?P<pre>[^\w]*)(?P<num>\d{1,2})(?P<suffix>st|nd|rd|th)?(?P<post>[^\w]*)$")
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
         "seventeen eighteen nineteen").split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()
_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
        "twelve": "twelfth"}


def spell_number(digits: str, ordinal: bool = False) -> str:
    """0..99 in words, as a slide would spell it out: '19' -> 'nineteen', '19th' -> 'nineteenth'."""
    n = int(digits)
    if n < 20:
        words = [_ONES[n]]
    else:
        words = [_TENS[n // 10]] + ([_ONES[n % 10]] if n % 10 else [])
    if ordinal:
        last = words[-1]
        words[-1] = _ORD.get(last) or (last[:-1] + "ieth" if last.endswith("y") else last + "th")
    return "-".join(words)


def correct_word(token: str, t: float, terms: Sequence[Term], lang: str = "en",
                 probability: float = 1.0) -> Optional[str]:
    """The corrected token (punctuation kept) for a word heard at time ``t``, or None to keep it."""
    near = [x for x in terms if x.start - MARGIN_S <= t <= x.end + MARGIN_S]
    n = _NUMBER.match(token)
    if n:  # '19th' while the slide spells out 'nineteenth': write it as the slide does
        spelled = spell_number(n.group("num"), ordinal=bool(n.group("suffix")))
        hit = next((x.text for x in near if spelled and x.text.lower() == spelled), None)
        return n.group("pre") + _cased(hit, token) + n.group("post") if hit else None
    m = _TOKEN.match(token)
    if not m or "'" in m.group("core") or "-" in m.group("core"):
        return None
    core = m.group("core")
    new = best_term(core, near, lang, probability) if near else None
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
    terms, pairs = slide_terms(slides, lang), slide_pairs(slides)
    segments, n = [], 0
    for seg in transcript.segments:
        new_seg, k = _correct_segment(seg, terms, lang, pairs)
        segments.append(new_seg)
        n += k
    if n:
        log.info("slide vocabulary corrected %d words", n)
    return replace(transcript, segments=tuple(segments)), n


def slide_pairs(slides: Sequence[Slide]) -> List[Tuple[str, str, float, float]]:
    """Adjacent word pairs of each slide line ('Plasma', 'cells'), with the time the slide is on screen."""
    out = []
    for s in slides:
        for line in f"{s.title}\n{s.text}".splitlines():
            toks = [m.group(0) for m in _TERM.finditer(line)]
            for a, b in zip(toks, toks[1:]):
                if len(a) >= 3 and len(b) >= 3:
                    out.append((a, b, s.start, s.end))
    return out


def _pair_fix(w1: Word, w2: Word, pairs: Sequence[Tuple[str, str, float, float]]) -> Optional[Tuple[str, str]]:
    """Two heard words that together sound exactly like two words of the slide on screen but each differ from
    them ('plus missiles' / 'Plasma cells': both P-L-S-M-S-L-S), as the slide writes them; a skeleton of 5+ sounds
    is needed."""
    m1, m2 = _TOKEN.match(w1.word), _TOKEN.match(w2.word)
    if not m1 or not m2:
        return None
    h1, h2 = m1.group("core"), m2.group("core")
    key = lexicon.phonetic_key(h1 + h2)
    if len(key) < 5 or len(h1) < 3 or len(h2) < 3:
        return None
    for a, b, start, end in pairs:
        if not start - MARGIN_S <= w1.start <= end + MARGIN_S:
            continue
        if b.lower().endswith("s") and not h2.lower().endswith("s"):
            b = b[:-1]
        elif h2.lower().endswith("s") and not b.lower().endswith("s"):
            b = b + "s"
        if lexicon.phonetic_key(a + b) != key or max(lexicon.similarity(h1.lower(), a.lower()),
                                                    lexicon.similarity(h2.lower(), b.lower())) >= 0.7:
            continue  # not the same sounds, or one word already heard right: only a mis-cut pair of words
        return (m1.group("pre") + _cased(a, h1) + m1.group("post"), m2.group("pre") + _cased(b, h2) + m2.group("post"))
    return None


def _correct_segment(seg: Segment, terms: Sequence[Term], lang: str,
                     pairs: Sequence[Tuple[str, str, float, float]] = ()) -> Tuple[Segment, int]:
    if seg.words:
        words: List[Word] = []
        changes: List[Tuple[str, str]] = []
        ws = list(seg.words)
        i = 0
        while i < len(ws):
            w = ws[i]
            fix = _pair_fix(w, ws[i + 1], pairs) if pairs and i + 1 < len(ws) else None
            if fix is not None:
                for old, new in zip((w, ws[i + 1]), fix):
                    words.append(replace(old, word=new, original=old.original or old.word))
                    changes.append((old.word, new))
                i += 2
                continue
            i += 1
            new = correct_word(w.word, w.start, terms, lang, w.probability)
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
