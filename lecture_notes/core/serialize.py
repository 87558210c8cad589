"""notes.json: LectureNotes <-> plain dict (schema_version 1), and a validator for that schema.

Times are rounded to 0.01 s and confidences/probabilities to 0.001, so ``notes_to_dict(notes_from_dict(d)) == d``
for any valid ``d`` this module wrote, and ``notes_from_dict(notes_to_dict(n)) == n`` when ``n`` already holds
rounded values (what the pipeline produces after a JSON cache round trip).

Schema (keys marked ? are optional when reading; extra keys are allowed and ignored)::

    {"schema_version": 1, "title": str, "created"?: str, "language"?: str, "tags"?: [str],
     "source": {"path": str, "duration": s, "sha256": str},
     "summary": str,
     "chapters": [{"start", "end", "title", "summary",
                   "key_points": [{"text", "start", "end", "confidence"?}],
                   "qa": [{"question", "answer", "kind", "start", "end", "confidence"?}],
                   "slides": [{"start", "end", "image", "text", "title"?, "confidence"?, "description"?}]}],
     "chunks": [{"start", "end", "summary": str, "summary_sentences"?: [{"text", "start", "end"}],
                 "key_points": [...], "qa": [...], "backend"?: str}],
     "glossary": [{"term", "definition", "start", "end"?}],
     "transcript": [{"start", "end", "text", "words"?: [[start, end, word, probability, original?], ...],
                     "avg_logprob"?, "no_speech_prob"?, "compression_ratio"?}],

``confidence`` (0..1) is how sure speech recognition was of the span an item was built from (1.0 for human
captions). A word's fifth element ``original`` is what ASR heard before the slide vocabulary corrected it.
     "transcript_source"?: str, "stats"?: {str: json value}}
"""
from __future__ import annotations

import json
import math
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from lecture_notes.core.errors import InputError
from lecture_notes.core.types import (Chapter, ChunkNotes, GlossaryEntry, LectureNotes, QAPair, Segment, Slide, SourceInfo,
                    TimedText, Transcript, Word)

SCHEMA_VERSION = 1


class NotesSchemaError(InputError):
    """A notes.json dict does not follow the schema (wrong type, missing key, start after end...)."""


def _t(x: float) -> float:
    """Round a time to 0.01 s (and turn -0.0 into 0.0 so JSON output is stable)."""
    return round(float(x), 2) + 0.0


def _c(x: float) -> float:
    return round(float(x), 3) + 0.0


def _jsonable(v: Any) -> Any:
    if isinstance(v, (tuple, list)):
        return [_jsonable(x) for x in v]
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    return v


def _frozen(v: Any) -> Any:
    if isinstance(v, list):
        return tuple(_frozen(x) for x in v)
    if isinstance(v, dict):
        return {k: _frozen(x) for k, x in v.items()}
    return v


# ---------------------------------------------------------------- to dict
def _timed(items: Sequence[TimedText]) -> List[Dict[str, Any]]:
    return [{"text": k.text, "start": _t(k.start), "end": _t(k.end), "confidence": _c(k.confidence)} for k in items]


def _qa(items: Sequence[QAPair]) -> List[Dict[str, Any]]:
    return [{"question": q.question, "answer": q.answer, "kind": q.kind, "start": _t(q.start), "end": _t(q.end),
             "confidence": _c(q.confidence)} for q in items]


def _slide(s: Slide) -> Dict[str, Any]:
    return {"start": _t(s.start), "end": _t(s.end), "image": s.image_path, "text": s.text, "title": s.title,
            "confidence": _c(s.confidence), "description": s.description}


def _segment(s: Segment) -> Dict[str, Any]:
    d: Dict[str, Any] = {"start": _t(s.start), "end": _t(s.end), "text": s.text}
    if s.words:
        d["words"] = [[_t(w.start), _t(w.end), w.word, _c(w.probability)] + ([w.original] if w.original else [])
                      for w in s.words]
    for key in ("avg_logprob", "no_speech_prob", "compression_ratio"):
        v = getattr(s, key)
        if v is not None:
            d[key] = _c(v)
    if s.speaker:
        d["speaker"] = s.speaker
    return d


