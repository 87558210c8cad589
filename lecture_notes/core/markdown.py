"""Markdown escaping: the one rule set for every Markdown file we write (notes, course index, questions).

Everything that came from ASR, OCR or a model is untrusted: each character that could start a link, image,
HTML tag, entity, emphasis, code span or table cell is backslash-escaped, and ``://``/``www.`` are broken so
GFM does not autolink them.
"""
from __future__ import annotations

import re
from typing import Any

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~$&])")
_MD_AUTOLINK = re.compile(r"(?i)(://|\bwww)\.?")
_MD_LINE_START = re.compile(r"^(\s*)([-+=]|\d{1,9}[.)])(?=\s|$)")
_WS = re.compile(r"\s+")


def escape_inline(text: str) -> str:
    """Backslash-escape Markdown syntax in ``text`` (whitespace kept as it is)."""
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return _MD_AUTOLINK.sub(lambda m: m.group(0).replace(":", "\\:").replace(".", "\\."), text)


def escape_line_start(text: str) -> str:
    """Escape a leading ``-``/``+``/``=``/``1.`` so text that begins a line does not start a list or heading."""
    m = _MD_LINE_START.match(text)
    if not m:
        return text
    mark = m.group(2)
    return m.group(1) + mark[:-1] + "\\" + mark[-1] + text[m.end():]


def md_escape(text: Any, line_start: bool = False) -> str:
    """Escape ``text`` for one Markdown line: no links, images, HTML, emphasis, code or table cells.

    Whitespace runs (newlines too) become one space. ``line_start``: the text begins a line, so a leading
    ``-``/``+``/``1.`` must not start a list.
    """
    text = escape_inline(_WS.sub(" ", str(text)).strip())
    return escape_line_start(text) if line_start else text
