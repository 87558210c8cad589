"""Page layout of OCR lines: line heights, rows and reading order (shared by OCR backends and the slides stage)."""
from __future__ import annotations

from typing import List, Sequence

from lecture_notes.core.types import OcrLine


def line_height(ln: OcrLine) -> float:
    """Height of the text line itself (the backend's measure when it gives one, else the box height)."""
    return float(ln.height) if ln.height else float(ln.box[3] - ln.box[1])


def text_rows(lines: Sequence[OcrLine]) -> List[List[OcrLine]]:
    """Lines grouped into rows (vertical centres within half a line height), top to bottom, each left to right."""
    items = sorted(lines, key=lambda ln: (ln.box[1] + ln.box[3]) / 2)
    rows: List[List[OcrLine]] = []
    for ln in items:
        cy = (ln.box[1] + ln.box[3]) / 2
        if rows:
            last = rows[-1]
            lcy = sum((r.box[1] + r.box[3]) / 2 for r in last) / len(last)
            if abs(cy - lcy) <= 0.5 * min(line_height(ln), line_height(last[0])):
                last.append(ln)
                continue
        rows.append([ln])
    return [sorted(row, key=lambda r: r.box[0]) for row in rows]


def reading_order(lines: Sequence[OcrLine]) -> List[OcrLine]:
    """Top-to-bottom rows, left to right within a row."""
    return [ln for row in text_rows(lines) for ln in row]
