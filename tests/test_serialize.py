"""notes.json schema: exact round trip, rounding, and validation errors that name the problem."""
from __future__ import annotations

import copy
import json
from dataclasses import replace

import pytest

from lecture_notes.core.errors import InputError
from lecture_notes.core.serialize import NotesSchemaError, notes_from_dict, notes_to_dict, validate_notes_dict
from lecture_notes.core.types import Chapter, Segment, SourceInfo, TimedText, Transcript, Word


def _json(d):
    return json.loads(json.dumps(d))


def test_round_trip_is_exact_both_ways(notes_factory):
    notes = notes_factory.make_notes()
    d = notes_to_dict(notes)
    back = notes_from_dict(_json(d))
    assert back == notes
    assert notes_to_dict(back) == d
    assert back.transcript.segments[0].words == notes.transcript.segments[0].words
    assert back.stats == (("llm_fallbacks", 0), ("asr_model", "tiny.en"), ("windows", (300, 300, 100)))


def test_round_trip_with_hostile_text(notes_factory):
    notes = notes_factory.make_notes(inject=True)
    assert notes_from_dict(_json(notes_to_dict(notes))) == notes


def test_schema_keys(notes_factory):
    d = notes_to_dict(notes_factory.make_notes())
    assert d["schema_version"] == 1
    assert set(d) >= {"schema_version", "title", "source", "summary", "chapters", "chunks", "glossary", "transcript",
                      "created", "language", "tags", "stats"}
    assert set(d["source"]) == {"path", "duration", "sha256"}
    ch = d["chapters"][0]
    assert set(ch) == {"start", "end", "title", "summary", "key_points", "qa", "slides"}
    assert set(ch["key_points"][0]) == {"text", "start", "end", "confidence"}
    assert set(ch["qa"][0]) == {"question", "answer", "kind", "start", "end", "confidence"}
    assert set(ch["slides"][0]) >= {"start", "end", "image", "text", "title", "confidence"}
    assert ch["slides"][0]["image"] == "slides/slide-001.jpg"
    assert set(d["chunks"][0]) >= {"start", "end", "summary", "key_points", "qa"}
    assert isinstance(d["chunks"][0]["summary"], str)
    assert set(d["glossary"][0]) >= {"term", "definition", "start", "end"}
    assert set(d["transcript"][0]) >= {"start", "end", "text"}
    assert "words" not in d["transcript"][-1]  # segments without words stay compact


def test_times_are_rounded_to_centiseconds(notes_factory):
    notes = notes_factory.make_notes()
    seg = Segment(1.23456, 2.98765, "hello", (Word(1.23456, 1.5001, " hello", 0.87654),))
    ch = replace(notes.chapters[0], start=0.004, end=179.996,
                 key_points=(TimedText("x", 10.005001, 12.33333),))
    notes = replace(notes, chapters=(ch,) + notes.chapters[1:], transcript=Transcript((seg,)),
                    source=SourceInfo("a.mp4", 700.123456, "00"))
    d = notes_to_dict(notes)
    assert d["transcript"][0]["start"] == 1.23 and d["transcript"][0]["end"] == 2.99
    assert d["transcript"][0]["words"] == [[1.23, 1.5, " hello", 0.877]]
    assert d["chapters"][0]["start"] == 0.0 and d["chapters"][0]["end"] == 180.0
    assert d["chapters"][0]["key_points"][0] == {"text": "x", "start": 10.01, "end": 12.33, "confidence": 1.0}
    assert d["source"]["duration"] == 700.12
    assert notes_to_dict(notes_from_dict(_json(d))) == d


