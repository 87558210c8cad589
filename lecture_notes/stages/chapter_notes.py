"""Give every chapter its own key points and questions.

Chunks are time windows (5 minutes by default) and chapters are topics; on a short lecture, or one with
short topics, a chapter can fall inside a window whose few key points all come from other topics. Such
a chapter gets notes written for its own span by the same writer, de-duplicated against the rest.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from typing import List, Sequence, Set

from lecture_notes.core.types import Chunk, LectureNotes, Sentence

log = logging.getLogger(__name__)


def _norm(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9 ]+", " ", text.lower()).split())


def fill_sparse_chapters(notes: LectureNotes, sentences: Sequence[Sentence], writer, *,
                         min_key_points: int = 2, min_qa: int = 1, max_add: int = 3) -> LectureNotes:
    """Return ``notes`` where each chapter with fewer than ``min_key_points`` key points or ``min_qa``
    questions gets up to ``max_add`` more of each from ``writer.write`` on that chapter alone."""
    seen_points: Set[str] = {_norm(k.text) for c in notes.chapters for k in c.key_points}
    seen_questions: Set[str] = {_norm(q.question) for c in notes.chapters for q in c.qa}
    seen_answers: Set[str] = {_norm(q.answer) for c in notes.chapters for q in c.qa}
    chapters: List = []
    added = 0
    for ch in notes.chapters:
        if len(ch.key_points) >= min_key_points and len(ch.qa) >= min_qa:
            chapters.append(ch)
            continue
        sents = tuple(s for s in sentences if ch.start - 1e-6 <= s.start < ch.end)
        if len(sents) < 3:
            chapters.append(ch)
            continue
        chunk = Chunk(index=-1, start=ch.start, end=ch.end, sentences=sents, slides=ch.slides)
        try:
            extra = writer.write(chunk, context=ch.summary)
        except Exception as exc:  # a writer failure must not lose the notes we already have
            log.warning("could not write extra notes for chapter %r: %s", ch.title, exc)
            chapters.append(ch)
            continue
        points = list(ch.key_points)
        for k in extra.key_points:
            if len(points) >= max(min_key_points, len(ch.key_points)) + (max_add - min_key_points):
                break
            key = _norm(k.text)
            if key and key not in seen_points and key != _norm(ch.title):
                points.append(k)
                seen_points.add(key)
                added += 1
        qa = list(ch.qa)
        for q in extra.qa:
            if len(qa) >= max(min_qa, len(ch.qa)) + 1:
                break
            if _norm(q.question) in seen_questions or _norm(q.answer) in seen_answers:
                continue
            qa.append(q)
            seen_questions.add(_norm(q.question))
            seen_answers.add(_norm(q.answer))
            added += 1
        chapters.append(replace(ch, key_points=tuple(sorted(points, key=lambda k: k.start)),
                                qa=tuple(sorted(qa, key=lambda q: q.start))))
    if added:
        log.info("added %d key points/questions to sparse chapters", added)
    return replace(notes, chapters=tuple(chapters))
