"""Coarse-to-fine frame sampling finds the same slide changes as dense sampling while decoding less."""
from pathlib import Path

from lecture_notes.stages import media


from lecture_notes.stages import slides
ROOT = Path(__file__).resolve().parents[1]


def test_adaptive_sampling_matches_dense(make_sample, tmp_path):
    video = tmp_path / "l25.mp4"
    truth = make_sample.make_lecture_video(video, make_sample.clip_sections(4, 3), fps=25, audio=False)
    dense = list(media.iter_frames(video, 0.5, 320, adaptive=False))
    sparse = list(media.iter_frames(video, 0.5, 320, adaptive=True))
    assert len(sparse) < len(dense)
    assert [f.t for f in sparse] == sorted(f.t for f in sparse)
    info = media.probe(video)
    got = [s.start for s in slides.detect_slides(iter(sparse), duration=info.duration)]
    want = [0.0] + list(truth["slide_change_times"])
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert abs(g - w) <= 2.0 + 1e-6, (got, want)
