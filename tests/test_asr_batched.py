"""Batched speech recognition and block-by-block audio: faster-whisper's BatchedInferencePipeline (the default),
audio_stage.iter_audio_blocks (bounded memory at any length) and transcribe_blocks (times on the recording's clock,
nothing lost or doubled at a block boundary), and batched generate in the transformers Whisper backend."""
from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from lecture_notes.backends.base import Transcriber
from lecture_notes.core.errors import BackendError
from lecture_notes.core.types import Segment, Transcript, Word
from lecture_notes.stages import audio as audio_stage
from lecture_notes.stages.transcribe import transcribe_blocks

SR = 16000
FIRST = "Today we study photosynthesis. Chlorophyll absorbs sunlight, and the Calvin cycle builds sugar."
SECOND = "Next week we turn to cellular respiration and the mitochondria that power every cell."


def write_wav(path: Path, audio: np.ndarray, rate: int = SR) -> Path:
    """Mono 16-bit WAV through PyAV, as a user's recording would arrive."""
    import av

    pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=rate)
        stream.layout = "mono"
        for i in range(0, len(pcm), 4096):
            frame = av.AudioFrame.from_ndarray(pcm[None, i:i + 4096], format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = i
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path


def words_of(text: str):
    return re.findall(r"[a-z]+", text.lower())


# ------------------------------------------------------------------------------------ blocks without a model


def test_audio_blocks_are_contiguous_exact_and_cut_in_pauses(tmp_path):
    rng = np.random.default_rng(0)
    audio = (rng.standard_normal(SR * 25) * 0.2).astype(np.float32)  # 25 s of "speech"
    for quiet in (9.0, 19.5):  # one pause near each 10-s mark
        audio[int(quiet * SR):int((quiet + 0.8) * SR)] = 0.0
    path = write_wav(tmp_path / "talk.wav", audio)
    blocks = list(audio_stage.iter_audio_blocks(path, block_seconds=10.0))
    whole = audio_stage.load_audio(path)
    assert len(blocks) == 3
    offset = 0
    for start, samples in blocks:
        assert start == offset / SR and samples.dtype == np.float32 and samples.ndim == 1
        offset += len(samples)
    assert offset == len(whole)
    np.testing.assert_array_equal(np.concatenate([b for _, b in blocks]), whole)
    cuts = [start for start, _ in blocks[1:]]
    assert 9.0 <= cuts[0] <= 9.8 and 19.5 <= cuts[1] <= 20.3  # inside the pauses, not at 10 s and 20 s
    # A recording shorter than a block is one block.
    assert [(s, len(b)) for s, b in audio_stage.iter_audio_blocks(path, block_seconds=60.0)] == [(0.0, len(whole))]


def test_audio_blocks_report_bad_input_like_load_audio(tmp_path):
    from lecture_notes.core.errors import InputError

    bad = tmp_path / "broken.wav"
    bad.write_bytes(b"RIFF not really a wav file")
    with pytest.raises(InputError, match="not a readable media file"):
        list(audio_stage.iter_audio_blocks(bad, 10.0))
    with pytest.raises(ValueError):
        list(audio_stage.iter_audio_blocks(write_wav(tmp_path / "ok.wav", np.zeros(SR, np.float32)), 0))


class OffsetRecorder(Transcriber):
    """Returns one word at 0.1-0.4 s of every block and records what each call received."""

    name = "recorder"

    def __init__(self):
        self.calls = []

    def transcribe(self, audio, *, language=None, initial_prompt=None, progress=None):
        self.calls.append((len(audio), language, initial_prompt))
        if progress is not None:
            progress(len(audio) / SR)
        n = len(self.calls)
        return Transcript((Segment(0.1, 0.4, f"word{n}", (Word(0.1, 0.4, f"word{n}"),)),), language="de",
                          source="asr:rec")


def test_transcribe_blocks_shifts_times_by_each_offset_and_keeps_the_first_language():
    backend = OffsetRecorder()
    blocks = [(0.0, np.zeros(SR * 2, np.float32)), (2.0, np.zeros(SR * 3, np.float32)),
              (5.0, np.zeros(SR, np.float32))]
    seen = []
    tr = transcribe_blocks(iter(blocks), backend, initial_prompt="Cells.", progress=seen.append)
    assert [(s.start, s.end, s.text) for s in tr.segments] == [(0.1, 0.4, "word1"), (2.1, 2.4, "word2"),
                                                                (5.1, 5.4, "word3")]
    assert [(w.start, w.end) for s in tr.segments for w in s.words] == [(0.1, 0.4), (2.1, 2.4), (5.1, 5.4)]
    # The language detected in the first block is given to the next ones; the prompt goes to each block.
    assert backend.calls == [(SR * 2, None, "Cells."), (SR * 3, "de", "Cells."), (SR, "de", "Cells.")]
    assert tr.language == "de" and tr.source == "asr:rec"
    assert seen == sorted(seen) and seen[-1] == 6.0


def test_transcribe_blocks_rejects_a_backend_that_returns_no_transcript():
    class Bad(OffsetRecorder):
        def transcribe(self, audio, **kw):
            return "text"

    with pytest.raises(BackendError, match="not a Transcript"):
        transcribe_blocks([(0.0, np.zeros(SR, np.float32))], Bad())


def test_faster_whisper_rejects_a_negative_batch_size_and_unknown_device():
    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber, _parse_device

    with pytest.raises(BackendError, match="batch_size"):
        FasterWhisperTranscriber("tiny.en", batch_size=-1)
    assert _parse_device("cuda:1") == ("cuda", 1) and _parse_device("cpu") == ("cpu", 0)
    assert _parse_device("mps") == ("cpu", 0)
    with pytest.raises(BackendError, match="unknown device"):
        _parse_device("tpu")


# ------------------------------------------------------------------------------------ real tiny.en, batched


@pytest.fixture(scope="module")
def lecture(tmp_path_factory):
    """FIRST, 6 s of room noise (no speech), SECOND; as a WAV file, with the times of the gap."""
    from tests.test_transcribe import synthesize

    first, second = synthesize(FIRST), synthesize(SECOND)
    gap = (np.random.default_rng(1).standard_normal(SR * 6) * 0.002).astype(np.float32)
    audio = np.concatenate([first, gap, second])
    gap_at = (len(first) / SR, (len(first) + len(gap)) / SR)
    path = write_wav(tmp_path_factory.mktemp("asr") / "lecture.wav", audio)
    return path, audio, gap_at


@pytest.fixture(scope="module")
def batched():
    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber

    backend = FasterWhisperTranscriber("tiny.en", cpu_threads=2, batch_size=2)
    yield backend
    backend.close()


def check_words(tr: Transcript, duration: float):
    words = [w for s in tr.segments for w in s.words]
    assert words, tr
    starts = [w.start for w in words]
    assert starts == sorted(starts)
    assert all(0.0 <= w.start <= w.end <= duration + 1e-6 for w in words)
    for seg in tr.segments:  # each word inside its own segment
        assert all(seg.start - 1e-6 <= w.start <= w.end <= seg.end + 1e-6 for w in seg.words)
    segs = [(s.start, s.end) for s in tr.segments]
    assert segs == sorted(segs)
    return words


@pytest.mark.slow
def test_batched_tiny_en_keeps_order_word_times_and_silence(batched, lecture):
    path, audio, (gap_start, gap_end) = lecture
    assert batched.batch_size == 2 and batched._batched is not None
    duration = len(audio) / SR
    tr = transcribe_blocks(audio_stage.iter_audio_blocks(path, 600.0), batched)
    words = check_words(tr, duration)
    got = words_of(tr.text)
    assert {"photosynthesis", "sunlight", "calvin", "sugar"} <= set(got), tr.text
    assert {"respiration", "mitochondria"} <= set(got), tr.text
    assert got.index("photosynthesis") < got.index("respiration")  # segment order follows the audio
    # Nothing is invented in the no-speech stretch, and the second sentence starts after it.
    assert not [w for w in words if gap_start + 0.5 < w.start < gap_end - 0.5], words
    second = [w for w in words if words_of(w.word) and words_of(w.word)[0] == "respiration"][0]
    assert gap_end - 0.3 <= second.start <= duration
    # Pure room noise gives no text at all.
    noise_only = np.random.default_rng(2).standard_normal(SR * 8).astype(np.float32) * 0.002
    assert transcribe_blocks([(0.0, noise_only)], batched).segments == ()


@pytest.mark.slow
def test_block_boundary_mid_sentence_loses_and_doubles_no_words(batched, lecture):
    path, audio, _ = lecture
    duration = len(audio) / SR
    whole = transcribe_blocks(audio_stage.iter_audio_blocks(path, 600.0), batched)
    # 3-s blocks: every sentence is cut at least twice, at the quietest moment near each target.
    blocks = list(audio_stage.iter_audio_blocks(path, 3.0))
    assert len(blocks) >= 5 and any(1.0 < off < 5.0 for off, _ in blocks)
    cut = transcribe_blocks(iter(blocks), batched)
    check_words(cut, duration)
    a, b = words_of(whole.text), words_of(cut.text)
    # Never doubled at a boundary (tiny.en may mishear a word in a 3-s piece, e.g. "corofill", so a term can
    # be missing; a lost stretch shows in the word count and the WER instead).
    for term in ("photosynthesis", "chlorophyll", "sunlight", "calvin", "sugar", "respiration", "mitochondria"):
        assert b.count(term) <= max(1, a.count(term)), (term, whole.text, cut.text)
    import collections

    import jiwer

    # Lost or doubled words are deletions/insertions; a word misheard in a 3-s piece is a substitution
    # ("photosynthesis" heard as "for the synthesis" is one substitution and two insertions).
    out = jiwer.process_words(" ".join(a), " ".join(b))
    assert out.deletions <= 2 and out.insertions <= 3, (whole.text, cut.text)
    assert abs(len(a) - len(b)) <= 3, (whole.text, cut.text)
    trigrams = lambda ws: collections.Counter(zip(ws, ws[1:], ws[2:]))  # noqa: E731
    whole_tri = trigrams(a)
    assert not [t for t, n in trigrams(b).items() if n > max(1, whole_tri[t])], (whole.text, cut.text)


@pytest.mark.slow
def test_batched_and_sequential_agree(batched, lecture):
    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber

    _, audio, _ = lecture
    with FasterWhisperTranscriber("tiny.en", cpu_threads=2, batch_size=0) as seq:
        assert seq._batched is None
        s = seq.transcribe(audio)
    b = batched.transcribe(audio)
    import jiwer

    assert jiwer.wer(" ".join(words_of(s.text)), " ".join(words_of(b.text))) <= 0.1, (s.text, b.text)


# ------------------------------------------------------------------------------------ transformers, batched


@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory):
    from tests.tiny_models import build_tiny_whisper

    return build_tiny_whisper(tmp_path_factory.mktemp("tiny-whisper"))


