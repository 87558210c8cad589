"""ocr.py + the RapidOCR backend: keyframes saved as JPEG, titles read, blank slides dropped."""
from __future__ import annotations


import numpy as np
import pytest
from PIL import Image

from lecture_notes.stages import media
from lecture_notes.backends.base import OcrEngine
from lecture_notes.stages.ocr import is_blank, prepare_for_ocr, read_slides
from lecture_notes.stages.slides import detect_slides
from lecture_notes.core.types import OcrLine, SlideSpan


class FakeEngine(OcrEngine):
    """Returns a title line for frames that have dark pixels in the top band, nothing otherwise."""

    def __init__(self):
        self.seen = []

    def read(self, image):
        self.seen.append(image.shape)
        if (image[: image.shape[0] // 4] < 60).sum() > 200:
            return [OcrLine("Title", 0.9, (10, 10, 200, 60), 50), OcrLine("body", 0.7, (10, 100, 100, 120), 20)]
        return []


def _span(img, start, end):
    return SlideSpan(start=start, end=end, keyframe=img, keyframe_t=(start + end) / 2)


def test_read_slides_saves_jpegs_and_drops_only_blank(media_factory, tmp_path):
    slide = media_factory.slide_image(*media_factory.SLIDES[0], size=(1920, 1080))
    photo = np.random.default_rng(0).integers(160, 255, (360, 640, 3), dtype=np.uint8)  # no text, not blank
    white = np.full((360, 640, 3), 255, np.uint8)
    spans = [_span(slide, 0, 10), _span(white, 10, 12), _span(photo, 12, 20)]
    calls = []
    engine = FakeEngine()
    out = read_slides(spans, engine, tmp_path, progress=lambda d, t: calls.append((d, t)))
    assert [s.image_path for s in out] == ["slides/slide-001.jpg", "slides/slide-002.jpg"]
    assert (out[0].title, out[0].text, out[0].confidence) == ("Title", "Title\nbody", pytest.approx(0.8))
    assert (out[1].start, out[1].text, out[1].title) == (12, "", "")  # kept: empty text but not blank
    assert calls == [(1, 3), (2, 3), (3, 3)]
    big = Image.open(tmp_path / "slides/slide-001.jpg")
    assert big.format == "JPEG" and big.size == (1280, 720)  # capped at 1280 px wide
    assert Image.open(tmp_path / "slides/slide-002.jpg").size == (640, 360)
    assert sorted(p.name for p in (tmp_path / "slides").iterdir()) == ["slide-001.jpg", "slide-002.jpg"]
    # Small frames are upscaled for OCR (short side 720); large ones are not.
    assert engine.seen[0] == (1080, 1920, 3) and engine.seen[1] == (720, 1280, 3)


def test_a_slide_shown_again_is_read_once(media_factory, tmp_path):
    title, bullets = media_factory.SLIDES[0]
    a = media_factory.slide_image(title, bullets, size=(1280, 720))
    rng = np.random.default_rng(3)
    a_again = np.clip(a.astype(int) + rng.integers(-6, 7, a.shape), 0, 255).astype(np.uint8)  # re-encoded
    b = media_factory.slide_image(*media_factory.SLIDES[1], size=(1280, 720))
    one_word = media_factory.slide_image(title, bullets[:2] + ["Learning rate sets the stop"], size=(1280, 720))
    engine = FakeEngine()
    spans = [_span(a, 0, 10), _span(b, 10, 20), _span(a_again, 20, 30), _span(one_word, 30, 40)]
    out = read_slides(spans, engine, tmp_path)
    assert len(engine.seen) == 3  # a, b, the one-word edit; a_again reuses a's lines
    assert [s.text for s in out] == ["Title\nbody"] * 4
    assert [s.image_path for s in out] == [f"slides/slide-00{i}.jpg" for i in range(1, 5)]  # each keeps its image


def test_full_res_callback_and_fallback(media_factory, tmp_path):
    small = media_factory.slide_image(*media_factory.SLIDES[1], size=(320, 180))
    asked = []

    def full(t):
        asked.append(t)
        if t > 10:
            raise RuntimeError("decode failed")
        return media_factory.slide_image(*media_factory.SLIDES[1], size=(1280, 720))

    out = read_slides([_span(small, 0, 10), _span(small, 10, 20)], FakeEngine(), tmp_path, full_res=full)
    assert asked == [5.0, 15.0]
    assert Image.open(tmp_path / out[0].image_path).size == (1280, 720)
    assert Image.open(tmp_path / out[1].image_path).size == (320, 180)  # fell back to the sampled frame


def test_blank_and_prepare(media_factory):
    assert is_blank(np.zeros((100, 200, 3), np.uint8))
    assert is_blank(np.full((100, 200, 3), 250, np.uint8) + np.random.default_rng(1).integers(0, 3, (100, 200, 3),
                                                                                             dtype=np.uint8))
    assert not is_blank(media_factory.slide_image("Hi", ["x"]))
    assert prepare_for_ocr(np.zeros((360, 640, 3), np.uint8)).shape == (720, 1280, 3)
    assert prepare_for_ocr(np.zeros((1080, 1920, 3), np.uint8)).shape == (1080, 1920, 3)


@pytest.fixture(scope="module")
def engine():
    import socket

    from lecture_notes.backends.registry import create

    def no_network(*a, **k):
        raise AssertionError("RapidOCR tried to use the network")

    real = socket.socket.connect
    socket.socket.connect = no_network  # loading must be fully offline: models come from the wheel
    try:
        eng = create("ocr", "rapidocr")  # the defaults the build uses
    finally:
        socket.socket.connect = real
    yield eng
    eng.close()


@pytest.mark.slow
def test_rapidocr_reads_detected_slides(media_factory, tmp_path, engine):
    path, _ = media_factory.slide_video(tmp_path / "lecture.mp4", seconds_per_slide=6, noise_frames=(3,))
    info = media.probe(path)
    spans = detect_slides(media.iter_frames(path, fps=1.0), duration=info.duration)
    assert len(spans) == 3
    slides = read_slides(spans, engine, tmp_path / "out", full_res=lambda t: media.frame_at(path, t))
    assert [s.title for s in slides] == [t for t, _ in media_factory.SLIDES]
    for s, (_, bullets) in zip(slides, media_factory.SLIDES):
        assert s.confidence > 0.8
        squashed = s.text.replace(" ", "")
        for b in bullets:  # PP-OCR sometimes drops a space between words; the letters must all be right
            assert b.replace(" ", "") in squashed
        assert (tmp_path / "out" / s.image_path).is_file()


def test_rapidocr_options_reach_onnxruntime_and_detector():
    from lecture_notes.backends.registry import create

    eng = create("ocr", "rapidocr")
    cfg = eng._engine.cfg
    # Defaults: one onnxruntime thread (ASR has the other cores), text found on an 800 px image, lines read one
    # at a time (a batch is padded to its widest line).
    assert cfg.EngineConfig.onnxruntime.intra_op_num_threads == 1
    assert (cfg.Det.limit_type, cfg.Det.limit_side_len, cfg.Rec.rec_batch_num) == ("max", 800, 1)
    eng.close()
    cfg = create("ocr", "rapidocr", threads=0, det_side=0, rec_batch=0)._engine.cfg
    assert cfg.EngineConfig.onnxruntime.intra_op_num_threads == -1  # rapidocr's own defaults
    assert (cfg.Det.limit_type, cfg.Det.limit_side_len, cfg.Rec.rec_batch_num) == ("min", 736, 6)


@pytest.mark.slow
def test_rapidocr_lines_in_reading_order(media_factory, engine):
    img = media_factory.slide_image("Two Columns", ["left item"], size=(960, 540))
    Image.fromarray(img)  # sanity: a valid image
    lines = engine.read(img)
    assert [ln.text for ln in lines][:2] == ["Two Columns", "- left item"]
    assert lines[0].height > 1.4 * lines[1].height and lines[0].box[1] < lines[1].box[1]
    assert all(0.5 <= ln.confidence <= 1.0 for ln in lines)
    assert engine.read(np.full((200, 300, 3), 255, np.uint8)) == []
    engine.close()
    engine.close()  # safe twice
