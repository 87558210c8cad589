"""Media decoding: probe inputs, decode audio to 16 kHz mono float32, sample video frames.

PyAV does probing and audio; frames are sampled at reduced resolution by `keyframes` (decord's frame index,
PyAV keyframe decoding), with a PyAV seek-and-decode fallback for files decord cannot open. Every user-facing
failure is an InputError whose one-line message says how to fix it.
"""
from __future__ import annotations

import logging
import math
import os
from pathlib import Path
from typing import Iterator, List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.core.config import MEDIA_EXTS
from lecture_notes.core.errors import InputError
from lecture_notes.core.types import Frame, MediaInfo
from lecture_notes.stages.keyframes import _iter_decord, _video_stream, iter_adaptive

log = logging.getLogger(__name__)

_SEEK_GAP = 4.0  # PyAV fallback: seek instead of decoding forward when the next sample is this far ahead


def _check_file(path: Path) -> None:
    """Cheap filesystem checks before any decoder sees the file."""
    if not path.exists():
        raise InputError(f"input file not found: {path}; check the path (and quoting of spaces)")
    if path.is_dir():
        raise InputError(f"input {path} is a folder, not a media file; give a video or audio file inside it")
    if path.suffix.lower() not in MEDIA_EXTS:
        raise InputError(f"unsupported file type {path.suffix or '(no extension)'!r} for {path.name}; "
                         f"use one of {' '.join(MEDIA_EXTS)} (convert with e.g. ffmpeg -i IN out.mp4), or a "
                         f"transcript alone: .srt .vtt .json")
    if not os.access(path, os.R_OK):
        raise InputError(f"cannot read {path}: permission denied; fix with chmod +r or copy the file")
    if path.stat().st_size == 0:
        raise InputError(f"input file {path} is empty (0 bytes); re-download or re-export the recording")


def _open(path: Path):
    import av

    try:
        return av.open(str(path), metadata_errors="ignore")
    except PermissionError as exc:
        raise InputError(f"cannot read {path}: permission denied; fix with chmod +r or copy the file") from exc
    except (av.error.FFmpegError, OSError, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path.name} is not a readable media file ({reason}); check the file is complete, "
                         f"or re-encode it with ffmpeg -i IN out.mp4") from exc


def _duration(container) -> float:
    import av

    if container.duration is not None and container.duration > 0:
        return float(container.duration) / av.time_base
    best = 0.0
    for s in container.streams:
        if s.duration is not None and s.time_base is not None:
            best = max(best, float(s.duration * s.time_base))
    return best


def probe(path) -> MediaInfo:
    """Inspect ``path``: duration and audio/video streams. Raises InputError with the fix for bad inputs."""
    path = Path(path)
    _check_file(path)
    with _open(path) as container:
        vs = _video_stream(container)
        aus = container.streams.audio[0] if container.streams.audio else None
        if vs is None and aus is None:
            raise InputError(f"{path.name} has no audio or video stream; give a lecture recording "
                             f"(e.g. .mp4 or .mp3)")
        duration = _duration(container)
        if not duration or duration <= 0 or not math.isfinite(duration):
            raise InputError(f"{path.name} has zero duration; the recording is empty or truncated, "
                             f"re-export it")
        fps = None
        if vs is not None and vs.average_rate:
            fps = float(vs.average_rate)
        return MediaInfo(
            path=path,
            duration=duration,
            has_audio=aus is not None,
            has_video=vs is not None,
            width=vs.codec_context.width if vs is not None else None,
            height=vs.codec_context.height if vs is not None else None,
            fps=fps,
            audio_codec=aus.codec_context.name if aus is not None else None,
            video_codec=vs.codec_context.name if vs is not None else None,
            title=_title_tag(container),
        )


def _title_tag(container) -> Optional[str]:
    meta = {str(k).lower(): str(v) for k, v in (container.metadata or {}).items()}
    title = " ".join(meta.get("title", "").split())
    return title[:200] or None


def _target_size(width: int, height: int, max_side: int) -> Tuple[int, int]:
    """Even-sized (w, h) no larger than ``max_side`` on the long side, same aspect ratio."""
    scale = min(1.0, max_side / float(max(width, height)))
    w = max(2, int(round(width * scale / 2)) * 2)
    h = max(2, int(round(height * scale / 2)) * 2)
    return w, h


