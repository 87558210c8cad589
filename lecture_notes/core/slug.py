"""Slugs for folder and file names, and the anchors GitHub gives Markdown headings."""
from __future__ import annotations

import re
from typing import Dict


def slugify(text: str, *, ascii_only: bool = False, max_len: int = 80, default: str = "lecture") -> str:
    """``"Lecture 2: Hashing"`` -> ``"lecture-2-hashing"``: lower case, runs of other characters become one
    dash, at most ``max_len`` characters, ``default`` when nothing is left.

    ``ascii_only`` keeps only a-z and 0-9 (archive member names); otherwise letters of any script and
    ``_`` are kept (folder names).
    """
    if ascii_only:
        s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    else:
        s = re.sub(r"[^\w]+", "-", str(text).casefold(), flags=re.UNICODE).strip("-_")
    return s[:max_len].strip("-") or default


def heading_anchor(text: str, seen: Dict[str, int]) -> str:
    """The anchor GitHub gives a heading with this text (lowercase, punctuation dropped, dashes), de-duplicated
    through ``seen`` (the second "Intro" becomes ``intro-1``)."""
    slug = re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")
    n = seen.get(slug, 0)
    seen[slug] = n + 1
    return f"{slug}-{n}" if n else slug
