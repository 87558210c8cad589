"""Schema validation, JSON extraction, grounding, and the writer loop (repair, fallback, split, reduce) with a
scripted generator: no model needed, so every path is deterministic."""
from __future__ import annotations

import json

import numpy as np
import pytest

from lecture_notes.backends.base import NoteWriter
from lecture_notes.backends.llm_common import (CHUNK_SCHEMA, Grounder, PromptLibrary, SchemaError, extract_json,
                                               validate)
from lecture_notes.backends.llm_writer import LLMNoteWriter
from lecture_notes.core.types import ChapterSpan, Chunk, ChunkNotes, Sentence, Slide, TimedText

SENTS = (Sentence(10.0, 14.0, "Gradient descent updates the weights against the gradient."),
         Sentence(14.0, 19.5, "The learning rate controls how large each step is."),
         Sentence(19.5, 25.0, "Too large a learning rate makes training diverge."))
CHUNK = Chunk(0, 10.0, 25.0, SENTS, (Slide(10.0, 25.0, "slides/slide-001.jpg", "Minimise the loss",
                                           "Gradient Descent", 0.9, "a descending curve"),))


def good_reply(start=14.0, end=19.5) -> str:
    return json.dumps({
        "summary": [{"text": "Gradient descent updates weights against the gradient.", "start": 10.0, "end": 14.0}],
        "key_points": [{"text": "The learning rate controls the step size.", "start": start, "end": end},
                       {"text": "Quantum chromodynamics binds quarks.", "start": 10.0, "end": 14.0}],
        "qa": [{"question": "What happens when the learning rate is too large?",
                "answer": "Training diverges.", "kind": "why", "start": 19.5, "end": 25.0}]})


class FakeFallback(NoteWriter):
    name = "extractive"

    def __init__(self):
        self.calls = 0

    def write(self, chunk, *, context=""):
        self.calls += 1
        return ChunkNotes(chunk.start, chunk.end, (TimedText("fallback", chunk.start, chunk.end),), (), (),
                          backend="extractive")


class Scripted(LLMNoteWriter):
    """Replies from a queue; records every conversation it was asked."""

    name = "scripted"

    def __init__(self, replies, **kw):
        super().__init__(fallback=kw.pop("fallback", FakeFallback()), **kw)
        self.replies = list(replies)
        self.seen = []

    def _generate(self, conversations, *, max_new_tokens, json_mode=True):
        self.seen.extend(conversations)
        out = []
        for _ in conversations:
            r = self.replies.pop(0) if self.replies else ""
            out.append(r(conversations) if callable(r) else r)
        return out


def test_validate_names_the_bad_path():
    validate(json.loads(good_reply()), CHUNK_SCHEMA)
    bad = json.loads(good_reply())
    bad["key_points"][1]["start"] = "ten"
    with pytest.raises(SchemaError, match=r"\$\.key_points\[1\]\.start: expected a number, got a string"):
        validate(bad, CHUNK_SCHEMA)
    with pytest.raises(SchemaError, match="missing key.*'qa'"):
        validate({"summary": [], "key_points": []}, CHUNK_SCHEMA)
    with pytest.raises(SchemaError, match=r"\$\.summary: expected an array, got an object"):
        validate({"summary": {}, "key_points": [], "qa": []}, CHUNK_SCHEMA)


def test_extract_json_from_fences_and_chatter():
    assert extract_json('Sure!\n```json\n{"a": [1, 2]}\n```\nDone.') == {"a": [1, 2]}
    assert extract_json('prefix {"a": {"b": 1}} trailing {') == {"a": {"b": 1}}
    with pytest.raises(SchemaError, match="invalid JSON"):
        extract_json('{"a": [1, 2}')
    with pytest.raises(SchemaError, match="empty"):
        extract_json("  ")


def test_prompt_renders_transcript_with_times_and_slides():
    w = Scripted([])
    msgs = w._chunk_messages(CHUNK, "earlier summary")
    assert msgs[0]["role"] == "system" and '"key_points"' in msgs[0]["content"]
    user = msgs[1]["content"]
    assert "[14.0-19.5] The learning rate controls how large each step is." in user
    assert "Gradient Descent: Minimise the loss (figure: a descending curve)" in user
    assert "What came before: earlier summary" in user
    assert "Part 1, from 10.0 s to 25.0 s." in user


