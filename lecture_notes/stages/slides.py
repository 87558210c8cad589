"""Slide-change detection on sampled frames, and title/text splitting of OCR lines.

How `detect_slides` decides (streaming: it holds only a few frames at a time):

* Each frame becomes a small grayscale grid of cell means (48 cells wide, aspect kept); box-averaging
  many pixels per cell is the blur that removes sensor grain and compression noise.
* A cell has *changed* when its difference exceeds a threshold adaptive to the noise level: median plus
  6 robust sigmas (1.4826 * MAD) of recent consecutive cell differences, never below 6 grey levels.
* Cells that change in most consecutive frames (a webcam overlay, a talking head, a video clip) are
  learnt as *dynamic* and ignored, so motion there never makes slides.
* A frame differs from the current slide when at least ``min_change`` of the other cells changed
  (a moving mouse pointer touches a handful of cells and does not count). A new state must then stay
  the same for ``min_stable`` seconds; single noisy frames, fades and pointer motion are transient and
  are dropped.
* Builds (bullets appearing one by one) are merged into one slide: when every changed cell was blank
  in the current slide, content was only *added*, so the slide is extended, not split. The keyframe is
  then the fullest (last) state, which is what OCR should read. Pass ``merge_builds=False`` to split.
* Keyframe: among frames of the final state of a slide, the one with the highest sharpness-to-noise
  ratio, later frames winning near-ties.
* Footage with motion nearly everywhere (camera video, a talking head) yields no slides at all.
"""
from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from lecture_notes.core.cachekey import backend_key, code_hash, make_key
from lecture_notes.core.layout import line_height, text_rows
from lecture_notes.core.types import Frame, OcrLine, SlideSpan

log = logging.getLogger(__name__)

_SUB = 4  # sub-cells per cell side used for the texture (blank vs content) measure
_MIN_THR = 6.0  # grey levels; below this a cell difference is never a change
_TEX_BLANK = 10.0  # per-cell std (grey levels) below which a cell is blank background
_DYNAMIC = 0.4  # cells changing in more than this share of consecutive frames are ignored
_ACT_ALPHA = 0.1  # EMA rate of the per-cell activity estimate
_MOTION_VIDEO = 0.5  # mean share of dynamic cells above which a video is footage, not slides


class PackedImage:
    """A keyframe kept PNG-compressed (lossless, ~10x smaller for slides) until it is read: a 3-hour lecture
    has hundreds of slides, and raw 640 px keyframes would make memory grow with its length.

    Behaves as the HxWx3 uint8 array it holds for ``np.asarray``, ``.astype`` and ``.shape``.
    """

    __slots__ = ("_png", "shape")

    def __init__(self, image: np.ndarray) -> None:
        import io

        arr = np.ascontiguousarray(np.asarray(image, dtype=np.uint8))
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "PNG", compress_level=1)
        self._png = buf.getvalue()
        self.shape = arr.shape

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        import io

        arr = np.asarray(Image.open(io.BytesIO(self._png)))
        return arr if dtype is None else arr.astype(dtype)

    def astype(self, dtype) -> np.ndarray:
        return np.asarray(self).astype(dtype)

    @property
    def nbytes(self) -> int:
        return len(self._png)


def _pack(f: "_Feat") -> None:
    if isinstance(f.image, np.ndarray) and f.image.ndim == 3:
        f.image = PackedImage(f.image)


@dataclass
class _Feat:
    t: float
    grid: np.ndarray  # (gh*4, gw*4) sub-cell means; compared per cell as the mean absolute sub-cell difference
    tex: np.ndarray  # (gh, gw) per-cell std of sub-cells: ~0 on blank background
    quality: float
    image: np.ndarray


@dataclass
class _Seg:
    start: float
    ref: np.ndarray
    tex: np.ndarray
    key: _Feat
    builds: int = 0
    frames: int = 1
    recent: deque = field(default_factory=lambda: deque(maxlen=3))

    def absorb(self, f: _Feat) -> None:
        # The reference is the per-cell median of the last three frames of this slide: it follows slow
        # drift, and a pointer or a noise burst seen in one frame never enters it.
        if not self.recent:
            self.recent.append(self.ref)
        self.recent.append(f.grid)
        self.ref = np.median(np.stack(self.recent), axis=0) if len(self.recent) >= 3 else f.grid
        self.tex = np.minimum(self.tex, f.tex)  # min ignores noise frames and the moving pointer
        self.frames += 1
        if f.quality >= 0.97 * self.key.quality:
            self.key = f


