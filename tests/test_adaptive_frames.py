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


def test_adaptive_frames_are_the_dense_frames_decoded_by_pyav_and_by_decord_when_pyav_fails(make_sample, tmp_path,
                                                                                         monkeypatch):
    import numpy as np

    from lecture_notes.stages import keyframes

    video = tmp_path / "l10.mp4"
    make_sample.make_lecture_video(video, make_sample.clip_sections(3, 2), fps=10, audio=False)
    dense = {f.t: f.image for f in media.iter_frames(video, 0.5, 320, adaptive=False)}
    decord_reads = []
    real_read = keyframes._read

    def counting_read(reader, idx, starts, name):
        decord_reads.append(list(idx))
        return real_read(reader, idx, starts, name)

    monkeypatch.setattr(keyframes, "_read", counting_read)
    fast = list(media.iter_frames(video, 0.5, 320, adaptive=True))
    assert decord_reads == []  # keyframes and the GOPs between differing keyframes all came from PyAV
    # Regular samples among the adaptive frames show the picture dense sampling shows at that time (the same
    # decoder scaling: at most rounding differences); the others are keyframes.
    sampled = [f for f in fast if f.t in dense]
    for f in sampled:
        assert np.abs(f.image.astype(int) - dense[f.t].astype(int)).mean() < 1.0, f.t
    assert len(sampled) >= 4  # the GOPs around the slide changes were sampled densely...
    assert set(dense) - {f.t for f in fast}  # ...static stretches were not
    assert [f.t for f in fast] == sorted(f.t for f in fast)

    # PyAV delivering nothing (a file it cannot decode): decord reads everything, same frames.
    monkeypatch.setattr(keyframes, "_pyav_keyframes", lambda path, size: (x for x in ()))
    monkeypatch.setattr(keyframes._PyavGops, "frames", lambda self, key_t, want: None)
    slow = list(media.iter_frames(video, 0.5, 320, adaptive=True))
    assert decord_reads and [f.t for f in slow] == [f.t for f in fast]
    for a, b in zip(slow, fast):
        assert np.abs(a.image.astype(int) - b.image.astype(int)).mean() < 1.0
