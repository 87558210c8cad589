"""OCR with RapidOCR (PP-OCR detection + recognition on onnxruntime), fully offline.

The models ship inside the ``rapidocr`` wheel (``rapidocr/models``). Every model path is passed
explicitly, so rapidocr never resolves a download URL; a missing model file is a BackendError instead
of a network call. rapidocr's own logger is turned down to errors so the library stays quiet.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from lecture_notes.core.errors import BackendError
from lecture_notes.core.layout import reading_order
from lecture_notes.core.types import OcrLine
from lecture_notes.backends.base import OcrEngine, option

log = logging.getLogger(__name__)

# File names of the models bundled in the rapidocr wheel (v3.x), tried in order.
_DET = ("PP-OCRv6_det_small.onnx", "ch_PP-OCRv5_det_mobile.onnx", "ch_PP-OCRv4_det_infer.onnx")
_REC = ("PP-OCRv6_rec_small.onnx", "ch_PP-OCRv5_rec_mobile.onnx", "ch_PP-OCRv4_rec_infer.onnx")
_CLS = ("ch_ppocr_mobile_v2.0_cls_mobile.onnx", "ch_PP-LCNet_x0_25_textline_ori_cls_mobile.onnx")


def _bundled(names, model_dir: Path) -> Optional[Path]:
    for n in names:
        p = model_dir / n
        if p.is_file():
            return p
    return None


@dataclass(frozen=True)
class RapidOcrOptions:
    """Options of the RapidOCR backend."""

    min_confidence: float = option(0.5, "drop lines recognised with less confidence (0-1)")
    use_cls: bool = option(False, "run the 180-degree text-direction classifier (slide text is upright)")
    threads: int = option(1, "onnxruntime intra-op threads (0 = its default: all cores). One thread takes the least "
                             "CPU per slide and leaves the other cores to speech recognition, which runs beside it")
    det_side: int = option(800, "long side (px) of the image text boxes are detected on; lines are still read at "
                                "full resolution (0 = rapidocr's default: short side at least 736 px)")
    rec_batch: int = option(1, "text lines recognised per onnxruntime call; a batch is padded to its widest line, "
                               "so 1 is the least CPU")
    model_dir: Optional[str] = option(None, "folder with the .onnx models (default: the ones in the rapidocr wheel)")
    det_model: Optional[str] = option(None, "detection model file")
    rec_model: Optional[str] = option(None, "recognition model file")


class RapidOcrEngine(OcrEngine):
    """Slide text via RapidOCR. ``min_confidence`` drops doubtful lines; ``use_cls`` enables the 180-degree
    text-direction classifier (off: slide text is upright, and it costs time); ``threads`` caps
    onnxruntime's intra-op threads (0 = its default); ``det_side`` is the long side of the image that text is
    detected on (slide text is large: 800 px finds it at a third of the CPU of rapidocr's 736 px short side);
    ``rec_batch`` is the number of lines recognised per call."""

    name = "rapidocr"
    Options = RapidOcrOptions
    requires = ("rapidocr", "onnxruntime")
    install = "pip install rapidocr onnxruntime"

    def __init__(self, min_confidence: float = 0.5, use_cls: bool = False, threads: int = 1,
                 det_side: int = 800, rec_batch: int = 1, model_dir: Optional[str] = None,
                 det_model: Optional[str] = None, rec_model: Optional[str] = None) -> None:
        try:
            import rapidocr
            from rapidocr import RapidOCR
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise BackendError("the rapidocr package is not installed; pip install rapidocr onnxruntime") from exc
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        root = Path(model_dir) if model_dir else Path(rapidocr.__file__).parent / "models"
        det = Path(det_model) if det_model else _bundled(_DET, root)
        rec = Path(rec_model) if rec_model else _bundled(_REC, root)
        cls = _bundled(_CLS, root)
        if det is None or rec is None or not det.is_file() or not rec.is_file():
            raise BackendError(f"RapidOCR models not found in {root}; reinstall with pip install --force-reinstall "
                               f"rapidocr, or pass det_model=/rec_model= paths")
        params: Dict[str, Any] = {
            "Global.log_level": "error",
            "Global.use_cls": bool(use_cls and cls is not None),
            "Global.text_score": float(min_confidence),
            "Global.model_root_dir": str(root),
            "Det.model_path": str(det),
            "Rec.model_path": str(rec),
        }
        if cls is not None:
            params["Cls.model_path"] = str(cls)
        if det_side and det_side > 0:
            params["Det.limit_type"] = "max"
            params["Det.limit_side_len"] = int(det_side)
        if rec_batch and rec_batch > 0:
            params["Rec.rec_batch_num"] = int(rec_batch)
        if threads and threads > 0:
            params["EngineConfig.onnxruntime.intra_op_num_threads"] = int(threads)
            params["EngineConfig.onnxruntime.inter_op_num_threads"] = 1
        try:
            self._engine = RapidOCR(params=params)
        except Exception as exc:
            raise BackendError(f"RapidOCR failed to load ({exc}); reinstall rapidocr and onnxruntime") from exc
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)  # the constructor resets it from the config
        self.min_confidence = float(min_confidence)
        self.models = (det.name, rec.name)
        log.debug("RapidOCR ready: det=%s rec=%s", det.name, rec.name)

    def read(self, image: Any) -> List[OcrLine]:
        """OCR one HxWx3 uint8 RGB image; lines above ``min_confidence`` in reading order."""
        if self._engine is None:
            raise BackendError("RapidOcrEngine was closed; create a new one")
        arr = np.asarray(image)
        if arr.ndim == 2:
            arr = np.stack([arr] * 3, axis=-1)
        bgr = np.ascontiguousarray(arr[..., :3][..., ::-1], dtype=np.uint8)  # rapidocr takes arrays as BGR
        res = self._engine(bgr)
        if res is None or getattr(res, "txts", None) is None or res.boxes is None:
            return []
        lines = []
        for box, txt, score in zip(res.boxes, res.txts, res.scores):
            if not str(txt).strip() or float(score) < self.min_confidence:
                continue
            pts = np.asarray(box, dtype=np.float32).reshape(-1, 2)
            x0, y0 = float(pts[:, 0].min()), float(pts[:, 1].min())
            x1, y1 = float(pts[:, 0].max()), float(pts[:, 1].max())
            # Height of the text line itself (mean of the left and right edges), robust to slight skew.
            h = float((np.linalg.norm(pts[3] - pts[0]) + np.linalg.norm(pts[2] - pts[1])) / 2) \
                if len(pts) == 4 else y1 - y0
            lines.append(OcrLine(text=str(txt).strip(), confidence=float(score), box=(x0, y0, x1, y1), height=h))
        return reading_order(lines)

    def close(self) -> None:
        """Drop the onnxruntime sessions."""
        self._engine = None
