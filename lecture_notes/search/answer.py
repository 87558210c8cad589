"""``ask``: an answer with citations from the top moments, or a declined answer when the evidence is weak.

Embedded default: extractive, the sentences of the top moments that answer the question best (sentence cosine
plus query-term overlap), in lecture order, about 60 words. With an LLM note-writer backend: the model writes
the answer from numbered passages only, each claim naming its passages; a claim whose words are not found in
the passages it cites is dropped, and if nothing survives the extractive answer is used.

Abstention: a logistic score over three features of the evidence (best sentence cosine, best unit cosine and the
idf-weighted share of the question's content words found in the top moments), fitted on the development set's
questions against off-topic questions (benchmarks/qa_eval.py). Below 0.5 the question is declined.
"""
from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.search.engine import Moment, SearchEngine
from lecture_notes.search.units import tokens

log = logging.getLogger(__name__)

# confidence = sigmoid(b0 + b_sent * best_sentence_cos + b_unit * best_unit_cos + b_cov * coverage)
ABSTAIN_COEF = (-11.059, 7.224, 21.111, 5.939)  # qa_eval.py --fit-abstention on the QMSum dev sets (LOSO: docs)
ANSWER_WORDS = 60
TOP_MOMENTS = 3


@dataclass(frozen=True)
class Citation:
    lecture: int
    start: float
    end: float
    text: str


@dataclass
class Answer:
    question: str
    answer: str
    abstained: bool
    confidence: float
    citations: List[Citation] = field(default_factory=list)
    moments: List[Moment] = field(default_factory=list)  # the nearest moments (shown when declined)
    features: Dict[str, float] = field(default_factory=dict)


def evidence_features(engine: SearchEngine, question: str, qv: np.ndarray, moments: Sequence[Moment]) -> Dict[str, float]:
    """Best sentence cosine, best unit cosine, and query-term coverage of the top moments' windows."""
    best_sent = float(engine.sentence_cos(qv).max()) if len(engine.sent_vecs) else 0.0
    best_unit = float(engine.unit_cos(qv).max()) if len(engine.unit_vecs) else 0.0
    qtoks = set(tokens(question))
    weights = {t: engine.bm25.idf(t) for t in qtoks}
    total = sum(weights.values())
    seen: set = set()
    for m in moments[:TOP_MOMENTS]:
        seen |= set(tokens(engine.units[m.unit].text))
    coverage = sum(w for t, w in weights.items() if t in seen) / total if total else 0.0
    return {"best_sentence": best_sent, "best_unit": best_unit, "coverage": coverage}


def confidence(features: Dict[str, float], coef: Sequence[float] = ABSTAIN_COEF) -> float:
    z = coef[0] + coef[1] * features["best_sentence"] + coef[2] * features["best_unit"] + \
        coef[3] * features["coverage"]
    return 1.0 / (1.0 + math.exp(-z))


def extractive_answer(engine: SearchEngine, question: str, qv: np.ndarray, moments: Sequence[Moment],
                      words: int = ANSWER_WORDS) -> Tuple[str, List[Citation]]:
    """The best-scoring sentences of the top moments' units, about ``words`` words, in lecture order."""
    weights = {t: engine.bm25.idf(t) for t in set(tokens(question))}
    cands: List[Tuple[float, int, int, int]] = []  # score, moment rank, lecture, sentence
    seen = set()
    for rank, m in enumerate(moments[:TOP_MOMENTS]):
        u = engine.units[m.unit]
        lo, hi = min(u.s0, m.s0), max(u.s1, m.s1)
        sc = engine.sentence_scores(m.lecture, lo, hi, qv, weights)
        for off, s in enumerate(sc):
            key = (m.lecture, lo + off)
            if key not in seen:
                seen.add(key)
                # Sentences inside the tightened moment, and of better moments, come first.
                bonus = 0.1 if m.s0 <= lo + off < m.s1 else 0.0
                cands.append((float(s) + bonus - 0.05 * rank, rank, m.lecture, lo + off))
    cands.sort(key=lambda c: -c[0])
    chosen: List[Tuple[int, int, int]] = []
    n = 0
    for score, rank, lec, si in cands:
        text = engine.lectures[lec].sentences[si][2]
        if n >= words:
            break
        chosen.append((rank, lec, si))
        n += len(text.split())
    chosen.sort()
    parts, cites = [], []
    for rank, lec, si in chosen:
        s, e, text = engine.lectures[lec].sentences[si]
        parts.append(text)
        if cites and cites[-1].lecture == lec and s - cites[-1].end <= 2.0:
            last = cites[-1]
            cites[-1] = Citation(lec, last.start, e, f"{last.text} {text}")
        else:
            cites.append(Citation(lec, s, e, text))
    return " ".join(parts), cites


