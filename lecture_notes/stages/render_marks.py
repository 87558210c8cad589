"""Confidence marks for the rendered notes: unsure and corrected transcript words, unsure key points/questions.

HTML gets a subtle dotted underline with the other reading in a tooltip (``title``): what ASR heard for a word the
slide vocabulary corrected, or a close slide term / real word for a word Whisper was unsure of. Markdown gets a
short marker after the word: ``adjuvant (heard: anedjuva)``, ``word (?)``. Everything is escaped here.
"""
from __future__ import annotations

import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from markupsafe import Markup, escape

from lecture_notes.core.types import LectureNotes, Segment, Sentence, Word
from lecture_notes.text import confidence as conf

_WS = re.compile(r"\s+")
Token = Tuple[str, str, str]  # (text, kind: '' | 'fixed' | 'unsure', other reading or '')


def _tokens(segments: Sequence[Segment], terms_at: Callable[[float], Sequence[str]]) -> List[Token]:
    """Every whitespace token of the transcript (as ``render.transcript_sentences`` splits it) with its flag; a
    token is matched to the words whose text makes it up ('Live-attenuated' = 'Live' + '-attenuated')."""
    out: List[Token] = []
    for seg in segments:
        toks = _WS.sub(" ", seg.text).strip().split()
        groups = _group(toks, seg.words)
        for tok, ws in zip(toks, groups):
            fixed = [w for w in ws if w.original]
            unsure = [w for w in ws if conf.word_unsure(w) and conf.is_content(w.word)]
            if fixed:
                heard = "".join(w.original.strip() if w.original else w.word.strip() for w in ws)
                out.append((tok, "fixed", heard))
            elif unsure:
                w = unsure[0]
                out.append((tok, "unsure", conf.alternative(w, terms_at((w.start + w.end) / 2)) or ""))
            else:
                out.append((tok, "", ""))
    return out


def _group(toks: Sequence[str], words: Sequence[Word]) -> List[List[Word]]:
    """The words that spell each token, or no words at all when the segment's words do not spell its text."""
    groups: List[List[Word]] = []
    i = 0
    for tok in toks:
        got, cur = "", []
        while i < len(words) and len(got) < len(tok):
            got += words[i].word.strip()
            cur.append(words[i])
            i += 1
        if got != tok:
            return [[] for _ in toks]
        groups.append(cur)
    return groups if i == len(words) else [[] for _ in toks]


def sentence_marks(notes: LectureNotes, sentences: Sequence[Sentence]) -> Dict[int, List[Token]]:
    """Tokens with flags for each sentence (by position in ``sentences``) that has a flagged word."""
    slides = notes.slides

    def terms_at(t: float) -> List[str]:
        return [w for s in slides if s.start - 8 <= t <= s.end + 8 for w in re.findall(r"[A-Za-z]{4,}", s.text)]

    stream = _tokens(notes.transcript.segments, terms_at)
    out: Dict[int, List[Token]] = {}
    pos = 0
    for i, s in enumerate(sentences):
        n = len(s.text.split())
        toks = stream[pos:pos + n]
        pos += n
        if any(k for _, k, _ in toks) and [t for t, _, _ in toks] == s.text.split():
            out[i] = toks
    return out


def tokens_html(tokens: Sequence[Token]) -> Markup:
    parts = []
    for text, kind, other in tokens:
        if kind == "fixed":
            tip = f"Corrected from the slide; speech recognition heard \u201c{other}\u201d"
            parts.append(f'<span class="asr-fixed" title="{escape(tip)}">{escape(text)}</span>')
        elif kind == "unsure":
            tip = "Speech recognition was unsure of this word" + (f"; maybe \u201c{other}\u201d" if other else "")
            parts.append(f'<span class="asr-unsure" title="{escape(tip)}">{escape(text)}</span>')
        else:
            parts.append(str(escape(text)))
    return Markup(" ".join(parts))


def tokens_md(tokens: Sequence[Token], esc: Callable[[str], str]) -> str:
    parts = []
    for text, kind, other in tokens:
        if kind == "fixed":
            parts.append(f"{esc(text)} (heard: {esc(other)})")
        elif kind == "unsure":
            parts.append(f"{esc(text)} (?{' ' + esc(other) if other else ''})")
        else:
            parts.append(esc(text))
    return " ".join(parts)


def item_mark_html(confidence: float) -> Markup:
    """A small '?' after a key point or question Whisper was not sure of (kept, but worth checking)."""
    if confidence >= conf.SHOW:
        return Markup("")
    tip = f"Speech recognition was unsure of this passage ({confidence * 100:.0f}% confidence): check the recording"
    return Markup(f' <span class="asr-unsure-item" role="img" title="{escape(tip)}" aria-label="{escape(tip)}">?</span>')


def item_mark_md(confidence: float) -> str:
    return f" *(unsure: {confidence * 100:.0f}%)*" if confidence < conf.SHOW else ""


def helpers(notes: LectureNotes, sentences: Sequence[Sentence], esc: Callable[[str], str]) -> Dict[str, object]:
    """Template helpers: ``sent_html(s)`` / ``sent_md(s)`` for a transcript sentence, ``unsure_html(conf)`` /
    ``unsure_md(conf)`` for a key point or question."""
    marks = sentence_marks(notes, sentences)
    by_id = {id(s): marks[i] for i, s in enumerate(sentences) if i in marks}

    def sent_html(s: Sentence) -> Markup:
        toks = by_id.get(id(s))
        return tokens_html(toks) if toks else Markup(escape(s.text))

    def sent_md(s: Sentence) -> str:
        toks = by_id.get(id(s))
        return tokens_md(toks, esc) if toks else esc(s.text)

    return {"sent_html": sent_html, "sent_md": sent_md, "unsure_html": item_mark_html, "unsure_md": item_mark_md,
            "corrected_words": sum(1 for t in marks.values() for _, k, _ in t if k == "fixed")}