def notes_to_dict(notes: LectureNotes) -> Dict[str, Any]:
    """Turn ``notes`` into the notes.json dict (schema_version 1); the result is ``json.dumps``-able."""
    return {
        "schema_version": SCHEMA_VERSION,
        "title": notes.title,
        "created": notes.created,
        "language": notes.transcript.language,
        "tags": list(notes.tags),
        "source": {"path": notes.source.path, "duration": _t(notes.source.duration), "sha256": notes.source.sha256},
        "summary": notes.summary,
        "chapters": [{"start": _t(c.start), "end": _t(c.end), "title": c.title, "summary": c.summary,
                      "key_points": _timed(c.key_points), "qa": _qa(c.qa), "slides": [_slide(s) for s in c.slides]}
                     for c in notes.chapters],
        "chunks": [{"start": _t(c.start), "end": _t(c.end), "summary": c.summary_text,
                    "summary_sentences": _timed(c.summary), "key_points": _timed(c.key_points), "qa": _qa(c.qa),
                    "backend": c.backend} for c in notes.chunks],
        "glossary": [{"term": g.term, "definition": g.definition, "start": _t(g.start), "end": _t(g.end)}
                     for g in notes.glossary],
        "transcript": [_segment(s) for s in notes.transcript.segments],
        "transcript_source": notes.transcript.source,
        "stats": {str(k): _jsonable(v) for k, v in notes.stats},
    }


def dumps_notes(notes: LectureNotes) -> str:
    """notes.json text: indented, but one compact line per transcript segment (fast C encoder, small diffs)."""
    d = notes_to_dict(notes)
    transcript = d.pop("transcript")
    head = json.dumps(d, ensure_ascii=False, indent=1)
    segs = ",\n  ".join(json.dumps(s, ensure_ascii=False, separators=(", ", ": ")) for s in transcript)
    return head[:-2] + ',\n "transcript": [' + (f"\n  {segs}\n ]" if segs else "]") + "\n}\n"


# ---------------------------------------------------------------- validation
class _Checker:
    def __init__(self) -> None:
        self.problems: List[str] = []

    def bad(self, where: str, what: str) -> None:
        self.problems.append(f"{where} {what}")

    def obj(self, d: Any, where: str, required: Sequence[str]) -> bool:
        if not isinstance(d, dict):
            self.bad(where, f"must be an object (got {type(d).__name__})")
            return False
        missing = [k for k in required if k not in d]
        if missing:
            self.bad(where, f"is missing key(s) {', '.join(missing)}")
        return True

    def string(self, d: dict, key: str, where: str, optional: bool = False) -> None:
        if key in d and not isinstance(d[key], str):
            self.bad(f"{where}.{key}", f"must be a string (got {type(d[key]).__name__})")
        elif key not in d and not optional:
            pass  # already reported as missing

    def number(self, d: dict, key: str, where: str) -> None:
        if key not in d:
            return
        v = d[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            self.bad(f"{where}.{key}", f"must be a finite number (got {v!r:.40})")
        elif v < 0:
            self.bad(f"{where}.{key}", f"must not be negative (got {v})")

    def span(self, d: dict, where: str) -> None:
        self.number(d, "start", where)
        self.number(d, "end", where)
        s, e = d.get("start"), d.get("end")
        if all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (s, e)) and s > e:
            self.bad(where, f"has start {s} after end {e}")

    def array(self, d: dict, key: str, where: str) -> List[Any]:
        if key not in d:
            return []
        v = d[key]
        if not isinstance(v, list):
            self.bad(f"{where}.{key}", f"must be an array (got {type(v).__name__})")
            return []
        return v

    def items(self, d: dict, key: str, where: str, required: Sequence[str], strings: Sequence[str],
              optional_strings: Sequence[str] = (), span: bool = True):
        for i, item in enumerate(self.array(d, key, where)):
            w = f"{where}.{key}[{i}]"
            if self.obj(item, w, required):
                for k in strings:
                    self.string(item, k, w)
                for k in optional_strings:
                    self.string(item, k, w, optional=True)
                if span:
                    self.span(item, w)
                yield w, item


