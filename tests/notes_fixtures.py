"""Shared fixtures for the notes/merge tests: a hand-written vaccine chunk and a deterministic fake embedder."""
from __future__ import annotations

import hashlib
import re

import numpy as np

from lecture_notes.backends.base import Embedder
from lecture_notes.types import Chunk, Sentence

VACCINE_LINES = [
    "Um, so, okay, today we're going to talk about vaccines and the immune system.",
    "An antigen is a molecule that triggers an immune response in the body.",
    "Vaccines work because they train the immune system to recognise a pathogen before an infection.",
    "So, uh, you know, the immune system has two arms, innate immunity and adaptive immunity.",
    "An antibody is a protein that binds to one specific antigen.",
    "Memory cells can respond quickly by producing antibodies within days of a second exposure.",
    "Herd immunity means that enough people are immune that the disease cannot spread.",
    "Look at this diagram here.",
    "Any questions so far?",
    "Inflammation leads to swelling and redness around the injection site.",
    "Live attenuated vaccines contain a weakened form of the pathogen, therefore they give long lasting immunity.",
    "Inactivated vaccines contain killed pathogens and usually need booster doses.",
    "mRNA vaccines deliver instructions that cells use to make the antigen themselves.",
    "It is really, um, really important.",
    "Adjuvants are substances that strengthen the immune response to a vaccine antigen.",
    "Vaccination of most of the population protects newborns who are too young to be vaccinated.",
]


def vaccine_chunk(index: int = 0, t0: float = 0.0, lines=VACCINE_LINES) -> Chunk:
    sents = tuple(Sentence(t0 + 6.0 * i, t0 + 6.0 * i + 5.5, s) for i, s in enumerate(lines))
    return Chunk(index, sents[0].start, sents[-1].end, sents)


class HashEmbedder(Embedder):
    """Bag-of-words hashing embedder: deterministic, fast, L2-normalised; similar wording -> similar vectors."""

    name = "hash"
    dim = 256

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                w = w[:-1] if w.endswith("s") and len(w) > 3 else w
                h = int(hashlib.md5(w.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0 if (h >> 8) % 2 else -1.0
            n = np.linalg.norm(out[i])
            out[i] = out[i] / n if n > 0 else out[i]
            if n == 0:
                out[i, 0] = 1.0
        return out


def norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))