_CLAIM_SCHEMA = {"type": "object", "required": ["answer", "claims"],
                 "properties": {"answer": {"type": "string"},
                                "claims": {"type": "array", "items": {
                                    "type": "object", "required": ["text", "passages"],
                                    "properties": {"text": {"type": "string"},
                                                   "passages": {"type": "array"}}}}}}


def _supported(claim: str, passage: str, min_overlap: float = 0.5) -> bool:
    """A claim is supported when at least half of its content words occur in the passage it cites."""
    ct = set(tokens(claim))
    if not ct:
        return False
    return len(ct & set(tokens(passage))) / len(ct) >= min_overlap


def llm_answer(writer: Any, engine: SearchEngine, question: str, moments: Sequence[Moment]) -> Tuple[str, List[Citation], int]:
    """Ask a generative note writer to answer from numbered passages; keep only supported, cited claims.

    Returns (answer, citations, claims dropped). An empty answer means nothing usable came back.
    """
    from lecture_notes.backends.llm_common import SchemaError, parse_reply

    passages = []
    for m in moments:
        u = engine.units[m.unit]
        passages.append((m, u.text if u.kind == "window" else m.text))
    listing = "\n".join(f"[{i + 1}] {text}" for i, (_, text) in enumerate(passages))
    messages = [
        {"role": "system", "content": "You answer questions about a lecture using only the numbered passages "
                                      "from its transcript. Reply with JSON only."},
        {"role": "user", "content": f"Passages:\n{listing}\n\nQuestion: {question}\n\nReply as JSON: "
                                    '{"answer": "...", "claims": [{"text": "one sentence of the answer", '
                                    '"passages": [1]}]}. Every claim must cite the passages it comes from. '
                                    'If the passages do not answer the question, reply {"answer": "", '
                                    '"claims": []}.'},
    ]

    def parse(text: str) -> Dict[str, Any]:
        return parse_reply(text, _CLAIM_SCHEMA)

    try:
        results = writer._run_json([messages], [parse])  # the writers' generate/repair loop
    except (SchemaError, AttributeError) as exc:
        log.warning("the LLM backend cannot answer questions (%s); using the extractive answer", exc)
        return "", [], 0
    obj = results[0] if results else None
    if not obj:
        return "", [], 0
    kept, cites, dropped = [], [], 0
    for claim in obj.get("claims") or []:
        text = " ".join(str(claim.get("text") or "").split())
        refs = [int(r) for r in claim.get("passages") or [] if str(r).strip().isdigit()]
        refs = [r for r in refs if 1 <= r <= len(passages)]
        good = [r for r in refs if _supported(text, passages[r - 1][1])]
        if not text or not good:
            dropped += 1
            continue
        kept.append(text)
        for r in good:
            m = passages[r - 1][0]
            c = Citation(m.lecture, m.start, m.end, m.text)
            if c not in cites:
                cites.append(c)
    if dropped:
        log.info("dropped %d unsupported claim(s) from the LLM answer", dropped)
    return " ".join(kept), cites, dropped


def ask(engine: SearchEngine, question: str, *, writer: Any = None, k: int = 5,
        coef: Sequence[float] = ABSTAIN_COEF) -> Answer:
    """Answer ``question`` from the lectures in ``engine`` (extractive unless ``writer`` is a generative one)."""
    qv = engine.embed_query(question)
    moments = engine.search(question, k=k, qv=qv)
    feats = evidence_features(engine, question, qv, moments)
    conf = confidence(feats, coef) if moments else 0.0
    if not moments or conf < 0.5:
        return Answer(question, "", True, round(conf, 4), [], list(moments), feats)
    text, cites = extractive_answer(engine, question, qv, moments)
    if writer is not None and getattr(writer, "generative", False):
        gen, gen_cites, _ = llm_answer(writer, engine, question, moments)
        if gen:
            text, cites = gen, gen_cites
    text = re.sub(r"\s+", " ", text).strip()
    return Answer(question, text, False, round(conf, 4), cites, list(moments), feats)