def validate_notes_dict(d: Any) -> None:
    """Check that ``d`` follows the notes.json schema; raise NotesSchemaError naming the first problems."""
    c = _Checker()
    top = ("schema_version", "title", "source", "summary", "chapters", "chunks", "glossary", "transcript")
    if not c.obj(d, "notes", top):
        raise NotesSchemaError(f"notes.json is not valid: {c.problems[0]}; regenerate it with lecture-notes build")
    ver = d.get("schema_version")
    if "schema_version" in d and ver != SCHEMA_VERSION:
        if isinstance(ver, int) and not isinstance(ver, bool) and ver > SCHEMA_VERSION:
            raise NotesSchemaError(f"notes.json has schema_version {ver}, newer than this lecture-notes "
                                   f"understands ({SCHEMA_VERSION}); upgrade lecture-notes")
        c.bad("notes.schema_version", f"must be {SCHEMA_VERSION} (got {ver!r:.40})")
    for k in ("title", "summary"):
        c.string(d, k, "notes")
    for k in ("created", "language", "transcript_source"):
        c.string(d, k, "notes", optional=True)
    tags = c.array(d, "tags", "notes")
    if any(not isinstance(t, str) for t in tags):
        c.bad("notes.tags", "must be an array of strings")
    if "stats" in d and not isinstance(d["stats"], dict):
        c.bad("notes.stats", "must be an object")
    src = d.get("source")
    if "source" in d and c.obj(src, "notes.source", ("path", "duration", "sha256")):
        c.string(src, "path", "notes.source")
        c.string(src, "sha256", "notes.source")
        c.number(src, "duration", "notes.source")
    timed = (("text", "start", "end"), ("text",))
    qa = (("question", "answer", "kind", "start", "end"), ("question", "answer", "kind"))
    for w, ch in c.items(d, "chapters", "notes", ("start", "end", "title", "summary", "key_points", "qa", "slides"),
                         ("title", "summary")):
        for wk, item in list(c.items(ch, "key_points", w, *timed)) + list(c.items(ch, "qa", w, *qa)):
            c.number(item, "confidence", wk)
        for ws, s in c.items(ch, "slides", w, ("start", "end", "image", "text"), ("image", "text"),
                             ("title", "description")):
            c.number(s, "confidence", ws)
    for w, ch in c.items(d, "chunks", "notes", ("start", "end", "summary", "key_points", "qa"), ("summary",),
                         ("backend",)):
        list(c.items(ch, "summary_sentences", w, *timed))
        for wk, item in list(c.items(ch, "key_points", w, *timed)) + list(c.items(ch, "qa", w, *qa)):
            c.number(item, "confidence", wk)
    for w, g in c.items(d, "glossary", "notes", ("term", "definition", "start"), ("term", "definition"), span=False):
        c.number(g, "start", w)
        if "end" in g:
            c.span(g, w)
    for w, seg in c.items(d, "transcript", "notes", ("start", "end", "text"), ("text",)):
        for j, word in enumerate(c.array(seg, "words", w)):
            ok = (isinstance(word, list) and len(word) in (4, 5) and isinstance(word[2], str)
                  and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (word[0], word[1], word[3]))
                  and (len(word) == 4 or isinstance(word[4], str)))
            if not ok:
                c.bad(f"{w}.words[{j}]", "must be [start, end, word, probability] or [..., original]")
        for key in ("avg_logprob", "no_speech_prob", "compression_ratio"):
            v = seg.get(key)
            if key in seg and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
                c.bad(f"{w}.{key}", "must be a finite number")
    if c.problems:
        more = f" (and {len(c.problems) - 1} more problem(s))" if len(c.problems) > 1 else ""
        raise NotesSchemaError(f"notes.json is not valid: {c.problems[0]}{more}; fix the file or regenerate it "
                               f"with lecture-notes build")


