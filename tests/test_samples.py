"""The committed sample lecture (samples/lecture.mp4 + truth) and the generator in samples/make_sample.py."""
from __future__ import annotations

import json
from pathlib import Path

import av
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"

VIDEO = SAMPLES / "lecture.mp4"
TRUTH = SAMPLES / "lecture.truth.json"

# short sentences keep the real-TTS tests to a couple of seconds
@pytest.fixture()
def tiny_sections(make_sample):
    return [make_sample.SectionSpec("Light Reactions", ("Chlorophyll absorbs light", "Water is split"),
                                    ("Plants need light.",)),
            make_sample.SectionSpec("The Calvin Cycle", ("Carbon dioxide is fixed", "Sugar is built"), ("Sugar is made later.",))]


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads(TRUTH.read_text(encoding="utf-8"))


def _decode_audio(path: Path) -> tuple[np.ndarray, int]:
    with av.open(str(path)) as c:
        sr = c.streams.audio[0].codec_context.sample_rate
        rs = av.AudioResampler(format="flt", layout="mono", rate=sr)
        frames = [g.to_ndarray().reshape(-1) for f in c.decode(audio=0) for g in rs.resample(f)]
    return np.concatenate(frames).astype(np.float32), sr


def _rms(a: np.ndarray) -> float:
    return float(np.sqrt(np.mean(a.astype(np.float64) ** 2))) if len(a) else 0.0


# ------------------------------------------------------------------------------------------- committed sample
def test_committed_sample_probes_as_h264_aac_mp4(truth):
    assert VIDEO.stat().st_size < 4_000_000
    with av.open(str(VIDEO)) as c:
        duration = c.duration / 1e6
        v, a = c.streams.video[0], c.streams.audio[0]
        assert v.codec_context.name == "h264" and v.codec_context.pix_fmt == "yuv420p"
        assert (v.codec_context.width, v.codec_context.height) == (1280, 720)
        assert a.codec_context.name == "aac"
    assert 180 <= duration <= 300
    assert duration == pytest.approx(truth["duration_s"], abs=0.5)


def test_committed_sample_decodes_with_decord_and_slides_change_on_time(truth):
    import decord
    vr = decord.VideoReader(str(VIDEO))
    fps = truth["video"]["fps"]
    assert vr.get_avg_fps() == pytest.approx(fps)
    assert len(vr) == truth["video"]["frames"]
    assert vr[0].shape == (720, 1280, 3)

    def frame(t: float) -> np.ndarray:
        return vr[min(len(vr) - 1, int(round(t * fps)))].asnumpy().astype(np.int16)

    for t in truth["slide_change_times"]:
        before, at, later = frame(t - 1 / fps), frame(t), frame(t + 3)
        assert np.abs(at - before).mean() > 2.0, f"no slide change visible at {t}"
        assert np.abs(later - at).mean() < 1.0, f"slide not stable after {t}"


def test_truth_is_consistent(truth):
    dur = truth["duration_s"]
    slides, sents = truth["slides"], truth["sentences"]
    assert 4 <= len(slides) <= 5
    for s in slides:
        assert s["title"] and 3 <= len(s["bullets"]) <= 4
    changes = truth["slide_change_times"]
    assert changes == [s["start"] for s in slides[1:]] == sorted(changes)
    assert all(0 < t < dur for t in changes)
    assert [c["start"] for c in truth["chapters"]] == [s["start"] for s in slides]
    prev_end = 0.0
    for s in sents:
        assert prev_end <= s["start"] < s["end"] <= dur
        sl = slides[s["slide"]]
        assert sl["start"] <= s["start"] and s["end"] <= sl["end"], "sentence spoken outside its slide"
        prev_end = s["end"]
    assert {s["slide"] for s in sents} == set(range(len(slides)))
    assert truth["script"] == " ".join(s["text"] for s in sents)
    assert 550 <= truth["word_count"] <= 750


