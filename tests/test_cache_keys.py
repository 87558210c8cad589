"""Each stage's cache key covers exactly what shapes its result: its inputs, its options, its own code and
the code of the backends actually used (not a fixed list), and nothing else."""
from __future__ import annotations

import importlib
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from lecture_notes.backends import registry
from lecture_notes.core import cachekey
from lecture_notes.core.config import BuildConfig
from lecture_notes.core.types import Segment, Slide, Transcript
from lecture_notes.stages import notes, slides, transcribe

SHA = "ab" * 32
TRANSCRIPT = Transcript((Segment(0.0, 2.0, "Hello there."),), "en", "test")
SLIDE = Slide(0.0, 2.0, "Title", "Title\nbody", 0.9, "slides/slide-001.jpg")


@pytest.fixture()
def plugin_module(tmp_path, monkeypatch):
    """A backend plugin in its own module file, so a test can change its code like a user upgrading it."""
    path = tmp_path / "keytest_plugin.py"

    def write(version: str) -> type:
        path.write_text(textwrap.dedent(f'''
            from lecture_notes.backends.base import Transcriber, VisionDescriber

            VERSION = {version!r}


            class FakeAsr(Transcriber):
                """A fake ASR plugin."""
                name = "keytest-asr"

                def transcribe(self, audio, **kw):
                    raise NotImplementedError


            class FakeVision(VisionDescriber):
                """A fake vision plugin."""
                name = "keytest-vision"

                def describe(self, image, *, ocr_text=""):
                    return VERSION
        '''))
        sys.modules.pop("keytest_plugin", None)
        cachekey._HASHES.clear()
        module = importlib.import_module("keytest_plugin")
        registry.register("asr", "keytest-asr", module.FakeAsr)
        registry.register("vision", "keytest-vision", module.FakeVision)
        return module

    monkeypatch.syspath_prepend(str(tmp_path))
    yield write
    sys.modules.pop("keytest_plugin", None)
    cachekey._HASHES.clear()


def _config(**kw) -> BuildConfig:
    return BuildConfig(input=Path("lecture.mp4"), **kw)


def _transcript_key(config: BuildConfig, prompt=None) -> str:
    info, opts = registry.configured(config, "asr")
    return transcribe.cache_key(SHA, asr=info, asr_options=opts, language=config.language, prompt=prompt)


def _slides_key(config: BuildConfig) -> str:
    ocr, ocr_opts = registry.configured(config, "ocr")
    vision, vision_opts = registry.configured(config, "vision") if config.vision_backend else (None, {})
    return slides.cache_key(SHA, frame_rate=config.frame_rate, frame_max_side=config.frame_max_side, ocr=ocr,
                            ocr_options=ocr_opts, vision=vision, vision_options=vision_opts)


def _notes_key(config: BuildConfig, transcript=TRANSCRIPT, title="T") -> str:
    emb, emb_opts = registry.configured(config, "embedder")
    writer, writer_opts = registry.configured(config, "notes")
    fallback = registry.lookup("notes", "extractive") if writer.cls.generative else None
    return notes.cache_key(SHA, transcript=transcript, slides=(SLIDE,), window=config.window, title=title,
                           embedder=emb, embedder_options=emb_opts, writer=writer, writer_options=writer_opts,
                           fallback=fallback)


def test_transcript_key_hashes_the_asr_backend_actually_used(plugin_module):
    plugin_module("1")
    base = _config()
    fake = replace(base, asr_backend="keytest-asr")
    fw_key, fake_key = _transcript_key(base), _transcript_key(fake)
    assert fw_key != fake_key
    plugin_module("2")  # the plugin's code changes: its transcripts are recomputed, faster-whisper's are not
    assert _transcript_key(fake) != fake_key
    assert _transcript_key(base) == fw_key
    # The faster-whisper key covers faster-whisper's own code, not the transformers backend's.
    fw = registry.lookup("asr", "faster-whisper")
    assert cachekey.backend_key(fw)[1] == cachekey.code_hash(
        "lecture_notes.backends.faster_whisper_backend", "lecture_notes.backends.base",
        "lecture_notes.backends.models_cache")


def test_transcript_key_follows_its_options_only():
    base = _config()
    key = _transcript_key(base)
    assert _transcript_key(replace(base, asr_model="base")) != key
    assert _transcript_key(base, prompt="Entropy") != key
    assert _transcript_key(replace(base, language="en")) != key
    assert _transcript_key(replace(base, window=600.0, frame_rate=1.0, formats=("md",), title="X")) == key


def test_slides_key_includes_the_vision_backend_its_options_and_code(plugin_module):
    plugin_module("1")
    base = _config()
    described = replace(base, vision_backend="keytest-vision")
    plain, with_vision = _slides_key(base), _slides_key(described)
    assert plain != with_vision
    opts = replace(described, backend_options=(("vision", (("max_side", 512),)),))
    assert _slides_key(opts) != with_vision
    plugin_module("2")
    assert _slides_key(described) != with_vision and _slides_key(base) == plain


def test_slides_key_follows_frames_and_ocr_options_only():
    base = _config()
    key = _slides_key(base)
    assert _slides_key(replace(base, frame_rate=1.0)) != key
    assert _slides_key(replace(base, backend_options=(("ocr", (("min_confidence", 0.3),)),))) != key
    assert _slides_key(replace(base, asr_model="base", language="en", window=600.0)) == key


def test_notes_key_covers_inputs_writer_and_fallback():
    base = _config()
    key = _notes_key(base)
    assert _notes_key(replace(base, window=600.0)) != key
    assert _notes_key(base, title="Other") != key
    other = Transcript((Segment(0.0, 2.0, "Hello here."),), "en", "test")
    assert _notes_key(base, transcript=other) != key
    llm = replace(base, notes_backend="openai")
    assert _notes_key(llm) != key
    assert _notes_key(replace(base, asr_model="base", frame_rate=1.0)) == key
    # The generative writer's key includes the extractive fallback it may use for some chunks.
    writer = registry.lookup("notes", "openai")
    without_fallback = notes.cache_key(SHA, transcript=TRANSCRIPT, slides=(SLIDE,), window=300.0, title="T",
                                       embedder=registry.lookup("embedder", "minilm"), embedder_options={},
                                       writer=writer, writer_options={})
    assert without_fallback != _notes_key(llm)


def test_code_hash_reads_modules_packages_and_data_folders():
    one = cachekey.code_hash("lecture_notes.stages.ocr")
    assert one == cachekey.code_hash("lecture_notes.stages.ocr") and len(one) == 16
    assert cachekey.code_hash("lecture_notes.prompts") != cachekey.code_hash("lecture_notes.text")
    with pytest.raises(ValueError):
        cachekey.code_hash("lecture_notes.no_such_module")