# ---------------------------------------------------------------- from dict
def _timed_from(items: Sequence[dict]) -> Tuple[TimedText, ...]:
    return tuple(TimedText(text=k["text"], start=_t(k["start"]), end=_t(k["end"]),
                           confidence=_c(_conf(k.get("confidence", 1.0)))) for k in items)


def _qa_from(items: Sequence[dict]) -> Tuple[QAPair, ...]:
    return tuple(QAPair(question=q["question"], answer=q["answer"], kind=q["kind"], start=_t(q["start"]),
                        end=_t(q["end"]), confidence=_c(_conf(q.get("confidence", 1.0)))) for q in items)


def _conf(v: Any) -> float:
    """A confidence read from a file: a number clamped to [0, 1]; anything else counts as 1.0 (unknown)."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return 1.0
    return min(1.0, max(0.0, float(v)))


def _slide_from(s: dict) -> Slide:
    return Slide(start=_t(s["start"]), end=_t(s["end"]), image_path=s["image"], text=s["text"],
                 title=s.get("title", ""), confidence=_c(s.get("confidence", 1.0)),
                 description=s.get("description", ""))


def _chunk_from(c: dict) -> ChunkNotes:
    if "summary_sentences" in c:
        summary = _timed_from(c["summary_sentences"])
    else:  # a hand-written file with only the summary text: one sentence spanning the chunk
        summary = (TimedText(c["summary"], _t(c["start"]), _t(c["end"])),) if c["summary"] else ()
    return ChunkNotes(start=_t(c["start"]), end=_t(c["end"]), summary=summary, key_points=_timed_from(c["key_points"]),
                      qa=_qa_from(c["qa"]), backend=c.get("backend", "extractive"))


def _segment_from(s: dict) -> Segment:
    words = tuple(Word(start=_t(w[0]), end=_t(w[1]), word=w[2], probability=_c(w[3]),
                       original=w[4] if len(w) > 4 else "") for w in s.get("words", ()))
    stats = {k: _c(s[k]) for k in ("avg_logprob", "no_speech_prob", "compression_ratio") if s.get(k) is not None}
    return Segment(start=_t(s["start"]), end=_t(s["end"]), text=s["text"], words=words,
                   speaker=str(s.get("speaker") or ""), **stats)


def notes_from_dict(d: Dict[str, Any], *, validate: bool = True) -> LectureNotes:
    """Build LectureNotes from a notes.json dict; validates it first (NotesSchemaError on problems)."""
    if validate:
        validate_notes_dict(d)
    src = d["source"]
    chapters = tuple(Chapter(start=_t(c["start"]), end=_t(c["end"]), title=c["title"], summary=c["summary"],
                             key_points=_timed_from(c["key_points"]), qa=_qa_from(c["qa"]),
                             slides=tuple(_slide_from(s) for s in c["slides"])) for c in d["chapters"])
    glossary = tuple(GlossaryEntry(term=g["term"], definition=g["definition"], start=_t(g["start"]),
                                   end=_t(g.get("end", g["start"]))) for g in d["glossary"])
    transcript = Transcript(segments=tuple(_segment_from(s) for s in d["transcript"]),
                            language=d.get("language", "en"), source=d.get("transcript_source", ""))
    stats: Optional[dict] = d.get("stats") or {}
    return LectureNotes(
        title=d["title"],
        source=SourceInfo(path=src["path"], duration=_t(src["duration"]), sha256=src["sha256"]),
        summary=d["summary"], chapters=chapters, chunks=tuple(_chunk_from(c) for c in d["chunks"]),
        glossary=glossary, transcript=transcript, created=d.get("created", ""), tags=tuple(d.get("tags", ())),
        stats=tuple((k, _frozen(v)) for k, v in stats.items()))