def test_truth_matches_the_lecture_script(make_sample, truth):
    script = make_sample.load_script()
    assert truth["title"] == script.title
    assert [s["title"] for s in truth["slides"]] == [s.title for s in script.sections]
    assert [s["text"] for s in truth["sentences"]] == [x for sec in script.sections for x in sec.sentences]


def test_committed_audio_is_speech_where_truth_says(truth):
    audio, sr = _decode_audio(VIDEO)
    assert len(audio) / sr == pytest.approx(truth["duration_s"], abs=0.2)
    assert np.abs(audio).max() < 0.999, "clipping"
    speech = np.concatenate([audio[int(s["start"] * sr):int(s["end"] * sr)] for s in truth["sentences"]])
    assert 0.04 < _rms(speech) < 0.2
    sents = truth["sentences"]
    gaps = [audio[int((a["end"] + 0.1) * sr):int((b["start"] - 0.1) * sr)] for a, b in zip(sents, sents[1:])]
    gap_rms = _rms(np.concatenate([g for g in gaps if len(g)]))
    assert gap_rms < _rms(speech) / 20, "pauses between sentences are not silent: timings are off"


# ------------------------------------------------------------------------------------------- generator library
def test_render_slide_looks_like_a_slide(make_sample, monkeypatch):
    img = make_sample.render_slide("Photosynthesis", ["Light is absorbed", "Sugar is made"], footer="Biology", page="1 / 2")
    assert img.size == (1280, 720) and img.mode == "RGB"
    px = np.asarray(img).astype(int)
    assert tuple(px[20, 640]) == make_sample._NAVY  # title bar
    title_band, body = px[30:120, 40:700], px[190:420, 100:900]
    assert (title_band.min(axis=2) > 200).mean() > 0.02  # white title text drawn
    assert (body.max(axis=2) < 100).mean() > 0.02  # dark bullet text drawn
    assert (px[430:640].max(axis=2) < 100).mean() < 0.001  # nothing below two bullets
    monkeypatch.setattr(make_sample, "FONT_DIRS", ("/nonexistent",))
    make_sample._font.cache_clear()
    try:
        small = make_sample.render_slide("Fallback font", ["still renders"], size=(640, 360))
    finally:
        make_sample._font.cache_clear()
    assert small.size == (640, 360) and (np.asarray(small)[90:200].max(axis=2) < 100).any()


def test_remix_sections_cycles_with_part_titles_and_seeded_order(make_sample):
    script = make_sample.load_script()
    a = make_sample.remix_sections(script.sections, 4, seed=1)
    assert len(a) == 4 * len(script.sections)
    assert a[:len(script.sections)] == list(script.sections)
    assert all(s.title.startswith("Part 3: ") for s in a[10:15])
    assert all(x.title.split(": ")[-1] != y.title.split(": ")[-1] for x, y in zip(a, a[1:]))
    assert a == make_sample.remix_sections(script.sections, 4, seed=1)
    assert [s.title for s in a] != [s.title for s in make_sample.remix_sections(script.sections, 4, seed=2)]


def test_sections_for_minutes_hits_target_length(make_sample, monkeypatch):
    sr = make_sample.sample_rate()
    fake = lambda text, **kw: np.full(int(len(text.split()) * 0.33 * sr), 0.1, np.float32)  # noqa: E731
    monkeypatch.setattr(make_sample, "synthesize_sentence", fake)
    script = make_sample.load_script()
    secs = make_sample.sections_for_minutes(script.sections, 12, seed=0)
    assert len(secs) > 2 * len(script.sections)
    lay = make_sample._layout(secs, fps=2, seed=0, speech=True, cache_dir=None)
    assert abs(lay["duration"] - 720) < 60  # within one section of the target


