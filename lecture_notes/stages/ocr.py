"""Read the text of each detected slide and save its keyframe as a JPEG beside the notes."""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable, List, Optional, Sequence

import numpy as np
from PIL import Image

from lecture_notes.backends.base import OcrEngine
from lecture_notes.core.errors import OutputError
from lecture_notes.stages.slides import split_title
from lecture_notes.core.types import Slide, SlideSpan

log = logging.getLogger(__name__)

SLIDE_DIR = "slides"
_OCR_MIN_SHORT_SIDE = 720  # small keyframes are upscaled to this before OCR (recognition needs ~20 px glyphs)
_OCR_MAX_LONG_SIDE = 2000


def slide_filename(n: int) -> str:
    """Relative path of the n-th (1-based) saved slide image."""
    return f"{SLIDE_DIR}/slide-{n:03d}.jpg"


def is_blank(image: np.ndarray) -> bool:
    """True for a visually empty frame (a plain colour, black or white screen) with no edges to read."""
    img = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("L")
    img.thumbnail((320, 320))
    g = np.asarray(img, dtype=np.float32)
    edges = np.abs(np.diff(g, axis=1))
    return float(g.std()) < 6.0 and float(np.percentile(edges, 99.5)) < 25.0


def prepare_for_ocr(image: np.ndarray) -> np.ndarray:
    """Upscale small frames (short side below 720 px) with Lanczos; cap huge ones at 2000 px."""
    arr = np.asarray(image, dtype=np.uint8)[..., :3]
    h, w = arr.shape[:2]
    scale = 1.0
    if min(h, w) < _OCR_MIN_SHORT_SIDE:
        scale = _OCR_MIN_SHORT_SIDE / float(min(h, w))
    scale = min(scale, _OCR_MAX_LONG_SIDE / float(max(h, w)))
    if abs(scale - 1.0) < 0.05:
        return arr
    size = (max(1, int(round(w * scale))), max(1, int(round(h * scale))))
    return np.asarray(Image.fromarray(arr).resize(size, Image.LANCZOS))


class _SeenSlides:
    """OCR results of the slides read so far, keyed by a 320 px grey thumbnail: a lecture that returns to an
    earlier slide (an outline, a recap) gets its text again without a second OCR pass.

    Two pictures are the same slide when their thumbnails (box-averaged, so compression noise cancels) differ by
    more than 24 grey levels in at most 2 pixels and by under 3 on average: one changed character of body text
    changes several. Doubt costs only a second OCR pass. A 16 x 9 summary is compared first, so a long lecture does not compare every pair
    in full."""

    def __init__(self) -> None:
        self._seen: List[tuple] = []

    @staticmethod
    def _thumbs(image: np.ndarray) -> tuple:
        img = Image.fromarray(np.asarray(image, dtype=np.uint8)[..., :3]).convert("L")
        w, h = img.size
        fine = np.asarray(img.resize((320, max(1, round(320 * h / w))), Image.BOX), dtype=np.int16)
        coarse = np.asarray(img.resize((16, 9), Image.BOX), dtype=np.float32)
        return image.shape, coarse, fine

    def lookup(self, image: np.ndarray) -> tuple:
        """(thumbnails of ``image``, the lines read from an earlier identical picture or None)."""
        key = self._thumbs(image)
        shape, coarse, fine = key
        for (s, c, f), lines in self._seen:
            if s == shape and float(np.abs(c - coarse).max()) < 8.0:
                d = np.abs(f - fine)
                if int((d > 24).sum()) <= 2 and float(d.mean()) < 3.0:
                    return key, lines
        return key, None

    def add(self, key: tuple, lines: List) -> None:
        self._seen.append((key, lines))


def save_keyframe(image: np.ndarray, path: Path, *, max_width: int = 1280, quality: int = 85) -> Path:
    """Write ``image`` as a JPEG no wider than ``max_width``."""
    img = Image.fromarray(np.asarray(image, dtype=np.uint8)[..., :3])
    if img.width > max_width:
        img = img.resize((max_width, max(1, round(img.height * max_width / img.width))), Image.LANCZOS)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        img.save(path, "JPEG", quality=quality, optimize=True)
    except OSError as exc:
        raise OutputError(f"cannot write slide image {path} ({exc.strerror or exc}); choose a writable "
                          f"output folder with --out") from exc
    return path


def read_slides(spans: Sequence[SlideSpan], engine: OcrEngine, image_root: Path, *,
                progress: Optional[Callable[[int, int], None]] = None,
                full_res: Optional[Callable[[float], np.ndarray]] = None,
                max_width: int = 1280, quality: int = 85) -> List[Slide]:
    """OCR every span's keyframe, save it to ``image_root/slides/slide-NNN.jpg`` and return Slides.

    ``full_res(t)``, when given (e.g. ``lambda t: media.frame_at(path, t)``), re-decodes the keyframe at
    full resolution for sharper OCR and images; on failure the sampled keyframe is used. Slides with no
    text are kept unless the frame is visually blank. A slide shown again later is not read twice (its
    earlier text is reused). ``progress(done, total)`` is called per slide.
    Numbering of saved images is consecutive over the kept slides.
    """
    image_root = Path(image_root)
    out: List[Slide] = []
    seen = _SeenSlides()
    total = len(spans)
    for i, span in enumerate(spans):
        image = np.asarray(span.keyframe)
        if full_res is not None:
            try:
                image = np.asarray(full_res(span.keyframe_t))
            except Exception as exc:  # a sampled keyframe is still a usable image
                log.warning("full-resolution decode at %.1f s failed (%s); using the sampled frame",
                            span.keyframe_t, exc)
        key, lines = seen.lookup(image)
        if lines is None:
            lines = engine.read(prepare_for_ocr(image))
            seen.add(key, lines)
        else:
            log.info("slide at %.1f s shows an earlier slide again; its text was read once", span.start)
        title, text, conf = split_title(lines)
        if not text and is_blank(image):
            log.info("dropping blank slide at %.1f-%.1f s", span.start, span.end)
        else:
            rel = slide_filename(len(out) + 1)
            save_keyframe(image, image_root / rel, max_width=max_width, quality=quality)
            out.append(Slide(start=float(span.start), end=float(span.end), image_path=rel, text=text,
                             title=title, confidence=conf))
        if progress is not None:
            progress(i + 1, total)
    return out
