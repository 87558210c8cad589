"""The transformers note writer on a tiny random-weight Qwen2 model built in the test: loading through the
registry by path, chat prompt, batch generation, repair and fallback counted, reduce, option errors."""
from __future__ import annotations

import json

import pytest

from lecture_notes.backends.base import NoteWriter
from lecture_notes.backends.registry import create
from lecture_notes.core.errors import BackendError, ConfigError
from lecture_notes.core.types import ChapterSpan, Chunk, ChunkNotes, Sentence, TimedText


class CountingFallback(NoteWriter):
    name = "extractive"

    def __init__(self):
        self.chunks = []

    def write(self, chunk, *, context=""):
        self.chunks.append(chunk.index)
        return ChunkNotes(chunk.start, chunk.end, (TimedText(chunk.sentences[0].text, chunk.start, chunk.end),),
                          (), (), backend="extractive")


def chunks():
    return [Chunk(0, 0.0, 12.0, (Sentence(0.0, 5.0, "Gradient descent updates the weights."),
                                 Sentence(5.0, 12.0, "The learning rate controls the step."))),
            Chunk(1, 12.0, 20.0, (Sentence(12.0, 20.0, "Backpropagation computes the gradient."),))]


def test_loads_by_path_and_falls_back_on_junk(tiny_llm_dir):
    fb = CountingFallback()
    w = create("notes", "transformers", model=str(tiny_llm_dir), max_new_tokens=6, batch_size=2, fallback=fb,
               device="cpu", embedder=None)
    assert w.generative and w.context_length == 2048
    prompt = w.render_chat(w._chunk_messages(chunks()[0], ""))
    assert prompt.startswith("<|im_start|>system\n") and prompt.endswith("<|im_start|>assistant\n")
    assert "[5.0-12.0] The learning rate controls the step." in prompt
    out = w.write_many(chunks())
    assert [n.backend for n in out] == ["extractive", "extractive"] and fb.chunks == [0, 1]
    s = w.stats()
    assert s["llm_chunks"] == 0 and s["llm_repairs"] == 2 and s["llm_fallbacks"] == 2 and s["llm_errors"] == 0
    # real generation happened: batched replies came back as strings
    replies = w._generate([w._chunk_messages(c, "") for c in chunks()], max_new_tokens=4)
    assert len(replies) == 2 and all(isinstance(r, str) for r in replies)
    assert w.count_tokens("gradient descent") > 0
    w.close()


def test_valid_json_from_the_model_is_used(tiny_llm_dir, monkeypatch):
    """Generation patched at the tokenizer-decode boundary: the real generate runs, its text is replaced."""
    w = create("notes", "transformers", model=str(tiny_llm_dir), max_new_tokens=2, fallback=CountingFallback())
    reply = json.dumps({"summary": [{"text": "Gradient descent updates the weights.", "start": 0, "end": 5}],
                        "key_points": [{"text": "The learning rate controls the step.", "start": 0, "end": 5}],
                        "qa": []})
    monkeypatch.setattr(w.tokenizer, "batch_decode", lambda ids, **kw: [reply] * len(ids))
    notes = w.write(chunks()[0])
    assert notes.backend == "transformers"
    assert (notes.key_points[0].start, notes.key_points[0].end) == (5.0, 12.0)  # re-anchored
    assert w.stats()["llm_chunks"] == 1 and w.stats()["llm_reanchored"] == 1


def test_reduce_on_tiny_model_falls_back_per_chapter(tiny_llm_dir):
    w = create("notes", "transformers", model=str(tiny_llm_dir), max_new_tokens=4, fallback=CountingFallback())
    cn = [ChunkNotes(0, 12, (TimedText("Gradient descent updates the weights.", 0, 5),), (), ()),
          ChunkNotes(12, 20, (TimedText("Backpropagation computes the gradient.", 12, 20),), (), ())]
    out = w.reduce(cn, [ChapterSpan(0, 12, "One"), ChapterSpan(12, 20, "Two")], title="ML")
    assert out["chapter_titles"] == ["One", "Two"]
    assert out["chapter_summaries"] == ["Gradient descent updates the weights.",
                                        "Backpropagation computes the gradient."]
    assert out["summary"] and out["glossary"] == []
    assert w.stats()["llm_reduce_fallbacks"] == 3 and w.stats()["llm_reduce_calls"] == 3


def test_option_and_folder_errors(tiny_llm_dir, tmp_path):
    with pytest.raises(ConfigError, match="unknown option.*max_tokens.*valid options:.*max_new_tokens"):
        create("notes", "transformers", model=str(tiny_llm_dir), max_tokens=5)
    with pytest.raises(BackendError, match="does not exist"):
        create("notes", "transformers", model=str(tmp_path / "nope"))
    with pytest.raises(BackendError, match="not in the Hugging Face cache"):
        create("notes", "transformers", model="someone/not-cached-model")
    with pytest.raises(BackendError, match="bitsandbytes"):
        create("notes", "transformers", model=str(tiny_llm_dir), load_in_4bit=True)
    with pytest.raises(BackendError, match="unknown dtype"):
        create("notes", "transformers", model=str(tiny_llm_dir), dtype="int3")


def test_model_without_chat_template_is_refused(tiny_llm_dir, tmp_path):
    import shutil

    plain = tmp_path / "plain"
    shutil.copytree(tiny_llm_dir, plain)
    (plain / "chat_template.jinja").unlink()
    cfg = json.loads((plain / "tokenizer_config.json").read_text())
    cfg.pop("chat_template", None)
    (plain / "tokenizer_config.json").write_text(json.dumps(cfg))
    with pytest.raises(BackendError, match="no chat template"):
        create("notes", "transformers", model=str(plain))


def test_batch_worker_pool_loads_the_llm_once_and_keeps_stats_per_lecture(tiny_llm_dir):
    """A batch worker (Ray actor) converts many lectures: the LLM weights load once; each lecture's writer has
    its own statistics; closing a lecture's writer does not free the shared weights; the pool frees them."""
    from lecture_notes.runtime.model_pool import ModelPool, activated

    pool = ModelPool()
    writers = []
    with activated(pool):
        for _ in range(3):  # three lectures, each creating and closing its writer as the pipeline does
            w = create("notes", "transformers", model=str(tiny_llm_dir), max_new_tokens=4, device="cpu",
                       fallback=CountingFallback(), embedder=None)
            w.write_many(chunks()[:1])
            writers.append(w)
            w.close()
            assert w.model is None  # this lecture's writer let go of the weights
        assert writers[0].tokenizer is writers[2].tokenizer
        other = create("notes", "transformers", model=str(tiny_llm_dir), device="cpu", dtype="float32",
                       load_in_8bit=False, fallback=CountingFallback(), embedder=None)
    assert pool.loads["llm"] == 1 and pool.uses["llm"] == 4
    assert other.tokenizer is writers[0].tokenizer  # same weights for the same load options
    assert [w.stats()["llm_fallbacks"] for w in writers] == [1, 1, 1]  # stats are not shared across lectures
    shared = other.model
    pool.close()
    assert shared is not None and not pool._items

    # Without a pool every writer loads its own copy.
    a = create("notes", "transformers", model=str(tiny_llm_dir), device="cpu", fallback=CountingFallback())
    b = create("notes", "transformers", model=str(tiny_llm_dir), device="cpu", fallback=CountingFallback())
    assert a.model is not b.model
    a.close(), b.close()
