"""The one clock formatter for times shown to people (notes, course index, exports)."""
from __future__ import annotations


def clock(seconds: float, *, nearest: bool = False) -> str:
    """``75.4 -> "1:15"``, ``3723 -> "1:02:03"``; negative times show as ``0:00``.

    Timestamps are truncated (a link to 1:15 must not start after the moment it names); ``nearest=True``
    rounds instead, for durations ("59.6 s" reads as "1:00").
    """
    s = float(seconds or 0.0)
    s = max(0, int(round(s)) if nearest else int(s))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"