def _sample_times(duration: float, fps: float) -> List[float]:
    """Clock-like sample times 0, 1/fps, 2/fps, ... strictly before ``duration``."""
    step = 1.0 / fps
    return [i * step for i in range(max(1, int(math.ceil(duration / step - 1e-9))))]


def iter_frames(path, fps: float = 0.5, max_side: int = 640, adaptive: bool = True) -> Iterator[Frame]:
    """Yield Frame(t, HxWx3 uint8 RGB) every ``1/fps`` seconds, decoded at reduced resolution.

    Uses decord (batched, scaled in the decoder) and falls back to PyAV seeking when decord cannot open
    the file. Audio-only inputs yield nothing. With ``adaptive`` (default), only keyframes are decoded
    where consecutive keyframes show the same picture; see `keyframes.iter_adaptive`.
    """
    info = probe(path)
    if not info.has_video:
        log.info("%s has no video stream; no frames to sample", Path(path).name)
        return
    if fps <= 0:
        raise ValueError("fps must be positive")
    size = _target_size(info.width or max_side, info.height or max_side, max_side)
    times = _sample_times(info.duration, fps)
    try:
        reader = _open_decord(Path(path), size)
    except Exception as exc:  # decord raises bare DECORDError/RuntimeError for files it cannot handle
        log.info("decord could not open %s (%s); using PyAV seeking", Path(path).name, exc)
        reader = None
    if reader is not None:
        name = Path(path).name
        if adaptive:
            yield from iter_adaptive(reader, times, name, Path(path), size)
        else:
            yield from _iter_decord(reader, times, name)
    else:
        yield from _iter_pyav(Path(path), times, size)


_DECORD_QUIET = False


def _open_decord(path: Path, size: Tuple[int, int]):
    import decord

    global _DECORD_QUIET
    if not _DECORD_QUIET:
        # decord's bundled FFmpeg prints to stderr ("[h264 @ 0x...] Invalid NAL unit size", "[buffer @ ...]
        # Unable to parse option value"); its failures reach the user through our own messages instead.
        decord.logging.set_level(decord.logging.QUIET)
        _DECORD_QUIET = True
    return decord.VideoReader(str(path), ctx=decord.cpu(0), width=size[0], height=size[1],
                              num_threads=min(2, os.cpu_count() or 1))


def _iter_pyav(path: Path, times: Sequence[float], size: Tuple[int, int]) -> Iterator[Frame]:
    import av

    with _open(path) as container:
        vs = _video_stream(container)
        vs.thread_type = "AUTO"
        pos = -math.inf  # time of the last decoded frame
        frames = None
        for t in times:
            if frames is None or t - pos > _SEEK_GAP:
                container.seek(int(t / vs.time_base) if vs.time_base else int(t * av.time_base),
                               stream=vs, backward=True, any_frame=False)
                frames = container.decode(vs)
            got = None
            try:
                for fr in frames:
                    pos = float(fr.time) if fr.time is not None else pos
                    got = fr
                    if pos >= t - 1e-3:
                        break
            except av.error.FFmpegError as exc:
                log.warning("video decoding of %s stopped at %.1f s: %s", path.name, pos, exc)
                return
            if got is None:
                return
            yield Frame(max(pos, 0.0), got.to_ndarray(width=size[0], height=size[1], format="rgb24"))


def frame_at(path, t: float, max_side: int = 1920) -> np.ndarray:
    """Decode the frame shown at time ``t`` at up to ``max_side`` pixels (full resolution for OCR)."""
    info = probe(path)
    if not info.has_video:
        raise InputError(f"{Path(path).name} has no video stream; slide images need a video input")
    size = _target_size(info.width or max_side, info.height or max_side, max_side)
    for fr in _iter_pyav(Path(path), [max(0.0, min(t, info.duration))], size):
        return fr.image
    raise InputError(f"cannot decode a frame at {t:.1f} s of {Path(path).name}; re-encode the video "
                     f"with ffmpeg -i IN out.mp4")
