"""Per-sentence features the overview scores candidates on (each z-scored within the lecture).

- ``written_register``: the share of noun-phrase glue words (expository vs conversational);
- ``name_density``: the lecture's recurring names and quoted titles;
- ``term_density``: the lecture's key terms (content words said in several sentences).
"""
from __future__ import annotations

import re
from typing import Sequence

import numpy as np

from lecture_notes.text.summarize import scoring_words, zscore
from lecture_notes.text.textutil import stem

__all__ = ["written_register", "name_density", "term_density"]

# Not the subject of a sentence, nor a name when capitalised mid-sentence.
NOT_SUBJECT = frozenset("the a an of in on and or to for with by from at as these those many some all two three four "
                        "few several its their his her our my your other such more most both each every no".split())

_NP_GLUE = frozenset("the of and a an in to is".split())


def written_register(texts: Sequence[str]) -> np.ndarray:
    """z-scored share of articles, "of", "in", "to", "and" and "is" among a sentence's words: expository sentences
    built from noun phrases ("the expulsion of the moriscos", "the influence of art on reality") score high,
    conversational ones ("you can only get two isomers, starting from there") low."""
    out = []
    for t in texts:
        toks = re.findall(r"[a-z']+", t.lower())
        out.append(sum(w in _NP_GLUE for w in toks) / max(len(toks), 6))
    return zscore(np.array(out, dtype=float))


def name_density(texts: Sequence[str]) -> np.ndarray:
    """z-scored count of the lecture's recurring names in each sentence: capitalised words seen capitalised
    mid-sentence at least three times in the lecture ("Yeats", "Ricote", "Kekulé") and words of quoted titles
    ("Leda and the Swan"), per square root of the sentence length."""
    cap = re.compile(r"(?<=[\w,;:'\"] )[A-Z][\w'\u00C0-\u017F-]+")
    count: dict = {}
    for t in texts:
        for w in set(cap.findall(t)):
            if w.lower() not in NOT_SUBJECT and w not in ("I", "I'm", "I've", "I'll", "I'd"):
                count[w] = count.get(w, 0) + 1
    names = {w for w, c in count.items() if c >= 3}
    out = []
    for t in texts:
        n = len(names.intersection(cap.findall(t)))
        n += sum(1 for q in re.findall(r'"([A-Z][^"]{3,60})"', t) if len(q.split()) <= 8)
        out.append(n / max(len(t.split()), 4) ** 0.5)
    return zscore(np.array(out, dtype=float))


def term_density(texts: Sequence[str], min_count: int = 3) -> np.ndarray:
    """z-scored density of the lecture's key terms in each sentence: content-word stems said in at least
    ``min_count`` sentences, each weighted by the log of how many, summed over the sentence's distinct terms per
    square root of its length ("the priestly source" in a lecture about sources beats "the origin of the name is
    interesting")."""
    bags = [{stem(w) for w in scoring_words(t)} for t in texts]
    df: dict = {}
    for b in bags:
        for w in b:
            df[w] = df.get(w, 0) + 1
    out = [sum(np.log(df[w]) for w in b if df[w] >= min_count) / max(len(t.split()), 4) ** 0.5
           for b, t in zip(bags, texts)]
    return zscore(np.array(out, dtype=float))