def _block_any(mask: np.ndarray, block: int = 3) -> np.ndarray:
    """Spread each change to its whole ``block`` x ``block`` cell neighbourhood, so a moving speaker is
    learnt as one dynamic region even though each individual cell changes only now and then."""
    h, w = mask.shape
    ph, pw = -h % block, -w % block
    m = np.pad(mask, ((0, ph), (0, pw)))
    blocks = m.reshape((h + ph) // block, block, (w + pw) // block, block).any(axis=(1, 3))
    return np.repeat(np.repeat(blocks, block, axis=0), block, axis=1)[:h, :w].astype(np.float32)


def _blob_filter(chg: np.ndarray, max_small: int = 4, max_small_blobs: int = 2) -> np.ndarray:
    """Drop pointer-sized blobs (<= ``max_small`` cells) unless there are more than ``max_small_blobs``
    of them: a parked pointer shows up as at most two (old and new place), edited text as many."""
    if not chg.any():
        return chg
    h, w = chg.shape
    seen = np.zeros_like(chg)
    small: List[List[Tuple[int, int]]] = []
    for y0, x0 in zip(*np.nonzero(chg)):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        stack, blob = [(y0, x0)], []
        while stack:
            y, x = stack.pop()
            blob.append((y, x))
            for yy in range(max(0, y - 1), min(h, y + 2)):
                for xx in range(max(0, x - 1), min(w, x + 2)):
                    if chg[yy, xx] and not seen[yy, xx]:
                        seen[yy, xx] = True
                        stack.append((yy, xx))
        if len(blob) <= max_small:
            small.append(blob)
    if 0 < len(small) <= max_small_blobs:
        chg = chg.copy()
        for blob in small:
            for y, x in blob:
                chg[y, x] = False
    return chg


def _features(img: np.ndarray, gw: int) -> _Feat:
    h, w = img.shape[:2]
    gh = max(4, int(round(gw * h / float(w))))
    rgb = img[..., :3].astype(np.float32)
    gray = rgb[..., 0] * 0.299 + rgb[..., 1] * 0.587 + rgb[..., 2] * 0.114
    sub = np.asarray(Image.fromarray(gray).resize((gw * _SUB, gh * _SUB), Image.BOX), dtype=np.float32)
    tex = sub.reshape(gh, _SUB, gw, _SUB).std(axis=(1, 3))
    return _Feat(0.0, sub, tex, _quality(gray), img)


def _cell_diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-cell mean absolute difference of sub-cells: sees changed glyph shapes, not just ink amount."""
    h, w = a.shape
    return np.abs(a - b).reshape(h // _SUB, _SUB, w // _SUB, _SUB).mean(axis=(1, 3))


def _quality(gray: np.ndarray) -> float:
    """Edge strength over noise: high for a crisp clean frame, low for blurred or noisy ones. Measured on every
    other pixel of frames over 400 px wide (the sampled 640 px frames): it only ranks frames of one video, and
    the partial sorts over all pixels were most of the detection's CPU."""
    g = gray[::2, ::2] if gray.shape[1] > 400 else gray
    gx = np.abs(np.diff(g, axis=1))
    sharp = float(np.mean(np.partition(gx.ravel(), -max(1, gx.size // 100))[-max(1, gx.size // 100):]))
    lap = (4 * g[1:-1, 1:-1] - g[:-2, 1:-1] - g[2:, 1:-1] - g[1:-1, :-2] - g[1:-1, 2:])[::2, ::2]
    noise = 1.4826 * float(np.median(np.abs(lap)))
    return sharp / (1.0 + noise)


class _Detector:
    def __init__(self, *, min_stable: float, min_change: float, merge_builds: bool, grid_width: int):
        self.min_stable = min_stable
        self.min_change = min_change
        self.merge_builds = merge_builds
        self.gw = grid_width
        self.pool: deque = deque(maxlen=30)
        self.activity: Optional[np.ndarray] = None
        self.ever_dynamic: Optional[np.ndarray] = None
        self.prev: Optional[_Feat] = None
        self.thr = _MIN_THR
        self.cur: Optional[_Seg] = None
        self.done: List[_Seg] = []
        self.pending: List[_Feat] = []
        self.outliers: List[_Feat] = []
        self.steps: List[float] = []
        self.dynamic_share: List[float] = []

    def _update_noise(self, f: _Feat) -> None:
        if self.prev is None or self.prev.grid.shape != f.grid.shape:
            self.activity = np.zeros_like(f.tex)
            return
        cons = _cell_diff(f.grid, self.prev.grid)
        self.pool.append(cons.ravel())
        vals = np.concatenate(self.pool)
        med = float(np.median(vals))
        mad = float(np.median(np.abs(vals - med)))
        self.thr = max(_MIN_THR, med + 6.0 * 1.4826 * mad)
        self.activity = (1 - _ACT_ALPHA) * self.activity + _ACT_ALPHA * _block_any(cons > self.thr)
        self.ever_dynamic = (self.activity > _DYNAMIC) if self.ever_dynamic is None or \
            self.ever_dynamic.shape != cons.shape else self.ever_dynamic | (self.activity > _DYNAMIC)
        self.steps.append(f.t - self.prev.t)
        self.dynamic_share.append(float(np.mean(self.activity > _DYNAMIC)))

    def _changed(self, a: np.ndarray, b: np.ndarray) -> Tuple[float, np.ndarray]:
        static = self.activity < _DYNAMIC
        chg = _blob_filter((_cell_diff(a, b) > self.thr) & static)
        return float(chg.sum()) / max(1, int(static.sum())), chg

    def _interval(self) -> float:
        return float(np.median(self.steps[-30:])) if self.steps else 0.0

    def push(self, frame: Frame) -> None:
        f = _features(np.asarray(frame.image), self.gw)
        f.t = float(frame.t)
        self._update_noise(f)
        self.prev = f
        if self.cur is None or self.cur.ref.shape != f.grid.shape:
            if self.cur is not None:
                _pack(self.cur.key)
                self.done.append(self.cur)
            self.cur = _Seg(0.0 if self.cur is None else f.t, f.grid.copy(), f.tex.copy(), f)
            return
        frac, _ = self._changed(self.cur.ref, f.grid)
        if frac < self.min_change:
            self.pending.clear()
            self.outliers = []
            self.cur.absorb(f)
            return
        if self.pending and self._changed(self.pending[0].grid, f.grid)[0] < self.min_change:
            self.pending.append(f)
            self.outliers = []
        else:
            # One degraded frame (a burst of noise, a blurred transition: low sharpness-to-noise) does not break
            # a stable run; any other mismatch, or a second one in a row, means the picture is still moving,
            # so the run restarts from the recent frames.
            self.outliers.append(f)
            degraded = bool(self.pending) and f.quality < 0.7 * self.pending[-1].quality
            if not self.pending or not degraded or len(self.outliers) >= 2:
                a, b = self.outliers[-2:] if len(self.outliers) >= 2 else (None, f)
                self.pending = [a, b] if a is not None and self._changed(a.grid, b.grid)[0] < self.min_change \
                    else [b]
                self.outliers = []
        if self.pending[-1].t - self.pending[0].t + self._interval() >= self.min_stable:
            self._promote()

    def _promote(self) -> None:
        run, self.pending, self.outliers = self.pending, [], []
        grids = [p.grid for p in run[-3:]]
        ref = np.median(np.stack(grids), axis=0) if len(grids) >= 3 else grids[-1]
        new = _Seg(run[0].t, ref, np.min([p.tex for p in run], axis=0), run[0], recent=deque(grids, maxlen=3))
        for p in run[1:]:
            new.key = p if p.quality >= 0.97 * new.key.quality else new.key
        new.frames = len(run)
        if self.merge_builds and self._is_build(self.cur, new):
            self.cur.ref, self.cur.tex, self.cur.key = new.ref, new.tex, new.key
            self.cur.builds += 1
            self.cur.frames += new.frames
            return
        _pack(self.cur.key)  # finished slides keep their keyframe compressed
        self.done.append(self.cur)
        self.cur = new

    def _is_build(self, old: _Seg, new: _Seg) -> bool:
        """True when content was only added on blank background and nothing already there changed."""
        _, chg = self._changed(old.ref, new.ref)
        if not chg.any():
            return False
        touched_content = chg & (old.tex >= _TEX_BLANK)
        gained = int((new.tex >= _TEX_BLANK).sum()) > int((old.tex >= _TEX_BLANK).sum())
        return gained and touched_content.sum() <= 0.1 * chg.sum()

    def _merge_dynamic(self, segs: List[_Seg]) -> List[_Seg]:
        """Undo splits made before a dynamic region (e.g. a webcam overlay) had been learnt."""
        if self.ever_dynamic is None or not self.ever_dynamic.any():
            return segs
        static = ~self.ever_dynamic
        out = [segs[0]]
        for s in segs[1:]:
            prev = out[-1]
            if prev.ref.shape == s.ref.shape:
                chg = _blob_filter((_cell_diff(prev.ref, s.ref) > self.thr) & static)
                if chg.sum() < self.min_change * max(1, int(static.sum())):
                    prev.ref, prev.tex, prev.key = s.ref, s.tex, s.key
                    prev.frames += s.frames
                    continue
            out.append(s)
        return out

    def finish(self, duration: float) -> List[SlideSpan]:
        if self.cur is None:
            return []
        segs = self._merge_dynamic(self.done + [self.cur])
        motion = float(np.mean(self.dynamic_share)) if self.dynamic_share else 0.0
        if motion > _MOTION_VIDEO:
            log.info("video is mostly motion (%.0f%% dynamic cells); no slides detected", 100 * motion)
            return []
        end_all = max(duration, segs[-1].key.t)
        spans = []
        for i, s in enumerate(segs):
            end = segs[i + 1].start if i + 1 < len(segs) else end_all
            if end > s.start:
                spans.append(SlideSpan(start=s.start, end=end, keyframe=s.key.image, keyframe_t=s.key.t))
        log.info("%d slides (%d builds merged), noise threshold %.1f, dynamic cells %.0f%%", len(spans),
                 sum(s.builds for s in segs), self.thr, 100 * motion)
        return spans


def detect_slides(frames: Iterable[Frame], *, duration: float, min_stable: float = 3.0,
                  min_change: float = 0.006, merge_builds: bool = True, grid_width: int = 48) -> List[SlideSpan]:
    """Split sampled ``frames`` into stable slides; each SlideSpan keeps one keyframe.

    ``duration`` closes the last span. ``min_stable``: seconds a new picture must stay unchanged to count
    as a slide. ``min_change``: share of (non-dynamic) grid cells that must change. ``merge_builds``:
    treat purely additive changes (bullets appearing) as the same slide. Frames are consumed once.
    """
    det = _Detector(min_stable=min_stable, min_change=min_change, merge_builds=merge_builds,
                    grid_width=grid_width)
    for fr in frames:
        det.push(fr)
    return det.finish(duration)


def split_title(lines: Sequence[OcrLine]) -> Tuple[str, str, float]:
    """(title, text, confidence) from OCR lines of one slide.

    Title: the top-most line(s) set in a clearly larger font than the body (box height >= 1.25x the
    median line height) within the upper half of the text block; consecutive title-sized lines at the top
    join (two-line titles). With all lines the same size, the first line is the title only when it sits
    apart above the rest. Text: all lines in reading order, one row per line, pieces of a row joined by
    spaces. Confidence: mean OCR confidence (0 if none).
    """
    lines = [ln for ln in lines if ln.text.strip()]
    if not lines:
        return "", "", 0.0
    rows = text_rows(lines)
    ordered = [ln for row in rows for ln in row]
    text = "\n".join(" ".join(ln.text.strip() for ln in row) for row in rows)
    conf = float(np.mean([ln.confidence for ln in ordered]))
    heights = [line_height(ln) for ln in ordered]
    med = float(np.median(heights))
    top = min(ln.box[1] for ln in ordered)
    bottom = max(ln.box[3] for ln in ordered)
    mid = top + 0.5 * (bottom - top)
    title_lines: List[OcrLine] = []
    if len(ordered) == 1:
        title_lines = [ordered[0]]
    else:
        for ln, h in zip(ordered, heights):
            if h >= 1.25 * med and ln.box[1] <= mid:
                if title_lines and ln.box[1] - title_lines[-1].box[3] > 1.5 * h:
                    break  # a second big block further down is not part of the title
                title_lines.append(ln)
            elif title_lines:
                break
        if not title_lines:
            first, second = ordered[0], ordered[1]
            gap = second.box[1] - first.box[3]
            if gap > 1.2 * med:
                title_lines = [first]
    title = " ".join(ln.text.strip() for ln in title_lines)
    return title, text, conf


# The slides cache entry holds the result of frames -> slide spans -> OCR -> (optional) slide descriptions.
_CODE = ("lecture_notes.stages.media", "lecture_notes.stages.keyframes", "lecture_notes.stages.slides",
         "lecture_notes.stages.ocr", "lecture_notes.stages.vision", "lecture_notes.core.layout")


def cache_key(sha: str, *, frame_rate: float, frame_max_side: int, ocr: Any, ocr_options: Dict[str, Any],
              vision: Any = None, vision_options: Optional[Dict[str, Any]] = None) -> str:
    """Key of the slides stage: the input, the frame sampling, and the OCR and vision backends actually used
    (``registry.BackendInfo``; ``vision`` None when slides are not described), their options and code."""
    return make_key("slides", code_hash(*_CODE), sha, frame_rate, frame_max_side, backend_key(ocr), ocr_options,
                    backend_key(vision), vision_options or {})
