"""Word rarity, a phonetic key and string similarity, for telling ASR misspellings from real words.

Rarity comes from ``wordfreq`` (Zipf scale: 7 = 'the', 3 = once per million words, 0 = never seen). The phonetic
key is a small Metaphone-like code: it keeps the consonant skeleton of a word as it sounds ('adjuvant' -> 'AJFNT',
'anedjuva' -> 'ANJF'), so words that sound alike but are spelt differently compare as close.
"""
from __future__ import annotations

import functools
import re
from typing import Iterable, Optional

_LETTERS = re.compile(r"[^a-z]")
_RULES = [  # applied in order to a lower-case word
    (re.compile(r"^kn|^gn|^pn|^wr"), lambda m: m.group(0)[1]),
    (re.compile(r"^x"), lambda m: "s"),
    (re.compile(r"ph"), lambda m: "f"),
    (re.compile(r"[dt]?ch|sh|ti(?=[ao])|si(?=[ao])"), lambda m: "X"),
    (re.compile(r"th"), lambda m: "0"),
    (re.compile(r"dg(?=[eiy])|d?j|g(?=[eiy])"), lambda m: "J"),
    (re.compile(r"ck|q|c(?![eiy])"), lambda m: "k"),
    (re.compile(r"c"), lambda m: "s"),
    (re.compile(r"x"), lambda m: "ks"),
    (re.compile(r"gh(?![aeiou])"), lambda m: ""),
    (re.compile(r"z"), lambda m: "s"),
    (re.compile(r"v"), lambda m: "f"),
    (re.compile(r"d"), lambda m: "t"),
    (re.compile(r"b"), lambda m: "p"),
    (re.compile(r"(?<=[^aeiou])h|h(?![aeiou])"), lambda m: ""),
    (re.compile(r"[wy](?![aeiou])"), lambda m: ""),
]


@functools.lru_cache(maxsize=65536)
def phonetic_key(word: str) -> str:
    """A Metaphone-like consonant skeleton: vowels dropped except a leading one (as 'A'), doubled sounds merged,
    voiced/unvoiced pairs (d/t, b/p, v/f, z/s) merged."""
    w = _LETTERS.sub("", word.lower())
    if not w:
        return ""
    for rx, fn in _RULES:
        w = rx.sub(fn, w)
    lead = "A" if w[0] in "aeiou" else ""
    body = re.sub(r"[aeiou]", "", w)
    out = []
    for ch in body.upper():
        if not out or out[-1] != ch:
            out.append(ch)
    return lead + "".join(out)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute: cost 1)."""
    if len(a) < len(b):
        a, b = b, a
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def similarity(a: str, b: str) -> float:
    """1 - edit distance / length of the longer string (1.0 = same, 0.0 = nothing in common)."""
    if not a and not b:
        return 1.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))


def lcs_ratio(a: str, b: str) -> float:
    """Longest common subsequence as a share of the mean length (Dice-like; tolerant of a split-off prefix)."""
    if not a or not b:
        return 0.0
    prev = [0] * (len(b) + 1)
    for ca in a:
        cur = [0]
        for j, cb in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if ca == cb else max(prev[j], cur[j - 1]))
        prev = cur
    return 2.0 * prev[-1] / (len(a) + len(b))


@functools.lru_cache(maxsize=65536)
def zipf(word: str, lang: str = "en") -> float:
    """How common ``word`` is (wordfreq Zipf scale; 0.0 for words wordfreq has never seen; 7.0 for every word
    when wordfreq is missing, so nothing is taken for a misspelling)."""
    try:
        from wordfreq import zipf_frequency
    except ImportError:  # pragma: no cover - a dependency; without it every word counts as common (no fixes)
        return 7.0
    try:
        return float(zipf_frequency(word.lower(), lang))
    except LookupError:  # a language wordfreq does not know
        return 0.0


def is_rare(word: str, lang: str = "en", threshold: float = 3.0) -> bool:
    """True when ``word`` is seen less than ~once per million words (or never)."""
    return zipf(word, lang) < threshold


_ALPHA = "abcdefghijklmnopqrstuvwxyz"


def _edits1(w: str) -> Iterable[str]:
    splits = [(w[:i], w[i:]) for i in range(len(w) + 1)]
    for a, b in splits:
        if b:
            yield a + b[1:]
            for c in _ALPHA:
                yield a + c + b[1:]
        if len(b) > 1:
            yield a + b[1] + b[0] + b[2:]
        for c in _ALPHA:
            yield a + c + b


def spelling_fix(word: str, lang: str = "en", min_zipf: float = 2.0) -> Optional[str]:
    """The one real word one edit away from a non-word ('attenduated' -> 'attenuated'), else None.

    Only words of 8+ letters wordfreq has never seen are fixed (shorter ones have too many neighbours), only with a candidate seen at least ``min_zipf``, and only
    when one candidate clearly wins (ten times as common as the next), so real rare words are left alone."""
    w = word.lower()
    if len(w) < 8 or not w.isalpha() or zipf(w, lang) > 0.0:
        return None
    cands = {c: zipf(c, lang) for c in set(_edits1(w)) if c != w}
    ranked = sorted(((z, c) for c, z in cands.items() if z >= min_zipf), reverse=True)
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[1][0] > ranked[0][0] - 1.0:
        return None
    return ranked[0][1]
