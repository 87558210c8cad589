"""Okapi BM25 over pre-tokenised documents, with postings as numpy arrays (fast for short queries)."""
from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Dict, List, Sequence

import numpy as np


class BM25:
    """BM25 (k1, b) over ``docs`` (lists of tokens). ``scores(query_tokens)`` -> float32 array, one per doc."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if self.n else 1.0
        norm = k1 * (1 - b + b * lengths / max(avg, 1e-9))
        postings: Dict[str, List[tuple]] = defaultdict(list)
        for i, doc in enumerate(docs):
            for term, tf in Counter(doc).items():
                postings[term].append((i, tf))
        self.k1 = k1
        self.df: Dict[str, int] = {t: len(p) for t, p in postings.items()}
        self._post: Dict[str, tuple] = {}
        for term, plist in postings.items():
            ids = np.fromiter((i for i, _ in plist), dtype=np.int64, count=len(plist))
            tfs = np.fromiter((tf for _, tf in plist), dtype=np.float32, count=len(plist))
            self._post[term] = (ids, (tfs * (k1 + 1) / (tfs + norm[ids])).astype(np.float32))

    def idf(self, term: str) -> float:
        """Okapi idf, floored at a small positive value so common terms still count a little."""
        df = self.df.get(term, 0)
        return max(0.05, math.log((self.n - df + 0.5) / (df + 0.5) + 1.0))

    def scores(self, query: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float32)
        for term in set(query):
            post = self._post.get(term)
            if post is not None:
                ids, weights = post
                out[ids] += self.idf(term) * weights
        return out
