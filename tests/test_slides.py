"""slides.py: slide-change detection robust to noise, pointer motion and talking heads; title split."""
from __future__ import annotations

import numpy as np
import pytest

from lecture_notes.stages import media
from lecture_notes.core.layout import reading_order
from lecture_notes.stages.slides import detect_slides, split_title
from lecture_notes.core.types import Frame, OcrLine


def _spans(path, fps=1.0, **kw):
    info = media.probe(path)
    return detect_slides(media.iter_frames(path, fps=fps), duration=info.duration, **kw)


@pytest.fixture(scope="module")
def noisy_lecture(media_factory, tmp_path_factory):
    # Heavy-noise frames at 2.5 s, 13.5 s and a two-frame burst at 22-22.5 s; a moving pointer throughout.
    return media_factory.slide_video(tmp_path_factory.mktemp("s") / "noisy.mp4", noise_frames=(5, 27, 44, 45))


@pytest.mark.parametrize("fps", [1.0, 0.5])
def test_changes_found_within_one_interval(media_factory, noisy_lecture, fps):
    path, truth = noisy_lecture
    spans = _spans(path, fps=fps)
    assert len(spans) == 3, [(s.start, s.end) for s in spans]
    assert spans[0].start == 0.0 and spans[-1].end == pytest.approx(30.0, abs=0.1)
    for s, t in zip(spans[1:], truth):
        assert abs(s.start - t) <= 1.0 / fps + 1e-6
    for a, b in zip(spans, spans[1:]):
        assert a.end == b.start
    # Keyframes lie inside their span and are clean (not one of the noise frames), and show their slide.
    noise_t = {2.5, 13.5, 22.0, 22.5}
    for i, s in enumerate(spans):
        assert s.start <= s.keyframe_t < s.end and s.keyframe_t not in noise_t
        ref = [media_factory.slide_image(*sl).astype(int) for sl in media_factory.SLIDES]
        dists = [np.abs(s.keyframe.astype(int) - r).mean() for r in ref]
        assert int(np.argmin(dists)) == i


def test_static_video_is_one_slide(media_factory, tmp_path):
    spans = _spans(media_factory.static_video(tmp_path / "static.mp4", seconds=20))
    assert len(spans) == 1 and spans[0].start == 0.0 and spans[0].end == pytest.approx(20.0, abs=0.1)


def test_talking_head_gives_at_most_one_slide(media_factory, tmp_path):
    assert len(_spans(media_factory.talking_head_video(tmp_path / "head.mp4"))) <= 1


def test_camera_footage_does_not_make_many_slides(media_factory, tmp_path):
    assert len(_spans(media_factory.camera_video(tmp_path / "cam.mp4", seconds=24), fps=1.0)) <= 2
    assert len(_spans(tmp_path / "cam.mp4", fps=2.0)) <= 2


def test_builds_merged_or_split(media_factory, tmp_path):
    path, truth = media_factory.slide_video(tmp_path / "builds.mp4", builds=True)
    merged = _spans(path)
    assert [round(s.start) for s in merged] == [0, 10, 20]
    # The keyframe of a merged build is its fullest state: all three bullets are visible.
    full = media_factory.slide_image(*media_factory.SLIDES[0]).astype(int)
    assert np.abs(merged[0].keyframe.astype(int) - full).mean() < 6
    split = _spans(path, merge_builds=False)
    assert len(split) == 9
    assert {round(s.start) for s in split} >= {0, 10, 20}


def test_webcam_overlay_is_ignored(media_factory):
    rng = np.random.default_rng(0)
    frames = []
    for title, bullets in media_factory.SLIDES:
        base = media_factory.slide_image(title, bullets)
        for k in range(20):
            img = base.copy()
            img[240:350, 480:630] = rng.integers(0, 255, (110, 150, 3), dtype=np.uint8) if k % 2 else 90 + k * 7
            frames.append(Frame(float(len(frames)), img))
    spans = detect_slides(frames, duration=60.0)
    assert [s.start for s in spans] == [0.0, 20.0, 40.0]


def test_empty_input():
    assert detect_slides([], duration=10.0) == []


def _line(text, x0, y0, x1, y1, conf=0.9):
    return OcrLine(text=text, confidence=conf, box=(x0, y0, x1, y1), height=y1 - y0)


def test_split_title_by_size_and_position():
    lines = [
        _line("- second bullet", 60, 160, 400, 180, 0.8),
        _line("Gradient", 40, 30, 240, 70, 1.0),
        _line("Descent", 250, 32, 420, 70, 1.0),
        _line("- first bullet", 60, 120, 380, 140, 0.7),
    ]
    title, text, conf = split_title(lines)
    assert title == "Gradient Descent"
    assert text.splitlines() == ["Gradient Descent", "- first bullet", "- second bullet"]
    assert conf == pytest.approx(0.875)


def test_split_title_two_line_title_and_uniform_text():
    big = [_line("Why Neural", 40, 20, 400, 60), _line("Networks Work", 40, 66, 450, 106),
           _line("body one", 60, 150, 300, 170), _line("body two", 60, 180, 300, 200)]
    assert split_title(big)[0] == "Why Neural Networks Work"
    uniform = [_line("just text", 40, 20, 300, 40), _line("more text", 40, 46, 300, 66)]
    assert split_title(uniform)[0] == ""  # no larger or set-apart line: no title invented
    apart = [_line("Summary", 40, 20, 300, 40), _line("more text", 40, 90, 300, 110)]
    assert split_title(apart)[0] == "Summary"
    assert split_title([]) == ("", "", 0.0)


def test_reading_order_rows_then_columns():
    lines = [_line("right", 300, 101, 400, 121), _line("left", 10, 100, 100, 120), _line("top", 10, 10, 100, 30)]
    assert [ln.text for ln in reading_order(lines)] == ["top", "left", "right"]
