"""Audio decoding: the first audio track as 16 kHz mono float32, whole or block by block (bounded memory at
any length), with a check that a truncated download says so instead of "no speech was found"."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterator, Optional, Tuple

import numpy as np

from lecture_notes.core.errors import InputError, NoAudioError
from lecture_notes.stages.media import _check_file, _duration, _open

log = logging.getLogger(__name__)


def load_audio(path, sample_rate: int = 16000) -> np.ndarray:
    """Decode the first audio track, resampled to mono float32 at ``sample_rate``.

    Decoding streams through PyAV's resampler into one growing output buffer, so memory stays near the
    size of the result (an hour at 16 kHz is 230 MB).
    """
    import av
    from av.audio.resampler import AudioResampler

    path = Path(path)
    _check_file(path)
    with _open(path) as container:
        if not container.streams.audio:
            raise NoAudioError(f"{path.name} has no audio track; give a transcript with --transcript FILE")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        expect = _duration(container)
        declared = _stream_duration(stream) or expect
        out = np.empty(int(expect * sample_rate) + sample_rate if expect > 0 else 60 * sample_rate,
                       dtype=np.float32)
        n = 0

        def put(frames) -> None:
            nonlocal out, n
            for fr in frames:
                chunk = fr.to_ndarray().reshape(-1)
                if n + chunk.size > out.size:
                    out = np.resize(out, max(out.size * 3 // 2, n + chunk.size))
                out[n:n + chunk.size] = chunk
                n += chunk.size

        resampler = AudioResampler(format="flt", layout="mono", rate=sample_rate)
        try:
            for frame in container.decode(stream):
                frame.pts = None  # let the resampler count samples; broken timestamps must not drop audio
                put(resampler.resample(frame))
            put(resampler.resample(None))
        except av.error.FFmpegError as exc:
            if n == 0:
                raise InputError(f"cannot decode the audio of {path.name} ({exc}); re-encode it with "
                                 f"ffmpeg -i IN -vn out.wav") from exc
            (log.info if declared >= 1.0 else log.warning)(
                "audio decoding of %s stopped early at %.1f s: %s", path.name, n / sample_rate, exc)
    _check_complete(path.name, n / float(sample_rate), declared)
    if n == 0:
        raise NoAudioError(f"{path.name} has an empty audio track; give a transcript with --transcript FILE")
    return out[:n].copy() if n < out.size * 0.9 else out[:n]


def iter_audio_blocks(path, block_seconds: float = 600.0, sample_rate: int = 16000,
                      search_seconds: Optional[float] = None) -> Iterator[Tuple[float, np.ndarray]]:
    """Decode the first audio track block by block: yield ``(offset_seconds, samples)`` with mono float32
    ``samples`` at ``sample_rate``, about ``block_seconds`` long, cut at the quietest half second within
    ``search_seconds`` (default: 30 s, at most a quarter block) of each target.

    Blocks are contiguous and cover the whole track: ``offset`` is exactly the number of samples yielded
    before, divided by ``sample_rate``. Only about one block (plus the search margin) is in memory at a time,
    so memory does not grow with the length of the recording. Raises like `load_audio` on a bad file.
    """
    import av
    from av.audio.resampler import AudioResampler

    path = Path(path)
    _check_file(path)
    if block_seconds <= 0:
        raise ValueError("block_seconds must be positive")
    search = min(30.0, block_seconds / 4) if search_seconds is None else float(search_seconds)
    step = max(1, int(block_seconds * sample_rate))
    margin = int(search * sample_rate)
    with _open(path) as container:
        if not container.streams.audio:
            raise NoAudioError(f"{path.name} has no audio track; give a transcript with --transcript FILE")
        stream = container.streams.audio[0]
        stream.thread_type = "AUTO"
        declared = _stream_duration(stream) or _duration(container)
        buf = np.empty(step + 2 * margin + sample_rate, dtype=np.float32)
        n = 0  # samples in buf
        done = 0  # samples yielded so far

        def decoded():
            resampler = AudioResampler(format="flt", layout="mono", rate=sample_rate)
            try:
                for frame in container.decode(stream):
                    frame.pts = None  # let the resampler count samples; broken timestamps must not drop audio
                    for fr in resampler.resample(frame):
                        yield fr.to_ndarray().reshape(-1)
                for fr in resampler.resample(None):
                    yield fr.to_ndarray().reshape(-1)
            except av.error.FFmpegError as exc:
                if done + n == 0:
                    raise InputError(f"cannot decode the audio of {path.name} ({exc}); re-encode it with "
                                     f"ffmpeg -i IN -vn out.wav") from exc
                # With a declared length, _check_complete says how much is missing; else say it here.
                (log.info if declared >= 1.0 else log.warning)(
                    "audio decoding of %s stopped early at %.1f s: %s", path.name, (done + n) / sample_rate, exc)

        for chunk in decoded():
            if n + chunk.size > buf.size:
                buf = np.resize(buf, n + chunk.size + sample_rate)
            buf[n:n + chunk.size] = chunk
            n += chunk.size
            while n >= step + margin + sample_rate // 2:
                cut = quiet_cut(buf[:n], step, margin, sample_rate)
                yield done / sample_rate, buf[:cut].copy()
                buf[:n - cut] = buf[cut:n]
                n -= cut
                done += cut
        _check_complete(path.name, (done + n) / float(sample_rate), declared)
        if n:
            yield done / sample_rate, buf[:n].copy()
        elif done == 0:
            raise NoAudioError(f"{path.name} has an empty audio track; give a transcript with --transcript FILE")


def quiet_cut(samples: np.ndarray, target: int, margin: int, sample_rate: int = 16000) -> int:
    """Sample index near ``target`` (within ``margin``) at the middle of the quietest half second."""
    win = max(1, sample_rate // 2)
    hop = max(1, sample_rate // 20)
    lo, hi = max(win, target - margin), min(len(samples) - win, target + margin)
    if hi <= lo:
        return min(max(1, target), len(samples))
    seg = samples[lo - win // 2:hi + win // 2]
    frames = len(seg) // hop
    energy = np.square(seg[:frames * hop].reshape(frames, hop), dtype=np.float64).mean(axis=1)
    k = max(1, win // hop)
    smooth = np.convolve(energy, np.ones(k) / k, mode="valid")  # smooth[i]: frames i..i+k-1
    best = int(np.argmin(smooth))
    return int(lo - win // 2 + best * hop + win // 2)


def _stream_duration(stream) -> float:
    if stream.duration is not None and stream.time_base is not None:
        return max(0.0, float(stream.duration * stream.time_base))
    return 0.0


def _check_complete(name: str, decoded: float, declared: float) -> None:
    """Compare the audio decoded with the length the container declares: a half-downloaded file must say so,
    not end in "no speech was found"."""
    if declared < 1.0 or decoded >= min(0.98 * declared, declared - 1.0):
        return
    if decoded < 0.5 * declared:
        raise InputError(f"only {decoded:.0f} s of the {declared:.0f} s audio track of {name} could be decoded; "
                         f"the file looks truncated (an unfinished download?); download or export it again")
    log.warning("only %.0f s of the %.0f s audio track of %s could be decoded (the file looks truncated); "
                "the notes cover that part only", decoded, declared, name)
