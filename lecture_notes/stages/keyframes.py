"""Frame sampling for slide detection (used by `media.iter_frames`): decord's frame index, regular sampling, and
coarse-to-fine sampling (keyframes first, regular samples only where they differ).

Decoding every frame of an hour of 720p video costs minutes even when only 1 frame in 60 is kept, because H.264
frames depend on their predecessors; lecture videos are mostly static, so most GOPs (keyframe to keyframe) start
and end on the same slide and need nothing but their keyframe.

* Keyframes: PyAV reads the file straight through with the decoder told to skip every non-key frame, so each
  keyframe costs one intra-frame decode and no seek.
* Inside a GOP whose bounding keyframes differ (a grey 64 px thumbnail comparison, deliberately sensitive), the
  regular samples are decoded by seeking a second PyAV container to the GOP's keyframe and decoding forward.
* decord supplies the frame index (frame start times, variable frame rate safe, and keyframe positions) and
  takes over wherever PyAV does not deliver a frame at decord's time (a damaged file: decord's failure then ends
  sampling with a warning). decord's own threaded reader decodes ahead after every read, which cost more CPU
  than the frames it returned, so it only reads when PyAV cannot.

A slide that appears and disappears entirely between two identical keyframes is missed; GOPs are typically
2-10 s long.
"""
from __future__ import annotations

import logging
from bisect import bisect_left, bisect_right
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from lecture_notes.core.types import Frame

log = logging.getLogger(__name__)

_T_EPS = 1e-3  # seconds: PyAV and decord give the same frame the same time (both from the container's pts)
_BATCH = 16  # decord frames per get_batch call: bounded memory, few seeks


def _open(path: Path):
    """PyAV container of a file `media.probe` has already accepted."""
    import av

    return av.open(str(path), metadata_errors="ignore")


def _video_stream(container):
    """The first real video stream; cover art (attached pictures) in audio files does not count."""
    import av

    for s in container.streams.video:
        if not (s.disposition & av.stream.Disposition.attached_pic):
            return s
    return None


def _frame_starts(reader) -> np.ndarray:
    """Start time of every frame from the container's own timestamps (variable frame rate safe); evenly
    spaced at the average rate when the container has none."""
    n = len(reader)
    try:
        stamps = np.asarray(reader.get_frame_timestamp(list(range(n)))[:, 0], dtype=np.float64)
        if stamps.shape == (n,) and np.all(np.isfinite(stamps)) and np.all(np.diff(stamps) >= 0):
            return stamps
    except Exception:  # some containers lack per-frame timestamps
        pass
    return np.arange(n, dtype=np.float64) / float(reader.get_avg_fps() or 25.0)


def _sample_indices(starts: np.ndarray, times: Sequence[float]) -> List[int]:
    """For each sample time, the frame on screen then (the last one starting at or before it), in order and
    without repeats. Using real timestamps, not ``t * average fps``, keeps a clip that drops from 25 fps to
    0.5 fps sampled all the way through."""
    n = len(starts)
    idx: List[int] = []
    for t in times:
        i = int(np.searchsorted(starts, t + 1e-6, side="right")) - 1
        i = min(n - 1, max(0, i))
        if not idx or i > idx[-1]:
            idx.append(i)
    return idx


def _read(reader, idx: Sequence[int], starts: np.ndarray, name: str) -> Iterator[Frame]:
    """Decode frames ``idx`` in batches. A decoding error (a truncated or damaged file) ends the sequence
    with a warning: the frames read so far are still good slides."""
    for b in range(0, len(idx), _BATCH):
        try:
            batch = reader.get_batch(list(idx[b:b + _BATCH])).asnumpy()
        except Exception as exc:  # decord raises its own DECORDError (a RuntimeError) mid-file
            at = float(starts[idx[b]]) if len(starts) else 0.0
            log.warning("video decoding of %s failed at %.1f s (%s); slides after that point are missing "
                        "(the file looks truncated or damaged)", name, at, _first_line(exc))
            raise _DecodeStopped() from None
        for j, img in enumerate(batch):
            yield Frame(float(starts[idx[b + j]]), np.ascontiguousarray(img))


class _DecodeStopped(Exception):
    """Frame decoding hit a damaged part of the file; the caller stops sampling."""


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return (text[-160:] if text else type(exc).__name__)


def _iter_decord(reader, times: Sequence[float], name: str = "the video") -> Iterator[Frame]:
    starts = _frame_starts(reader)
    try:
        yield from _read(reader, _sample_indices(starts, times), starts, name)
    except _DecodeStopped:
        return