def test_prompt_dir_overrides_one_template(tmp_path):
    (tmp_path / "repair.j2").write_text("FIX: {{ error }}")
    lib = PromptLibrary(tmp_path)
    assert lib.render("repair.j2", error="bad") == "FIX: bad"
    assert "Transcript:" in lib.render("chunk_user.j2", chunk=CHUNK, context="", title="")


def test_grounder_keeps_reanchors_and_rejects():
    g = Grounder()
    assert g.ground("The learning rate controls the step size", 14.0, 19.5, CHUNK) == (14.0, 19.5)
    # cited span points at the wrong sentence: moved to the sentence that supports it
    assert g.ground("The learning rate controls the step size", 19.5, 25.0, CHUNK) == (14.0, 19.5)
    # span outside the chunk
    assert g.ground("Too large a learning rate makes training diverge", 300.0, 310.0, CHUNK) == (19.5, 25.0)
    assert g.ground("Quantum chromodynamics binds quarks", 10.0, 14.0, CHUNK) is None
    assert g.ground("anything", "nan", None, CHUNK) is None
    assert g.counts == {"ok": 1, "reanchored": 2, "rejected": 2}


def test_grounder_with_embedder():
    class Emb:
        def embed(self, texts):
            vecs = np.array([[1.0, 0.0] if "rate" in t else [0.0, 1.0] for t in texts], dtype=np.float32)
            return vecs

    g = Grounder(Emb())
    assert g.ground("learning rate", 10.0, 14.0, CHUNK) == (14.0, 19.5)  # cited sentence has no "rate"
    assert g.counts["reanchored"] == 1


def test_success_path_grounds_and_counts():
    w = Scripted([good_reply(start=19.5, end=25.0)])
    notes = w.write(CHUNK)
    assert notes.backend == "scripted"
    assert [k.text for k in notes.key_points] == ["The learning rate controls the step size."]
    assert (notes.key_points[0].start, notes.key_points[0].end) == (14.0, 19.5)  # re-anchored
    assert notes.qa[0].kind == "why" and (notes.qa[0].start, notes.qa[0].end) == (19.5, 25.0)
    for item in notes.summary + notes.key_points:
        assert CHUNK.start <= item.start <= item.end <= CHUNK.end
    s = w.stats()
    assert s["llm_chunks"] == 1 and s["llm_repairs"] == 0 and s["llm_fallbacks"] == 0
    assert s["llm_reanchored"] == 1 and s["llm_rejected"] == 1


def test_repair_sends_the_validation_error_then_succeeds():
    w = Scripted(['{"summary": [], "key_points": "none"}', good_reply()])
    notes = w.write(CHUNK)
    assert notes.backend == "scripted"
    repair = w.seen[1]
    assert repair[-2] == {"role": "assistant", "content": '{"summary": [], "key_points": "none"}'}
    assert "missing key(s) 'qa'" in repair[-1]["content"]
    assert w.stats()["llm_repairs"] == 1 and w.stats()["llm_fallbacks"] == 0


def test_unsupported_notes_trigger_repair_then_fallback():
    hallucinated = json.dumps({"summary": [{"text": "Photosynthesis in plants", "start": 10, "end": 14}],
                               "key_points": [], "qa": []})
    fb = FakeFallback()
    w = Scripted([hallucinated, "not json at all"], fallback=fb)
    notes = w.write(CHUNK)
    assert notes.backend == "extractive" and fb.calls == 1
    assert "supported by the transcript" in w.seen[1][-1]["content"]
    s = w.stats()
    assert s["llm_repairs"] == 1 and s["llm_fallbacks"] == 1 and s["llm_chunks"] == 0


def test_generation_errors_fall_back_and_disable_after_a_streak():
    class Broken(Scripted):
        def _generate(self, conversations, *, max_new_tokens, json_mode=True):
            self.seen.extend(conversations)
            raise ConnectionError("server down")

    w = Broken([], max_consecutive_errors=2)
    chunks = [Chunk(i, 10.0 * i, 10.0 * i + 5, (Sentence(10.0 * i, 10.0 * i + 5, "Some words here."),))
              for i in range(4)]
    out = w.write_many(chunks)
    assert [n.backend for n in out] == ["extractive"] * 4
    s = w.stats()
    assert s["llm_fallbacks"] == 4 and s["llm_errors"] == 4 and s["llm_repairs"] == 0
    out = w.write_many(chunks[:1])  # disabled now: no new calls
    assert len(w.seen) == 4 and out[0].backend == "extractive"


