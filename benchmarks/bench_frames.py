"""Measure sampled frame decoding speed (decord vs the PyAV fallback) and slide detection.

    python benchmarks/bench_frames.py [VIDEO] [--fps 0.5] [--seconds 180]

Without VIDEO, a 720p30 H.264 clip (slides + moving cursor, keyframe every 10 s like screen recorders)
is generated in a temporary folder. Prints frames/s and the projected seconds per hour of video.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecture_notes.stages import media  # noqa: E402

from lecture_notes.stages import slides


def make_clip(path: Path, seconds: int, fps: int = 30) -> Path:
    import av
    from PIL import Image, ImageDraw, ImageFont

    w, h = 1280, 720
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 36)
    bases = []
    for s in range(max(1, seconds // 30)):
        img = Image.new("RGB", (w, h), "white")
        d = ImageDraw.Draw(img)
        d.text((80, 60), f"Slide {s + 1}: topic {s * 7 % 13}", font=font, fill="black")
        for i in range(5):
            d.text((120, 200 + 80 * i), f"- point {i} of slide {s + 1}", font=font, fill="black")
        bases.append(np.asarray(img))
    with av.open(str(path), "w") as out:
        vs = out.add_stream("libx264", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        vs.options = {"preset": "ultrafast", "g": str(fps * 10)}
        for i in range(seconds * fps):
            img = bases[min(len(bases) - 1, i // (30 * fps))].copy()
            x, y = 200 + (i * 5) % 800, 300 + (i * 3) % 300
            img[y:y + 20, x:x + 20] = (255, 0, 0)
            for pkt in vs.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
    return path


def bench(label: str, fn, duration: float) -> None:
    t0 = time.perf_counter()
    n = 0
    for _ in fn():
        n += 1
    dt = time.perf_counter() - t0
    print(f"{label:>22}: {n} frames in {dt:.2f} s = {n / dt:.1f} frames/s; "
          f"{dt / duration * 3600:.0f} s per hour of video")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("video", nargs="?")
    ap.add_argument("--fps", type=float, default=0.5)
    ap.add_argument("--seconds", type=int, default=180)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(args.video) if args.video else make_clip(Path(tmp) / "clip720.mp4", args.seconds)
        info = media.probe(path)
        print(f"{path.name}: {info.width}x{info.height} {info.fps} fps, {info.duration:.0f} s")
        times = media._sample_times(info.duration, args.fps)
        size = media._target_size(info.width, info.height, 640)
        bench("decord (iter_frames)", lambda: media.iter_frames(path, fps=args.fps), info.duration)
        bench("PyAV seek fallback", lambda: media._iter_pyav(path, times, size), info.duration)
        t0 = time.perf_counter()
        frames = list(media.iter_frames(path, fps=args.fps))
        t1 = time.perf_counter()
        spans = slides.detect_slides(frames, duration=info.duration)
        t2 = time.perf_counter()
        print(f"detect_slides: {len(spans)} slides from {len(frames)} frames in {t2 - t1:.2f} s "
              f"(decode {t1 - t0:.2f} s)")
        t0 = time.perf_counter()
        media.frame_at(path, info.duration / 2)
        print(f"frame_at (full res): {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