def _thumb(img: np.ndarray) -> np.ndarray:
    """Tiny grey thumbnail (about 64 px wide, block means of the channel mean) for a cheap "did anything change"
    test. PIL's box filter averages the blocks in C: numpy's reshape-and-mean of a float copy took longer than
    decoding the frame."""
    arr = np.asarray(img)
    h, w = arr.shape[:2]
    sy, sx = max(1, h // 36), max(1, w // 64)
    crop = np.ascontiguousarray(arr[: h - h % sy, : w - w % sx, :3], dtype=np.uint8)
    small = Image.fromarray(crop).resize((crop.shape[1] // sx, crop.shape[0] // sy), Image.BOX)
    return np.asarray(small, dtype=np.float32).mean(axis=2)


def _differs(a: np.ndarray, b: np.ndarray) -> bool:
    # Deliberately sensitive: a false "differs" only costs decoding one GOP; a miss loses a slide.
    d = np.abs(a - b)
    return bool((d > 3.0).mean() > 0.0005 or d.max() > 12.0)


def _pyav_keyframes(path: Path, size: Tuple[int, int]) -> Iterator[Tuple[float, np.ndarray]]:
    """(time, HxWx3 RGB at ``size``) of each keyframe in order; ends quietly at the first damaged part."""
    import av

    try:
        with _open(path) as container:
            vs = _video_stream(container)
            vs.codec_context.skip_frame = "NONKEY"
            for fr in container.decode(vs):
                if fr.time is None:
                    return
                yield float(fr.time), fr.to_ndarray(width=size[0], height=size[1], format="rgb24")
    except (av.error.FFmpegError, OSError):
        return


class _PyavGops:
    """Decodes the frames at given times inside one GOP: seek to its keyframe, decode forward."""

    def __init__(self, path: Path, size: Tuple[int, int]) -> None:
        self.path, self.size = path, size
        self.container = None

    def frames(self, key_t: float, want: Sequence[float]) -> Optional[List[Tuple[float, np.ndarray]]]:
        """The frames starting at the times ``want`` (ascending, after ``key_t``), or None when PyAV cannot
        deliver all of them."""
        import av

        try:
            if self.container is None:
                self.container = _open(self.path)
            vs = _video_stream(self.container)
            self.container.seek(int(round(key_t / vs.time_base)), stream=vs, backward=True, any_frame=False)
            out: List[Tuple[float, np.ndarray]] = []
            for fr in self.container.decode(vs):
                if fr.time is None:
                    continue
                t = float(fr.time)
                if t > want[-1] + _T_EPS:
                    break
                if abs(t - want[len(out)]) <= _T_EPS:
                    out.append((t, fr.to_ndarray(width=self.size[0], height=self.size[1], format="rgb24")))
                    if len(out) == len(want):
                        return out
        except (av.error.FFmpegError, OSError):
            pass
        return None

    def close(self) -> None:
        if self.container is not None:
            self.container.close()
            self.container = None


def iter_adaptive(reader, times: Sequence[float], name: str, path: Path, size: Tuple[int, int]) -> Iterator[Frame]:
    """Frames at the sample ``times`` (as `media.iter_frames`), decoding only keyframes where consecutive
    keyframes show the same picture. ``reader`` is the file's decord VideoReader, ``size`` the frame size."""
    n = len(reader)
    starts = _frame_starts(reader)
    try:
        keys = sorted({int(k) for k in reader.get_key_indices() if 0 <= int(k) < n})
    except Exception:  # container without an index: sample regularly
        keys = []
    samples = _sample_indices(starts, times)
    if len(keys) < 3 or len(keys) * 2 >= len(samples):
        yield from _iter_decord(reader, times, name)
        return
    fast = _pyav_keyframes(path, size)
    gops = _PyavGops(path, size)

    def keyframes() -> Iterator[Frame]:
        for g, k in enumerate(keys):
            got = next(fast, None)
            if got is None or abs(got[0] - float(starts[k])) > _T_EPS:
                yield from _read(reader, keys[g:], starts, name)
                return
            yield Frame(float(starts[k]), np.ascontiguousarray(got[1]))

    def inside(key: int, idx: List[int]) -> Iterator[Frame]:
        got = gops.frames(float(starts[key]), [float(starts[i]) for i in idx])
        if got is None:
            yield from _read(reader, idx, starts, name)
        else:
            yield from (Frame(float(starts[i]), img) for i, (_, img) in zip(idx, got))

    dense = 0
    prev: Optional[np.ndarray] = None
    try:
        for g, key_frame in enumerate(keyframes()):
            thumb = _thumb(key_frame.image)
            if prev is not None:
                # samples is ascending: the ones strictly between the two keyframes, found by bisection
                inner = samples[bisect_right(samples, keys[g - 1]):bisect_left(samples, keys[g])]
                if inner and _differs(prev, thumb):
                    dense += 1
                    yield from inside(keys[g - 1], inner)
            yield key_frame
            prev = thumb
        tail = samples[bisect_right(samples, keys[-1]):]
        if tail:
            yield from inside(keys[-1], tail)
    except _DecodeStopped:
        return
    finally:
        fast.close()
        gops.close()
    log.info("sampled %d keyframes, decoded %d of %d GOPs densely", len(keys), dense, len(keys))
