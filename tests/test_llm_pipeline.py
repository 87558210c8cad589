"""End to end: `build_notes` with the tiny random-weight LLM as note writer (notes backend "transformers") on a
generated audio clip with a transcript sidecar. Random weights -> every chunk falls back, and notes.json says so."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from lecture_notes.core.config import BuildConfig

SRT = """1
00:00:00,000 --> 00:00:20,000
Gradient descent updates the weights against the gradient of the loss.

2
00:00:20,000 --> 00:00:40,000
The learning rate controls how large each step is, and too large a rate diverges.

3
00:00:40,000 --> 00:01:00,000
Backpropagation computes the gradient of the loss with respect to every weight.
"""


@pytest.mark.slow
def test_build_with_tiny_llm_records_fallbacks(media_factory, tiny_llm_dir, tmp_path):
    from lecture_notes.runtime.pipeline import build_notes

    llm = tiny_llm_dir
    audio = media_factory.write_audio(tmp_path / "lecture.wav", media_factory.tone(60.0))
    srt = tmp_path / "lecture.srt"
    srt.write_text(SRT)
    cfg = BuildConfig(input=audio, out_dir=tmp_path / "out", transcript=srt, window=30.0,
                      cache_dir=tmp_path / "cache", notes_backend="transformers",
                      backend_options=(("notes", (("model", str(llm)), ("max_new_tokens", 4))),)).validated()
    result = build_notes(cfg)
    data = json.loads((Path(result.out_dir) / "notes.json").read_text())
    stats = data["stats"]
    # every fallback follows a repair attempt (sparse chapters may ask the model again)
    assert stats["llm_fallbacks"] >= 2 and stats["llm_repairs"] >= stats["llm_fallbacks"]
    assert stats["llm_chunks"] == 0
    assert all(c.backend == "extractive" for c in result.notes.chunks)
    assert result.notes.chapters and result.notes.summary
