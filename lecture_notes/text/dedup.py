"""Key points that say the same thing: meaning (sentence-embedding similarity) backed by shared content words.

A slide bullet and the sentence the lecturer speaks over it ('Adjuvants amplify the alarm signal' / 'An adjuvant
is an ingredient that amplifies the alarm signal, ...') are one point: MiniLM puts them at ~0.76 cosine, below
what is safe on its own, but every content word of the bullet is in the sentence. Two different points on the
same topic ('Killer T cells destroy infected cells' / 'Helper T cells activate matching B cells', 0.56) are not.
"""
from __future__ import annotations

import re
from typing import List, Sequence, Set

import numpy as np

from lecture_notes.text.stopwords import STOPWORDS

SAME = 0.85  # cosine at which two points are the same whatever their words
CLOSE = 0.65  # cosine at which shared content words decide
COVER = 0.6  # share of the shorter point's content words the other must contain


def stems(text: str) -> Set[str]:
    """Content words of ``text`` reduced to a crude stem ('antibodies' -> 'antibody', 'amplifies' -> 'amplify')."""
    out = set()
    for w in re.findall(r"[a-z][a-z'\-]+", text.lower()):
        w = w.strip("'-")
        if len(w) < 3 or w in STOPWORDS:
            continue
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith("ing") and len(w) > 5:
            w = w[:-3]
        elif w.endswith("ed") and len(w) > 4:
            w = w[:-2]
        elif w.endswith("es") and len(w) > 4 and w[-3] in "sxz":
            w = w[:-2]
        elif w.endswith("s") and not w.endswith("ss") and len(w) > 3:
            w = w[:-1]
        out.add(w)
    return out


def same_point(a: str, b: str, sim: float) -> bool:
    """True when key points ``a`` and ``b`` (embedding cosine ``sim``) make the same point."""
    if sim >= SAME:
        return True
    if sim < CLOSE:
        return False
    sa, sb = stems(a), stems(b)
    if not sa or not sb:
        return False
    short, long_ = (sa, sb) if len(sa) <= len(sb) else (sb, sa)
    return len(short & long_) / len(short) >= COVER


def unique_points(texts: Sequence[str], emb: np.ndarray) -> List[int]:
    """Indices of the points to keep, first occurrence wins; ``emb`` holds unit-length rows for ``texts``."""
    keep: List[int] = []
    for i, t in enumerate(texts):
        if not t.strip():
            continue
        if keep:
            sims = emb[keep] @ emb[i]
            if any(same_point(texts[j], t, float(s)) for j, s in zip(keep, sims)):
                continue
        keep.append(i)
    return keep