def test_video_without_audio_track_is_fast_and_has_estimated_times(make_sample, tiny_sections, tmp_path):
    out = tmp_path / "silent.mp4"
    truth = make_sample.make_lecture_video(out, tiny_sections, fps=2, audio=False)
    with av.open(str(out)) as c:
        assert len(c.streams.audio) == 0 and c.streams.video[0].codec_context.name == "h264"
        assert c.duration / 1e6 == pytest.approx(truth["duration_s"], abs=0.5)
    assert truth["audio"] is None and len(truth["sentences"]) == 2
    assert truth["slide_change_times"] == [truth["slides"][1]["start"]]


def test_write_audio_formats(make_sample, tmp_path):
    sr = 16000
    tone = (0.3 * np.sin(2 * np.pi * 440 * np.arange(3 * sr) / sr)).astype(np.float32)
    for suffix in (".wav", ".m4a", ".mp3", ".flac"):
        path = make_sample.write_audio(tmp_path / f"tone{suffix}", tone, sr)
        audio, got_sr = _decode_audio(path)
        assert got_sr == sr
        assert len(audio) / sr == pytest.approx(3.0, abs=0.15), suffix
        assert _rms(audio) == pytest.approx(0.3 / np.sqrt(2), rel=0.1), suffix
    with pytest.raises(ValueError, match="unsupported audio suffix"):
        make_sample.write_audio(tmp_path / "x.ogg", tone, sr)


@pytest.mark.slow
def test_synthesize_is_deterministic_and_timed(make_sample):
    make_sample._memory_cache.clear()
    audio, sr, times = make_sample.synthesize(["Plants need light.", "Sugar is made later."], seed=3, gap_s=0.5)
    assert sr == 22050 and audio.dtype == np.float32
    (s0, e0), (s1, e1) = times
    assert s0 == 0.0 and 0.5 < e0 < 3.0 and s1 == pytest.approx(e0 + 0.5, abs=1e-3) and e1 == len(audio) / sr
    assert 0.05 < _rms(audio[:int(e0 * sr)]) < 0.12 and np.abs(audio).max() < 0.9
    make_sample._memory_cache.clear()  # a fresh synthesis must give the same samples (seeded per sentence)
    again, _, _ = make_sample.synthesize(["Plants need light."], seed=3)
    assert np.array_equal(again, audio[:len(again)])


@pytest.mark.slow
def test_tiny_clip_through_library_and_cli(make_sample, tiny_sections, tmp_path):
    out = tmp_path / "clip.mp4"
    truth = make_sample.make_lecture_video(out, tiny_sections, fps=2, seed=3, title="Photosynthesis")
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == "h264" and c.streams.audio[0].codec_context.name == "aac"
        assert c.duration / 1e6 == pytest.approx(truth["duration_s"], abs=0.3)
    import decord
    vr = decord.VideoReader(str(out))
    change = truth["slide_change_times"][0]
    assert np.abs(vr[int(change * 2)].asnumpy().astype(int) - vr[0].asnumpy().astype(int)).mean() > 2.0
    audio, sr = _decode_audio(out)
    s = truth["sentences"][1]
    assert _rms(audio[int(s["start"] * sr):int(s["end"] * sr)]) > 10 * _rms(audio[:int(0.5 * sr)])

    script = tmp_path / "tiny.json"
    script.write_text(json.dumps({"title": "Photosynthesis", "sections": [
        {"title": x.title, "bullets": list(x.bullets), "sentences": list(x.sentences)} for x in tiny_sections]}))
    cache = tmp_path / "cache"
    assert make_sample.main([str(tmp_path / "cli.m4a"), "--script", str(script), "--seed", "3", "--cache-dir", str(cache)]) == 0
    cli_truth = json.loads((tmp_path / "cli.truth.json").read_text())
    assert cli_truth["audio"]["codec"] == "aac" and cli_truth["video"] is None
    dur = lambda tr: [round(x["end"] - x["start"], 2) for x in tr["sentences"]]  # noqa: E731
    assert dur(cli_truth) == dur(truth)  # same speech; slide starts snap to a different frame rate
    assert len(list(cache.glob("*.npy"))) == 0  # both sentences came from the in-memory cache
