"""media.py: probing, error messages, audio decoding and frame sampling on tiny generated files."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from lecture_notes.core.fsutil import sha256_file
from lecture_notes.stages import audio as audio_stage, media
from lecture_notes.core.errors import InputError, NoAudioError


@pytest.fixture(scope="module")
def lecture(media_factory, tmp_path_factory) -> Path:
    p, _ = media_factory.slide_video(tmp_path_factory.mktemp("m") / "lecture.mp4", seconds_per_slide=4, audio=True)
    return p


@pytest.fixture(scope="module")
def silent_video(media_factory, tmp_path_factory) -> Path:
    return media_factory.static_video(tmp_path_factory.mktemp("m") / "silent.mkv", seconds=6)


def _one_line_with_fix(msg: str, *words: str) -> None:
    assert "\n" not in msg and msg.strip() == msg
    assert any(w in msg for w in words), msg


def test_probe_video_with_audio(lecture):
    info = media.probe(lecture)
    assert info.has_audio and info.has_video
    assert (info.width, info.height) == (640, 360)
    assert info.fps == pytest.approx(2.0)
    assert info.duration == pytest.approx(12.0, abs=0.2)
    assert info.video_codec == "h264" and info.audio_codec == "aac"


def test_probe_video_without_audio(silent_video):
    info = media.probe(silent_video)
    assert info.has_video and not info.has_audio
    with pytest.raises(NoAudioError) as e:
        audio_stage.load_audio(silent_video)
    _one_line_with_fix(str(e.value), "--transcript")


@pytest.mark.parametrize("ext", [".wav", ".m4a", ".mp3"])
def test_audio_only_formats(media_factory, tmp_path, ext):
    sig = media_factory.tone(3.0, freq=440.0)
    p = media_factory.write_audio(tmp_path / f"talk{ext}", sig)
    info = media.probe(p)
    assert info.has_audio and not info.has_video and info.width is None
    assert info.duration == pytest.approx(3.0, abs=0.15)
    audio = audio_stage.load_audio(p)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert len(audio) == pytest.approx(48000, abs=2500)
    # The tone survives decoding + resampling: dominant frequency 440 Hz, amplitude ~0.3.
    spec = np.abs(np.fft.rfft(audio[4000:36000]))
    assert np.fft.rfftfreq(32000, 1 / 16000)[spec.argmax()] == pytest.approx(440, abs=2)
    assert 0.2 < np.abs(audio).max() < 0.45
    assert list(media.iter_frames(p)) == []


def test_load_audio_resamples_from_video(lecture):
    a8 = audio_stage.load_audio(lecture, sample_rate=8000)
    a16 = audio_stage.load_audio(lecture)
    assert len(a16) == pytest.approx(2 * len(a8), rel=0.01)
    assert len(a16) / 16000 == pytest.approx(12.0, abs=0.2)


def test_errors_are_one_line_with_fix(tmp_path):
    cases = []
    cases.append((tmp_path / "missing.mp4", ("check the path",)))
    d = tmp_path / "folder.mp4"
    d.mkdir()
    cases.append((d, ("folder",)))
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    cases.append((empty, ("empty", "re-")))
    corrupt = tmp_path / "corrupt.mp4"
    corrupt.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    cases.append((corrupt, ("re-encode", "ffmpeg")))
    wrong = tmp_path / "notes.docx"
    wrong.write_bytes(b"PK\x03\x04 not a video")
    cases.append((wrong, (".mp4",)))
    for path, fix in cases:
        with pytest.raises(InputError) as e:
            media.probe(path)
        _one_line_with_fix(str(e.value), *fix)
        assert path.name in str(e.value)
    with pytest.raises(InputError) as e:
        media.probe(wrong)
    assert ".mkv" in str(e.value) and ".mp3" in str(e.value)  # lists the supported extensions


def test_unreadable_file(tmp_path, lecture, monkeypatch):
    p = tmp_path / "locked.mp4"
    p.write_bytes(lecture.read_bytes())
    p.chmod(0)
    # Root reads any file regardless of mode, so simulate the permission check the OS would give a user.
    monkeypatch.setattr(media.os, "access", lambda path, mode: False)
    with pytest.raises(InputError) as e:
        media.probe(p)
    _one_line_with_fix(str(e.value), "chmod")


def test_iter_frames_samples_at_fps(lecture):
    frames = list(media.iter_frames(lecture, fps=1.0, max_side=320))
    assert [f.t for f in frames] == pytest.approx([float(i) for i in range(12)], abs=0.01)
    img = frames[0].image
    assert img.dtype == np.uint8 and img.shape == (180, 320, 3)
    # The first slide's dark title sits in the top band; the background is white.
    assert img[5:15, :, :].mean() > 240 and img[15:40, 20:150].min() < 80


def test_pyav_fallback_matches_decord(lecture):
    times = media._sample_times(12.0, 0.5)
    a = list(media.iter_frames(lecture, fps=0.5))
    b = list(media._iter_pyav(lecture, times, (640, 360)))
    assert [f.t for f in a] == pytest.approx([f.t for f in b], abs=0.01)
    for fa, fb in zip(a, b):
        assert np.abs(fa.image.astype(int) - fb.image.astype(int)).mean() < 3.0


def test_iter_frames_falls_back_when_decord_fails(lecture, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("decord cannot open this")

    monkeypatch.setattr(media, "_open_decord", boom)
    frames = list(media.iter_frames(lecture, fps=0.5))
    assert len(frames) == 6 and frames[-1].t == pytest.approx(10.0)


def test_frame_at_full_resolution(media_factory, tmp_path):
    p, _ = media_factory.slide_video(tmp_path / "hd.mp4", seconds_per_slide=2, size=(1280, 720), cursor=False, grain=0)
    full = media.frame_at(p, 3.0)
    assert full.shape == (720, 1280, 3)
    # At t=3 s the second slide is showing: it matches a fresh render of slide 2, not slide 1.
    s2 = media_factory.slide_image(*media_factory.SLIDES[1], size=(1280, 720)).astype(int)
    s1 = media_factory.slide_image(*media_factory.SLIDES[0], size=(1280, 720)).astype(int)
    assert np.abs(full - s2).mean() < np.abs(full - s1).mean() / 2


def test_sha256_streams(tmp_path):
    p = tmp_path / "blob.bin"
    data = os.urandom(3 * (1 << 20) + 17)
    p.write_bytes(data)
    assert sha256_file(p) == hashlib.sha256(data).hexdigest()
