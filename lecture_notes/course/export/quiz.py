"""Turning a lecture's Q&A into quiz items: question types, accepted answers and multiple-choice distractors.

* Cloze Q&A -> cloze. "What is X?" / "What does X mean?" / "What does X refer to?" -> short answer: the student
  names the term from its definition (the term and its singular/plural are accepted); "What is Y called?" ->
  short answer with the named term. Other Q&A -> multiple choice, or essay when too few distractors fit.
* Distractors are answers of the same kind from the course (definitions for definitions, reasons for "why",
  mechanisms for "how"), never two with the same meaning, never one meaning the same as the right answer,
  and never a glossary sentence that names its own term (which would give itself away).
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from lecture_notes.course.export.common import BLANK, Course, Lecture, norm_text, qa_pairs, stable_id
from lecture_notes.text.dedup import stems

# Answer kinds that may stand in for each other as distractors.
KIND_GROUPS = {"definition": "definition", "concept": "definition", "": "definition", "glossary": "definition",
               "why": "reason", "cause": "reason", "how": "mechanism"}
_ARTICLE = r"(?:(?:a|an|the)\s+)?"
_DEF_Q = re.compile(r"^\s*(?:what|who)\s+(?:is|are|was|were)\s+" + _ARTICLE + r"(?P<t>.+?)\s*\??\s*$", re.I)
_MEAN_Q = re.compile(r"^\s*what\s+(?:does|do)\s+" + _ARTICLE + r"(?P<t>.+?)\s+(?:mean|refer\s+to)\s*\??\s*$", re.I)
_NAMED_Q = re.compile(r"^\s*what\s+(?:is|are|was|were)\s+.+?\s+(?:called|known\s+as)\s*\??\s*$", re.I)
_DEF_VERBS = r"(?:is|are|was|were|means|mean|refers\s+to|refer\s+to|is\s+defined\s+as|are\s+defined\s+as)"


@dataclass(frozen=True)
class QuizItem:
    """One exportable question, already mapped to a question type.

    type: "mc" (choices/correct), "short" (accepted answers), "cloze" (question holds ``____``)
    or "essay" (answer is the model answer shown as feedback).
    """

    ident: str
    type: str
    kind: str
    question: str
    prompt: str
    answer: str
    start: float
    end: float
    accepted: Tuple[str, ...] = ()
    choices: Tuple[str, ...] = ()
    correct: int = 0


@dataclass
class Pool:
    """Candidate distractors across the course: lecture slug -> [(kind group, answer)]."""

    answers: Dict[str, List[Tuple[str, str]]] = field(default_factory=dict)


def plural_variants(term: str) -> Tuple[str, ...]:
    """The term plus its simple English singular/plural form."""
    t = term.strip()
    low = t.lower()
    if low.endswith("ies") and len(low) > 4:
        other = t[:-3] + "y"
    elif low.endswith(("ses", "xes", "zes", "ches", "shes")):
        other = t[:-2]
    elif low.endswith("s") and not low.endswith(("ss", "us", "is")):
        other = t[:-1]
    elif low.endswith("y") and len(low) > 2 and low[-2] not in "aeiou":
        other = t[:-1] + "ies"
    elif low.endswith(("s", "x", "z", "ch", "sh")):
        other = t + "es"
    else:
        other = t + "s"
    return (t, other) if other.lower() != low else (t,)


def definition_term(question: str, glossary: Sequence[dict] = ()) -> Optional[str]:
    """The term a "What is X?" / "What does X mean?" question defines, spelled as in the glossary when it is
    there; None for other questions (including "What is Y called?", whose answer is the term)."""
    if _NAMED_Q.match(question):
        return None
    m = _DEF_Q.match(question) or _MEAN_Q.match(question)
    if not m:
        return None
    term = m.group("t").strip().strip("\"'“”")
    if not term or len(term.split()) > 6:
        return None
    keys = {norm_text(v) for v in plural_variants(term)}
    for g in glossary:
        if norm_text(str(g.get("term", ""))) in keys:
            return str(g["term"])
    return term


def names_term(text: str, term: str) -> bool:
    """True when ``text`` mentions ``term`` (or its singular/plural) as whole words."""
    return any(re.search(r"(?<!\w)" + re.escape(v) + r"(?!\w)", text, re.I) for v in plural_variants(term))


def mask_term(text: str, term: str) -> str:
    """Hide the term (and its plural) in a definition so a short-answer question does not give it away."""
    for v in sorted(plural_variants(term), key=len, reverse=True):
        text = re.sub(r"(?<!\w)" + re.escape(v) + r"(?!\w)", BLANK, text, flags=re.I)
    return text


def definition_body(term: str, sentence: str) -> Optional[str]:
    """'An antigen is a molecule ...' -> 'a molecule ...': a glossary sentence without its own term; None
    when the term cannot be cut off the front or is named again in the rest."""
    for v in sorted(plural_variants(term), key=len, reverse=True):
        m = re.match(r"^\s*" + _ARTICLE + re.escape(v) + r"\s+" + _DEF_VERBS + r"\s+(?P<b>.+?)\s*[.!]?\s*$",
                     sentence, re.I | re.S)
        if m:
            body = m.group("b").strip()
            return None if names_term(body, term) or len(body.split()) < 3 else body
    return None


def _core(text: str) -> List[str]:
    toks = norm_text(text).split()
    while toks and toks[0] in ("a", "an", "the", "that", "because", "by"):
        toks = toks[1:]
    return toks


def same_meaning(a: str, b: str) -> bool:
    """Two answers that say the same thing: one's words contain the other's (an answer and the glossary
    sentence it was cut from), or they share most of their content words (``text.dedup.stems``)."""
    ta, tb = _core(a), _core(b)
    if not ta or not tb:
        return not ta and not tb
    sa, sb = " ".join(ta), " ".join(tb)
    if sa in sb or sb in sa:
        return True
    wa, wb = stems(a), stems(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.6


def build_pool(course: Course) -> Pool:
    """Every answer that may serve as a distractor, with its kind group, per lecture."""
    pool = Pool()
    for lec in course.lectures:
        cands: List[Tuple[str, str]] = []
        for qa in qa_pairs(lec.notes):
            if BLANK not in qa["question"] and not _NAMED_Q.match(qa["question"]):  # a named term is no definition
                cands.append((KIND_GROUPS.get(qa["kind"], qa["kind"]), qa["answer"]))
        for g in lec.notes.get("glossary") or []:
            body = definition_body(str(g.get("term") or ""), str(g.get("definition") or "")) if g.get("term") else None
            if body:  # a glossary sentence that names its own term is never offered as a wrong answer
                cands.append(("definition", body))
        kept: List[Tuple[str, str]] = []
        for kind, ans in cands:
            if ans.strip() and not any(k == kind and same_meaning(ans, a) for k, a in kept):
                kept.append((kind, ans))
        pool.answers[lec.slug] = kept
    return pool


def distractors(answer: str, kind: str, lecture: Lecture, pool: Pool, rng: random.Random, n: int = 3) -> List[str]:
    """Up to ``n`` wrong answers of the answer's kind group, this lecture's first, none meaning the same as the
    answer or as each other."""
    group = KIND_GROUPS.get(kind, kind)
    own = [a for k, a in pool.answers.get(lecture.slug, []) if k == group]
    rest = [a for s, lst in pool.answers.items() if s != lecture.slug for k, a in lst if k == group]
    rng.shuffle(own)
    rng.shuffle(rest)
    out: List[str] = []
    for a in own + rest:
        if not same_meaning(a, answer) and not any(same_meaning(a, o) for o in out):
            out.append(a)
        if len(out) == n:
            break
    return out


def _named_answer(answer: str) -> Optional[str]:
    term = re.sub(r"^(?:a|an|the)\s+", "", answer.strip().rstrip("."), flags=re.I)
    return term if 1 <= len(term.split()) <= 4 else None


def quiz_items(lecture: Lecture, pool: Pool) -> List[QuizItem]:
    """Map a lecture's Q&A to question types (see the module docstring); ids are stable per lecture."""
    items = []
    glossary = lecture.notes.get("glossary") or []
    for qa in qa_pairs(lecture.notes):
        q, a, kind = qa["question"], qa["answer"], qa["kind"]
        ident = stable_id(lecture.uid, q, prefix="q")
        rng = random.Random(ident)
        common = dict(ident=ident, kind=kind, question=q, answer=a, start=qa["start"], end=qa["end"])
        definitional = KIND_GROUPS.get(kind) == "definition"
        term = definition_term(q, glossary) if definitional else None
        masked = mask_term(a, term) if term else ""
        named = _named_answer(a) if definitional and _NAMED_Q.match(q) else None
        if BLANK in q:
            items.append(QuizItem(type="cloze", prompt=q, accepted=(a,), **common))
        elif term and len(norm_text(masked.replace(BLANK, " ")).split()) >= 3:
            prompt = f"Which term is defined as follows? “{masked}”"
            items.append(QuizItem(type="short", prompt=prompt, accepted=plural_variants(term),
                                  **{**common, "answer": term}))
        elif named:
            items.append(QuizItem(type="short", prompt=q, accepted=plural_variants(named),
                                  **{**common, "answer": named}))
        else:
            wrong = distractors(a, kind, lecture, pool, rng)
            if len(wrong) >= 2:
                choices = [a] + wrong
                rng.shuffle(choices)
                items.append(QuizItem(type="mc", prompt=q, choices=tuple(choices), correct=choices.index(a),
                                      **common))
            else:
                items.append(QuizItem(type="essay", prompt=q, **common))
    return items