def test_minimal_hand_written_file_loads():
    d = {"schema_version": 1, "title": "T", "source": {"path": "a.mp4", "duration": 60, "sha256": ""},
         "summary": "S",
         "chapters": [{"start": 0, "end": 60, "title": "C", "summary": "", "key_points": [], "qa": [],
                       "slides": [{"start": 0, "end": 60, "image": "slides/slide-001.jpg", "text": "txt"}]}],
         "chunks": [{"start": 0, "end": 60, "summary": "chunk summary", "key_points": [], "qa": []}],
         "glossary": [{"term": "t", "definition": "d", "start": 5}],
         "transcript": [{"start": 0, "end": 2.5, "text": "hi"}]}
    validate_notes_dict(d)
    n = notes_from_dict(d)
    assert n.chapters[0].slides[0].title == "" and n.chapters[0].slides[0].confidence == 1.0
    assert n.chunks[0].summary_text == "chunk summary" and n.chunks[0].summary[0].end == 60
    assert n.glossary[0].end == 5 and n.transcript.language == "en" and n.tags == () and n.created == ""
    assert isinstance(n.chapters[0], Chapter)


def _broken(notes, mutate):
    d = _json(notes_to_dict(notes))
    mutate(d)
    with pytest.raises(NotesSchemaError) as info:
        validate_notes_dict(d)
    msg = str(info.value)
    assert "\n" not in msg and "regenerate" in msg or "upgrade" in msg
    return msg


@pytest.mark.parametrize("mutate, expect", [
    (lambda d: d.pop("title"), "notes is missing key(s) title"),
    (lambda d: d.update(title=3), "notes.title must be a string"),
    (lambda d: d["source"].pop("sha256"), "notes.source is missing key(s) sha256"),
    (lambda d: d["source"].update(duration="10"), "notes.source.duration must be a finite number"),
    (lambda d: d["chapters"][1].update(start=500.0), "notes.chapters[1] has start 500.0 after end 410.25"),
    (lambda d: d["chapters"][0]["key_points"][1].update(start=True),
     "notes.chapters[0].key_points[1].start must be a finite number"),
    (lambda d: d["chapters"][0]["qa"][0].pop("answer"), "notes.chapters[0].qa[0] is missing key(s) answer"),
    (lambda d: d["chapters"][0]["slides"][0].update(image=None), "notes.chapters[0].slides[0].image must be a string"),
    (lambda d: d["chapters"][2]["slides"][0].update(confidence="high"),
     "notes.chapters[2].slides[0].confidence must be a finite number"),
    (lambda d: d["chunks"][0].update(key_points={}), "notes.chunks[0].key_points must be an array"),
    (lambda d: d["glossary"][0].update(start=-1), "notes.glossary[0].start must not be negative"),
    (lambda d: d["glossary"][0].update(end=1.0), "notes.glossary[0] has start 181.0 after end 1.0"),
    (lambda d: d["transcript"][0].update(end=float("nan")), "notes.transcript[0].end must be a finite number"),
    (lambda d: d["transcript"][0]["words"].__setitem__(0, [0, 1, 2, 3]), "notes.transcript[0].words[0] must be"),
    (lambda d: d.update(tags=["a", 1]), "notes.tags must be an array of strings"),
    (lambda d: d.update(chapters=None), "notes.chapters must be an array"),
    (lambda d: d.update(schema_version=0), "notes.schema_version must be 1"),
])
def test_validation_names_the_problem(sample_notes, mutate, expect):
    assert expect in _broken(sample_notes, mutate)


def test_validation_counts_further_problems_and_newer_versions(sample_notes):
    msg = _broken(sample_notes, lambda d: (d.pop("title"), d.update(summary=None)))
    assert "(and 1 more problem(s))" in msg
    msg = _broken(sample_notes, lambda d: d.update(schema_version=2))
    assert "newer" in msg and "upgrade lecture-notes" in msg


def test_non_dict_and_error_class(notes_factory):
    with pytest.raises(NotesSchemaError, match="must be an object"):
        validate_notes_dict([1, 2])
    assert issubclass(NotesSchemaError, InputError)
    d = notes_to_dict(notes_factory.make_notes())
    bad = copy.deepcopy(d)
    bad["chapters"][0]["end"] = "soon"
    with pytest.raises(NotesSchemaError):
        notes_from_dict(bad)  # notes_from_dict validates by default
