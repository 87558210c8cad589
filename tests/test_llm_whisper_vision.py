"""Whisper and VLM backends through transformers on tiny random-weight models built in the test: loading by
path, language detection, long-form blocks, timestamps inside the audio, slide descriptions."""
from __future__ import annotations

import numpy as np
import pytest

from lecture_notes.backends.registry import create
from lecture_notes.core.errors import BackendError


def noise(seconds: float) -> np.ndarray:
    return (np.random.RandomState(1).randn(int(16000 * seconds)) * 0.05).astype(np.float32)


def test_whisper_transcribes_with_valid_timestamps(tiny_whisper_dir):
    asr = create("asr", "transformers", model=str(tiny_whisper_dir), max_new_tokens=6, block_seconds=30, device="cpu")
    assert asr.multilingual
    seen = []
    audio = noise(34.0)  # two blocks: 30 s + 4 s
    tr = asr.transcribe(audio, language="de", initial_prompt="Gradient descent", progress=seen.append)
    assert tr.language == "de" and tr.source == f"asr:{tiny_whisper_dir.name}"
    assert seen == [30.0, 34.0]
    assert tr.segments
    last = 0.0
    for seg in tr.segments:  # monotonic, non-overlapping, inside the audio
        assert last - 1e-6 <= seg.start < seg.end <= 34.0 + 1e-6 and seg.text == seg.text.strip() != ""
        last = seg.end


def test_whisper_detects_language_and_handles_short_audio(tiny_whisper_dir):
    asr = create("asr", "transformers", model=str(tiny_whisper_dir), max_new_tokens=4)
    lang = asr.detect_language(noise(3.0))
    assert lang in {k.strip("<|>") for k in asr.model.generation_config.lang_to_id}
    tr = asr.transcribe(noise(3.0))
    assert tr.language == lang
    assert all(0.0 <= s.start < s.end <= 3.0 for s in tr.segments)
    assert asr.transcribe(np.zeros(100, dtype=np.float32)).segments == ()


def test_whisper_errors(tiny_whisper_dir, tmp_path):
    with pytest.raises(BackendError, match="unknown Whisper task"):
        create("asr", "transformers", model=str(tiny_whisper_dir), task="summarise")
    with pytest.raises(BackendError, match="does not exist"):
        create("asr", "transformers", model=str(tmp_path / "missing"))


def test_vlm_describes_a_slide(tiny_models, tmp_path):
    d = tiny_models.build_tiny_llava(tmp_path / "llava")
    vis = create("vision", "transformers", model=str(d), max_new_tokens=12, max_sentences=2, device="cpu")
    msgs = vis.build_messages("Gradient   Descent\nMinimise the loss")
    assert msgs[0]["content"][0] == {"type": "image"}
    assert 'Its text reads: "Gradient Descent Minimise the loss"' in msgs[0]["content"][1]["text"]
    img = (np.random.RandomState(0).rand(90, 160, 3) * 255).astype(np.uint8)
    text = vis.describe(img, ocr_text="Gradient Descent")
    assert isinstance(text, str) and len(text) <= 600 and "\n" not in text
    vis.close()