def test_write_many_batches_and_empty_chunks():
    w = Scripted([good_reply(), good_reply()])
    empty = Chunk(1, 25.0, 30.0, ())
    out = w.write_many([CHUNK, empty, CHUNK])
    assert [n.backend for n in out] == ["scripted", "scripted", "scripted"]
    assert out[1].summary == () and len(w.seen) == 2


def test_too_long_chunk_is_split_not_truncated():
    sents = tuple(Sentence(float(i), i + 1.0, f"Sentence {i} talks about gradient descent steps.") for i in range(40))
    chunk = Chunk(0, 0.0, 40.0, sents)

    def reply(convs):
        user = convs[0][1]["content"]
        first = [ln for ln in user.splitlines() if ln.startswith("[")][0]
        t0 = float(first[1:first.index("-")])
        return json.dumps({"summary": [{"text": "gradient descent steps", "start": t0, "end": t0 + 1}],
                           "key_points": [], "qa": []})

    w = Scripted([reply] * 8, context_length=700, max_new_tokens=100)
    notes = w.write(chunk)
    s = w.stats()
    assert s["llm_splits"] >= 1 and s["llm_truncations"] == 0 and s["llm_chunks"] == 1
    assert len(w.seen) == len(notes.summary) > 1
    assert all(w.count_message_tokens(c) <= 700 - 100 for c in w.seen)
    assert (notes.start, notes.end) == (0.0, 40.0)


def test_reduce_returns_chapters_glossary_and_summary():
    cn = [ChunkNotes(0, 60, (TimedText("Gradient descent minimises loss.", 0, 10),), (), ()),
          ChunkNotes(60, 120, (TimedText("Backprop computes gradients.", 60, 70),), (), ())]
    chapters = [ChapterSpan(0, 60, "Part one"), ChapterSpan(60, 120, "Part two")]
    ch_reply = json.dumps({"title": "Gradient descent", "summary": "It minimises loss.",
                           "glossary": [{"term": "loss", "definition": "error measure", "start": 5.0},
                                        {"term": "far", "definition": "outside", "start": 999.0}]})
    w = Scripted([ch_reply, "garbage", "still garbage", json.dumps({"summary": "A lecture on training."})])
    out = w.reduce(cn, chapters, title="ML")
    assert out["chapter_titles"] == ["Gradient descent", "Part two"]
    assert out["chapter_summaries"] == ["It minimises loss.", "Backprop computes gradients."]
    assert out["glossary"] == [("loss", "error measure", 5.0), ("far", "outside", 0.0)]
    assert out["summary"] == "A lecture on training."
    s = w.stats()
    assert s["llm_reduce_fallbacks"] == 1 and s["llm_repairs"] == 1 and s["llm_reanchored"] == 1
    assert "Lecture: ML" in w.seen[0][1]["content"] and "[0.0-10.0] Gradient descent minimises loss." in \
        w.seen[0][1]["content"]


def test_reduce_condenses_hierarchically_when_material_is_too_long():
    cn = [ChunkNotes(i * 10.0, i * 10.0 + 10, (TimedText(f"Point {i} " + "word " * 40, i * 10.0, i * 10.0 + 5),),
                     (), ()) for i in range(30)]
    condensed = json.dumps({"summary": "short condensed text."})

    def route(convs):
        user = convs[0][-1]["content"]
        if "Condense them" in user:
            return condensed
        if "Chapters of the lecture" in user:
            return json.dumps({"summary": "Overall."})
        return json.dumps({"title": "T", "summary": "Chapter."})

    w = Scripted([route] * 50, context_length=1200, max_new_tokens=200)
    out = w.reduce(cn, [ChapterSpan(0, 300, "All")], title="")
    assert out["chapter_summaries"] == ["Chapter."] and out["summary"] == "Overall."
    condense_calls = [c for c in w.seen if "Condense them" in c[-1]["content"]]
    assert len(condense_calls) >= 2
    assert all(w.count_message_tokens(c) <= 1200 - 200 for c in w.seen)
    assert w.stats()["llm_truncations"] == 0