def test_transformers_whisper_batched_generate_matches_one_piece_at_a_time(tiny_whisper):
    from lecture_notes.backends.registry import create
    from lecture_notes.backends.whisper_transformers import quiet_pieces

    audio = (np.random.RandomState(1).randn(SR * 75) * 0.05).astype(np.float32)
    audio[SR * 27:SR * 28] = 0.0  # a pause inside the first window's search range
    pieces = quiet_pieces(audio)
    assert pieces[0][0] == 0 and pieces[-1][1] == len(audio) and len(pieces) == 3
    assert all(b - a <= 30 * SR for a, b in pieces) and 27 * SR <= pieces[0][1] <= 28 * SR
    assert all(b == c for (_, b), (c, _) in zip(pieces, pieces[1:]))
    one = create("asr", "transformers", model=str(tiny_whisper), max_new_tokens=6, device="cpu", batch_size=1)
    four = create("asr", "transformers", model=str(tiny_whisper), max_new_tokens=6, device="cpu", batch_size=4)
    assert create("asr", "transformers", model=str(tiny_whisper), device="cpu").batch_size == 0
    calls = []
    generate = four.model.generate
    four.model.generate = lambda **kw: calls.append(kw["input_features"].shape[0]) or generate(**kw)
    a = one.transcribe(audio, language="de")
    b = four.transcribe(audio, language="de")
    assert calls == [3]  # all three pieces in one generate call
    assert a.segments == b.segments and b.segments
    last = 0.0
    for seg in b.segments:  # ordered, inside the audio, on the block's clock
        assert last - 1e-6 <= seg.start < seg.end <= 75.0 + 1e-6 and seg.text
        last = seg.end
    with pytest.raises(BackendError, match="batch_size"):
        create("asr", "transformers", model=str(tiny_whisper), device="cpu", batch_size=-2)


def test_device_option_reaches_faster_whisper(tmp_path):
    from lecture_notes.core.config import BuildConfig
    from lecture_notes.core.config_file import apply_overrides, cli_overrides, merge_overrides

    ov = merge_overrides({}, cli_overrides(device="cuda"))
    cfg = apply_overrides(BuildConfig(input=Path("a.mp4")), ov).validated()
    assert cfg.asr_backend == "faster-whisper" and cfg.options_for("asr")["device"] == "cuda"
    cfg = apply_overrides(BuildConfig(input=Path("a.mp4")), {}).validated()
    assert "device" not in cfg.options_for("asr")  # no --device: the backend picks (CPU here)


def test_large_buffers_are_returned_to_the_system():
    import sys

    from lecture_notes.runtime.memory import return_large_buffers

    assert return_large_buffers() is sys.platform.startswith("linux")
    assert return_large_buffers() is sys.platform.startswith("linux")  # once per process, idempotent
