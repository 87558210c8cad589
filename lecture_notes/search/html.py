"""Data for the offline search box of notes.html and the course index.html (no model; lexical search in JS)."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Sequence

from lecture_notes.core.types import LectureNotes


def thin_windows(rows: Sequence[Sequence[Any]], overlap_s: float = 10.0) -> List[List[Any]]:
    """Drop windows that mostly repeat the previous kept one (the index overlaps them; a page need not)."""
    out: List[List[Any]] = []
    for r in rows:
        if not out or float(r[0]) >= float(out[-1][1]) - overlap_s:
            out.append(list(r))
    return out


def embed_json(obj: Any) -> str:
    """Compact JSON with HTML specials as \\u escapes; templates put it in a ``data-search`` attribute, which
    their autoescaping quotes (so page data is never markup and no extra ``<script>`` is needed)."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                 ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text


def search_data(lectures: Sequence[Dict[str, Any]], media: str = "") -> str:
    """``lectures``: [{"title", "href", "windows": [[start, end, text], ...]}] -> the embedded JSON."""
    rows = []
    for i, lec in enumerate(lectures):
        for s, e, t in thin_windows(lec.get("windows") or []):
            rows.append([i, round(float(s), 2), round(float(e), 2), str(t)])
    return embed_json({"media": media, "lectures": [{"title": str(l.get("title") or ""), "href": str(l.get("href") or "")}
                                                    for l in lectures], "w": rows})


def lecture_search_data(notes: LectureNotes, media_href: str = "") -> str:
    """The search data of one lecture page (results seek the page's own player)."""
    from lecture_notes.search.units import window_rows

    return search_data([{"title": notes.title, "href": "", "windows": window_rows(notes)}], media=media_href or "")
