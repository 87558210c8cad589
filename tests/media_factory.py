"""Tiny synthetic media for tests: slide videos (with noise frames and a moving cursor), static and
camera-like videos, tone audio files. Everything is generated with PyAV + PIL in a few hundred ms."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import av
import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")

SLIDES = [
    ("Gradient Descent", ["Minimise the loss function", "Step against the gradient", "Learning rate sets the step"]),
    ("Backpropagation", ["Chain rule through layers", "Reuse stored activations", "Cost is one backward pass"]),
    ("Regularisation", ["Weight decay shrinks weights", "Dropout removes random units",
                        "Early stopping on validation"]),
]


def font(size: int, bold: bool = False):
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    try:
        return ImageFont.truetype(str(FONT_DIR / name), size)
    except OSError:
        return ImageFont.load_default(size=size)


def slide_image(title: str, bullets: Sequence[str], size=(640, 360), n_bullets: Optional[int] = None,
                bg=(255, 255, 255)) -> np.ndarray:
    """Render a slide: big bold title at the top, bullets below; HxWx3 uint8 RGB."""
    w, h = size
    img = Image.new("RGB", size, bg)
    d = ImageDraw.Draw(img)
    d.text((int(w * 0.06), int(h * 0.07)), title, font=font(int(h * 0.10), bold=True), fill=(10, 10, 60))
    for i, b in enumerate(list(bullets)[:n_bullets]):
        d.text((int(w * 0.09), int(h * (0.32 + 0.13 * i))), "- " + b, font=font(int(h * 0.055)), fill=(20, 20, 20))
    return np.asarray(img).copy()


def write_video(path: Path, frames: Sequence[np.ndarray], fps: int = 2, audio: Optional[np.ndarray] = None,
                audio_rate: int = 16000, codec: str = "libx264") -> Path:
    """Encode RGB frames (all the same size) to ``path``; optional mono float32 audio track (AAC)."""
    path = Path(path)
    h, w = frames[0].shape[:2]
    with av.open(str(path), "w") as out:
        vs = out.add_stream(codec, rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        if codec == "libx264":
            vs.options = {"preset": "ultrafast", "g": str(fps * 4)}
        ast = None
        if audio is not None:
            ast = out.add_stream("aac", rate=audio_rate)
            ast.layout = "mono"
        for img in frames:
            for pkt in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(img), format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if ast is not None:
            _encode_audio(out, ast, audio, audio_rate)
    return path


def _encode_audio(out, stream, audio: np.ndarray, rate: int) -> None:
    step = 1024
    pts = 0
    for i in range(0, len(audio), step):
        chunk = np.ascontiguousarray(audio[i:i + step].astype(np.float32).reshape(1, -1))
        fr = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
        fr.sample_rate = rate
        fr.pts = pts
        fr.time_base = Fraction(1, rate)
        pts += chunk.shape[1]
        for pkt in stream.encode(fr):
            out.mux(pkt)
    for pkt in stream.encode(None):
        out.mux(pkt)


def tone(seconds: float, rate: int = 16000, freq: float = 440.0) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    return (0.3 * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def write_audio(path: Path, audio: np.ndarray, rate: int = 16000) -> Path:
    """Write mono audio; the codec follows the extension (.wav PCM, .m4a AAC, .mp3 MP3)."""
    path = Path(path)
    ext = path.suffix.lower()
    codec = {".wav": "pcm_s16le", ".m4a": "aac", ".mp3": "libmp3lame", ".flac": "flac"}[ext]
    fmt = {".wav": "s16", ".m4a": "fltp", ".mp3": "fltp", ".flac": "s16"}[ext]
    with av.open(str(path), "w") as out:
        st = out.add_stream(codec, rate=rate)
        st.layout = "mono"
        step = 1152 if ext == ".mp3" else 1024
        pts = 0
        for i in range(0, len(audio), step):
            chunk = audio[i:i + step]
            if fmt == "s16":
                arr = (np.clip(chunk, -1, 1) * 32767).astype(np.int16).reshape(1, -1)
            else:
                arr = chunk.astype(np.float32).reshape(1, -1)
            fr = av.AudioFrame.from_ndarray(np.ascontiguousarray(arr), format=fmt, layout="mono")
            fr.sample_rate = rate
            fr.pts = pts
            fr.time_base = Fraction(1, rate)
            pts += arr.shape[1]
            for pkt in st.encode(fr):
                out.mux(pkt)
        for pkt in st.encode(None):
            out.mux(pkt)
    return path


def slide_video(path: Path, seconds_per_slide: float = 10.0, fps: int = 2, size=(640, 360),
                noise_frames: Sequence[int] = (), cursor: bool = True, builds: bool = False,
                audio: bool = False, slides=SLIDES, grain: float = 3.0, seed: int = 0) -> Tuple[Path, List[float]]:
    """A lecture-like video: one slide every ``seconds_per_slide``. Returns (path, true change times).

    ``noise_frames`` get heavy Gaussian noise (sd 40); ``cursor`` adds a moving pointer square; ``grain``
    is light per-frame sensor noise; ``builds`` reveals bullets one by one within each slide.
    """
    rng = np.random.default_rng(seed)
    per = int(round(seconds_per_slide * fps))
    frames = []
    cache = {}
    for si, (title, bullets) in enumerate(slides):
        for k in range(per):
            n_b = None
            if builds:
                n_b = min(len(bullets), 1 + k * len(bullets) // per)
            if (si, n_b) not in cache:
                cache[(si, n_b)] = slide_image(title, bullets, size, n_bullets=n_b).astype(np.float32)
            img = cache[(si, n_b)].copy()
            if grain:
                img += rng.normal(0, grain, img.shape)
            if cursor:
                x = int((0.2 + 0.6 * ((k * 7) % per) / per) * size[0])
                y = int((0.3 + 0.5 * ((k * 3) % per) / per) * size[1])
                img[y:y + 12, x:x + 12] = (200, 0, 0)
            if len(frames) in noise_frames:
                img += rng.normal(0, 40, img.shape)
            frames.append(np.clip(img, 0, 255).astype(np.uint8))
    total = len(frames) / fps
    sound = tone(total) if audio else None
    write_video(path, frames, fps=fps, audio=sound)
    return Path(path), [i * seconds_per_slide for i in range(1, len(slides))]


def static_video(path: Path, seconds: float = 20.0, fps: int = 2, size=(640, 360), grain: float = 4.0,
                 seed: int = 1) -> Path:
    """One unchanging slide with sensor grain for the whole video."""
    rng = np.random.default_rng(seed)
    base = slide_image(*SLIDES[0], size=size).astype(np.float32)
    frames = [np.clip(base + rng.normal(0, grain, base.shape), 0, 255).astype(np.uint8)
              for _ in range(int(seconds * fps))]
    return write_video(path, frames, fps=fps)


def camera_video(path: Path, seconds: float = 40.0, fps: int = 2, size=(640, 360), seed: int = 2) -> Path:
    """Camera-like footage with no slides: a textured scene that pans, pauses, and a moving 'person'."""
    rng = np.random.default_rng(seed)
    w, h = size
    scene = np.asarray(Image.fromarray(rng.integers(0, 255, (h // 8, w // 4 + 40, 3), dtype=np.uint8))
                       .resize((w * 2 + 320, h), Image.BILINEAR), dtype=np.float32)
    frames = []
    x = 0.0
    for i in range(int(seconds * fps)):
        # Pan in bursts: moving for 3 s, then holding still for 3 s.
        if (i // (3 * fps)) % 2 == 0:
            x = min(x + 12.0, scene.shape[1] - w - 1)
        img = scene[:, int(x):int(x) + w].copy()
        px = int(w * (0.4 + 0.2 * np.sin(i * 0.9)))
        py = int(h * (0.35 + 0.1 * np.cos(i * 1.3)))
        img[py:py + h // 2, px:px + w // 8] = (180, 140, 120)  # the lecturer walking about
        img[py - h // 8:py, px + w // 40:px + w // 10] = (220, 180, 160)
        img += rng.normal(0, 6, img.shape)
        frames.append(np.clip(img, 0, 255).astype(np.uint8))
    return write_video(path, frames, fps=fps)


def talking_head_video(path: Path, seconds: float = 30.0, fps: int = 2, size=(640, 360), seed: int = 3) -> Path:
    """A speaker in front of a plain wall: head and hands move every frame, the background stays."""
    rng = np.random.default_rng(seed)
    w, h = size
    frames = []
    for i in range(int(seconds * fps)):
        img = Image.new("RGB", size, (190, 200, 210))
        d = ImageDraw.Draw(img)
        cx = w // 2 + int(25 * np.sin(i * 0.7))
        cy = h // 3 + int(8 * np.cos(i * 1.1))
        d.rectangle([cx - 90, cy + 60, cx + 90, h], fill=(40, 60, 110))  # torso
        d.ellipse([cx - 45, cy - 55, cx + 45, cy + 55], fill=(225, 185, 160))  # head
        mouth = 4 + int(10 * abs(np.sin(i * 2.3)))
        d.rectangle([cx - 18, cy + 22, cx + 18, cy + 22 + mouth], fill=(120, 40, 40))
        hx = cx + 110 + int(30 * np.sin(i * 1.9))
        d.ellipse([hx - 20, cy + 90, hx + 20, cy + 130], fill=(225, 185, 160))  # gesturing hand
        arr = np.asarray(img, dtype=np.float32) + rng.normal(0, 5, (h, w, 3))
        frames.append(np.clip(arr, 0, 255).astype(np.uint8))
    return write_video(path, frames, fps=fps)


def streamed_mp4(path: Path, seconds: int = 60, fps: int = 5, size=(640, 360), audio: bool = True,
                 seconds_per_slide: int = 10) -> Path:
    """An MP4 as a web download has it: index first (faststart), audio and video interleaved, so cutting the
    bytes short leaves a file that opens and then fails mid-way. Slides change every ``seconds_per_slide``."""
    path = Path(path)
    imgs = [slide_image(title, bullets, size) for title, bullets in SLIDES]
    sound = tone(seconds) if audio else None
    with av.open(str(path), "w", options={"movflags": "faststart"}) as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        vs.options = {"preset": "ultrafast", "g": str(fps * 4)}
        ast = None
        if sound is not None:
            ast = out.add_stream("aac", rate=16000)
            ast.layout = "mono"
        apts = 0
        for k in range(seconds * fps):
            img = imgs[(k // (fps * seconds_per_slide)) % len(imgs)].copy()
            img[0:8, (k * 3) % (size[0] - 8):(k * 3) % (size[0] - 8) + 8] = 0  # something moves: real P-frames
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
            while ast is not None and apts < (k + 1) * 16000 // fps:
                chunk = np.ascontiguousarray(sound[apts:apts + 1024].reshape(1, -1))
                fr = av.AudioFrame.from_ndarray(chunk, format="flt", layout="mono")
                fr.sample_rate, fr.pts, fr.time_base = 16000, apts, Fraction(1, 16000)
                apts += chunk.shape[1]
                for pkt in ast.encode(fr):
                    out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if ast is not None:
            for pkt in ast.encode(None):
                out.mux(pkt)
    return path


def truncate(src: Path, dst: Path, fraction: float) -> Path:
    """A half-downloaded copy: the first ``fraction`` of the bytes."""
    data = Path(src).read_bytes()
    Path(dst).write_bytes(data[:int(len(data) * fraction)])
    return Path(dst)


def vfr_video(path: Path, size=(640, 360)) -> Tuple[Path, List[float]]:
    """Variable frame rate: 25 fps for 12 s, then one frame every 2 s until 34 s (explicit pts). Slide 1 until
    12 s, slide 2 from 12 s, slide 3 from 22 s. Returns (path, slide start times)."""
    imgs = [slide_image(title, bullets, size) for title, bullets in SLIDES]
    times = [i / 25 for i in range(300)] + [12.0 + 2 * i for i in range(12)]
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=25)
        vs.width, vs.height, vs.pix_fmt = size[0], size[1], "yuv420p"
        vs.time_base = Fraction(1, 1000)
        vs.options = {"preset": "ultrafast", "g": "50"}
        for t in times:
            img = imgs[0] if t < 12 else imgs[1] if t < 22 else imgs[2]
            fr = av.VideoFrame.from_ndarray(img, format="rgb24")
            fr.pts, fr.time_base = int(round(t * 1000)), Fraction(1, 1000)
            for pkt in vs.encode(fr):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
    return Path(path), [0.0, 12.0, 22.0]
