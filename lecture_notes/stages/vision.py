"""Vision stage: describe each slide keyframe (figures, diagrams) with a VisionDescriber."""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Sequence, Tuple

from lecture_notes.backends.base import VisionDescriber
from lecture_notes.core.types import Slide

log = logging.getLogger(__name__)


def describe_slides(slides: Sequence[Slide], backend: VisionDescriber, image_root: Path) -> Tuple[Slide, ...]:
    """``slides`` with ``description`` filled from their keyframe image (``image_root / image_path``); a slide
    whose image cannot be read keeps no description (logged)."""
    import numpy as np
    from PIL import Image

    out = []
    for s in slides:
        try:
            image = np.asarray(Image.open(Path(image_root) / s.image_path).convert("RGB"))
            out.append(replace(s, description=backend.describe(image, ocr_text=s.text).strip()))
        except (OSError, ValueError) as exc:
            log.warning("could not describe %s: %s", s.image_path, exc)
            out.append(s)
    return tuple(out)
