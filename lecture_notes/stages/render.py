"""Render LectureNotes into notes.md / notes.html / notes.json, subtitles and slide images (Jinja2 templates).

Everything that came from ASR, OCR or a model is untrusted: HTML output is autoescaped and a Content-Security-
Policy with a per-page nonce only lets our own inline script run; Markdown output backslash-escapes every
character that could start a link, image, HTML tag, emphasis or table cell. Model text may use a small Markdown
subset (emphasis, strong, inline code, paragraphs, bullet lists); it is parsed with markdown-it-py (raw HTML,
links and images disabled) and re-emitted safely.
"""
from __future__ import annotations

import bisect
import functools
import json
import logging
import re
import secrets
import shutil
import urllib.parse
from pathlib import Path, PurePosixPath
from typing import Any, Dict, Iterable, List, Optional, Sequence

import jinja2
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

from lecture_notes.core.config import AUDIO_EXTS, FORMATS
from lecture_notes.core.errors import ConfigError, OutputError
from lecture_notes.core.markdown import escape_inline, escape_line_start, md_escape
from lecture_notes.core.slug import heading_anchor
from lecture_notes.core.timefmt import clock
from lecture_notes.core.serialize import dumps_notes
from lecture_notes.stages.subtitles import format_srt, format_vtt
from lecture_notes.core.types import LectureNotes, Segment, Sentence
from lecture_notes.search.html import lecture_search_data

log = logging.getLogger(__name__)

_DISABLED = ["image", "link", "autolink", "reference", "html_block", "html_inline", "heading", "lheading", "hr",
             "code", "fence", "blockquote", "table", "linkify", "strikethrough"]
_MD = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).disable(
    _DISABLED, ignoreInvalid=True)

_WS = re.compile(r"\s+")
_BULLET = re.compile(r"^\s*[-*+]\s+")
_SENT_SPLIT = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"')\]]))\s+(?=[\"'(\[]?[A-Z0-9])")
_SAFE_URL = re.compile(r"^(?:https?://|file:///|(?!//)[^:/?#]*(?:[/?#]|$))", re.I)


# ---------------------------------------------------------------- model text (also used as Jinja filters)
def _md_inline(text: str) -> str:
    out = []
    tokens = _MD.parseInline(_WS.sub(" ", text).strip())
    for tok in tokens[0].children or () if tokens else ():
        if tok.type in ("strong_open", "strong_close"):
            out.append("**")
        elif tok.type in ("em_open", "em_close"):
            out.append("*")
        elif tok.type == "code_inline":
            content = tok.content
            if "|" in content:  # a pipe splits a table row even inside code: fall back to escaped text
                out.append(escape_inline(content))
                continue
            fence = "`" * (max((len(r) for r in re.findall(r"`+", content)), default=0) + 1)
            pad = " " if content.startswith("`") or content.endswith("`") else ""
            out.append(f"{fence}{pad}{content}{pad}{fence}")
        elif tok.type in ("softbreak", "hardbreak"):
            out.append(" ")
        else:
            out.append(escape_inline(tok.content))
    return escape_line_start("".join(out).strip())


def md_text(text: Any) -> str:
    """Model text (small Markdown subset) -> safe Markdown: paragraphs and bullets kept, everything else escaped."""
    paras = []
    for para in re.split(r"\n\s*\n", str(text).strip()):
        items: List[List[str]] = []  # each item: [prefix, text...]
        for line in para.splitlines():
            if _BULLET.match(line):
                items.append(["- ", _BULLET.sub("", line)])
            elif items:
                items[-1].append(line)
            else:
                items.append(["", line])
        if items:
            paras.append("\n".join(item[0] + _md_inline(" ".join(item[1:])) for item in items))
    return "\n\n".join(p for p in paras if p.strip())


def md_html(text: Any) -> Markup:
    """Model text -> HTML paragraphs via markdown-it (raw HTML, links, images disabled: all input escaped)."""
    return Markup(_MD.render(str(text)))


def md_html_inline(text: Any) -> Markup:
    return Markup(_MD.renderInline(_WS.sub(" ", str(text)).strip()))


_YAML_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]")


def yaml_str(value: Any) -> str:
    """A YAML double-quoted scalar (JSON string syntax, non-printables escaped) that cannot break front matter."""
    s = json.dumps(str(value), ensure_ascii=False)
    return _YAML_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", s)


def _lang(code: str) -> str:
    return code if re.fullmatch(r"[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*", code or "") else "en"


def _check_href(media_href: Optional[str]) -> Optional[str]:
    if media_href is None:
        return None
    href = urllib.parse.quote(str(media_href), safe="/:#?&=%~.-_!$'*+,;@")
    if not _SAFE_URL.match(href):
        raise ConfigError(f"media link {media_href!r} is not a relative path or an http(s)/file URL; "
                          f"pass a path relative to the output folder")
    return href.split("#", 1)[0]


def _slide_path_ok(p: str) -> bool:
    pp = PurePosixPath(p)
    return bool(p) and not pp.is_absolute() and ".." not in pp.parts and "\\" not in p and ":" not in p


def transcript_sentences(segments: Sequence[Segment]) -> List[Sentence]:
    """Split transcript segments into sentences; times from word timestamps, else by share of characters."""
    out: List[Sentence] = []
    for seg in segments:
        text = _WS.sub(" ", seg.text).strip()
        if not text:
            continue
        parts = [p.strip() for p in _SENT_SPLIT.split(text) if p.strip()]
        n_words = [len(p.split()) for p in parts]
        words = seg.words if len(seg.words) == sum(n_words) else ()
        total = sum(len(p) for p in parts)
        w_i, chars, start = 0, 0, seg.start
        for part, n in zip(parts, n_words):
            if words:
                start, end = words[w_i].start, words[w_i + n - 1].end
                w_i += n
            else:
                chars += len(part)
                end = seg.start + (seg.end - seg.start) * chars / total
            out.append(Sentence(round(start, 2), round(max(start, end), 2), part))
            start = end
    return out


# ---------------------------------------------------------------- environment
def make_environment(template_dir: Optional[Path] = None) -> jinja2.Environment:
    """Jinja2 env: ``template_dir`` (if any) first, then the package templates; autoescape for *.html*."""
    if template_dir is None:
        return _package_environment()
    return _environment(Path(template_dir))


@functools.lru_cache(maxsize=1)
def _package_environment() -> jinja2.Environment:
    return _environment(None)  # compiled templates are reused between builds (batch mode)


def _environment(template_dir: Optional[Path]) -> jinja2.Environment:
    loaders: List[jinja2.BaseLoader] = []
    if template_dir is not None:
        if not Path(template_dir).is_dir():
            raise ConfigError(f"--template-dir {template_dir} is not a folder")
        loaders.append(jinja2.FileSystemLoader(str(template_dir)))
    loaders.append(jinja2.PackageLoader("lecture_notes", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=lambda name: bool(name) and (".html" in name or ".htm" in name or name.endswith(".svg.j2")),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters.update(hms=clock, md_escape=md_escape, md_text=md_text, md_html=md_html,
                       md_html_inline=md_html_inline, yaml_str=yaml_str)
    return env


def _render(env: jinja2.Environment, name: str, ctx: Dict[str, Any]) -> str:
    try:
        return env.get_template(name).render(**ctx)
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(f"template {e.name or name} has a syntax error at line {e.lineno}: {e.message}; "
                          f"fix it or remove it from --template-dir") from e
    except jinja2.TemplateNotFound as e:
        raise ConfigError(f"template {e.name} not found; templates in --template-dir must use the names "
                          f"notes.md.j2 / notes.html.j2 / partials/...") from e
    except jinja2.UndefinedError as e:
        raise ConfigError(f"template {name} uses an unknown variable ({e.message}); see the package templates "
                          f"for the available names") from e


# ---------------------------------------------------------------- context
def build_context(notes: LectureNotes, media_href: Optional[str], available_images: Iterable[str]) -> Dict[str, Any]:
    """Everything the templates use: the notes plus numbered slides, anchors and timestamp helpers."""
    href = _check_href(media_href)
    images = set(available_images)
    media_kind = None
    if href is not None:
        ext = PurePosixPath(urllib.parse.unquote(href).split("?", 1)[0]).suffix.lower()
        media_kind = "audio" if ext in AUDIO_EXTS else "video"
    seen: Dict[str, int] = {}
    chapters, n_slide = [], 0
    sentences = transcript_sentences(notes.transcript.segments)
    starts = [c.start for c in notes.chapters]
    by_chapter: List[List[Sentence]] = [[] for _ in range(len(starts) + 1)]  # [0]: before the first chapter
    for sent in sentences:  # each sentence goes to the last chapter starting at or before it
        by_chapter[bisect.bisect_right(starts, sent.start)].append(sent)
    for i, c in enumerate(notes.chapters, 1):
        slides = []
        for s in c.slides:
            n_slide += 1
            alt = f"Slide {n_slide}: {_WS.sub(' ', s.title).strip()}" if s.title.strip() else f"Slide {n_slide}"
            slides.append({"n": n_slide, "slide": s, "alt": alt, "title": s.title,
                           "image": s.image_path if s.image_path in images else None})
        heading = f"{i}. {_WS.sub(' ', c.title).strip()}"
        chapters.append({"n": i, "id": f"ch-{i}", "slug": heading_anchor(heading, seen), "heading": heading,
                         "chapter": c, "slides": slides, "sentences": by_chapter[i]})
    lead = by_chapter[0]

    def t_href(t: float) -> str:
        return f"{href}#t={int(max(0.0, float(t)))}" if href else ""

    def ts_html(t: float, label: str = "Play from") -> Markup:
        h = clock(t)  # digits and colons only: nothing to escape
        if not href:
            return Markup(f'<span class="ts">{h}</span>')
        return Markup(f'<a class="ts" href="{escape(t_href(t))}" data-t="{float(t):.2f}" '
                      f'aria-label="{escape(label)} {h}">{h}</a>')

    def ts_md(t: float) -> str:
        return f"[{clock(t)}]({t_href(t)})" if href else f"`{clock(t)}`"

    source_name = PurePosixPath(notes.source.path.replace("\\", "/")).name
    from lecture_notes.stages.render_marks import helpers

    marks = helpers(notes, sentences, md_escape)  # sent_html/sent_md, unsure_html/unsure_md
    return {**marks,
        "notes": notes, "title": _WS.sub(" ", notes.title).strip() or source_name or "Lecture notes",
        "chapters": chapters, "lead_sentences": lead, "sentence_count": len(sentences), "glossary": notes.glossary,
        "media_href": href, "media_kind": media_kind, "t_href": t_href, "ts_html": ts_html, "ts_md": ts_md,
        "lang": _lang(notes.transcript.language),
        "source_name": source_name, "duration": notes.source.duration, "created": notes.created,
        "created_date": notes.created[:10], "tags": [t for t in notes.tags if t.strip()],
        "slide_count": n_slide, "qa_count": sum(len(c.qa) for c in notes.chapters),
        "csp_nonce": secrets.token_urlsafe(16), "csp_media": _csp_source(href),
        "search_json": lecture_search_data(notes, href or ""),
    }


def _csp_source(href: Optional[str]) -> str:
    if not href:
        return ""
    u = urllib.parse.urlsplit(href)
    return f"{u.scheme}://{u.netloc}" if u.scheme in ("http", "https") else ""


# ---------------------------------------------------------------- outputs
def _copy_slides(notes: LectureNotes, out: Path, image_root: Optional[Path]) -> List[Path]:
    copied = []
    for s in notes.slides:
        if not _slide_path_ok(s.image_path):
            log.warning("ignoring slide image with unsafe path %r", s.image_path)
            continue
        dst = out / s.image_path
        if image_root is not None:
            src = Path(image_root) / s.image_path
            if not src.is_file():
                log.warning("slide image %s is missing; the notes will show the slide text only", src)
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            if not (dst.exists() and dst.samefile(src)):
                shutil.copyfile(src, dst)
        if dst.is_file():
            copied.append(dst)
    return copied


def _write(path: Path, text: str, files: List[Path]) -> None:
    try:
        path.write_text(text, encoding="utf-8", newline="\n")
    except OSError as e:
        raise OutputError(f"cannot write {path}: {e.strerror or e}; check the output folder is writable") from e
    files.append(path)


def render_outputs(notes: LectureNotes, out_dir: Path, *, formats: Sequence[str] = FORMATS,
                   template_dir: Optional[Path] = None, media_href: Optional[str] = None,
                   image_root: Optional[Path] = None) -> List[Path]:
    """Write notes.md/.html/.json (per ``formats``), transcript.vtt/.srt, chapters.vtt and slides/*.jpg.

    ``media_href`` is the lecture media as a link relative to ``out_dir`` (timestamps seek it); ``image_root``
    holds ``slides/slide-NNN.jpg`` as named by ``Slide.image_path``. Returns the written paths.
    """
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ConfigError(f"unknown format {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    out = Path(out_dir)
    try:
        out.mkdir(parents=True, exist_ok=True)
        files = _copy_slides(notes, out, image_root)
    except OSError as e:
        raise OutputError(f"cannot write into {out}: {e.strerror or e}; check the output folder is writable") from e
    rel = [p.relative_to(out).as_posix() for p in files]
    ctx = build_context(notes, media_href, rel)
    env = make_environment(template_dir) if ("md" in formats or "html" in formats) else None
    if "md" in formats:
        _write(out / "notes.md", _render(env, "notes.md.j2", ctx), files)
    if "html" in formats:
        _write(out / "notes.html", _render(env, "notes.html.j2", ctx), files)
    if "json" in formats:
        _write(out / "notes.json", dumps_notes(notes), files)
    segs = notes.transcript.segments
    _write(out / "transcript.vtt", format_vtt((s.start, s.end, s.text) for s in segs), files)
    _write(out / "transcript.srt", format_srt((s.start, s.end, s.text) for s in segs), files)
    _write(out / "chapters.vtt", format_vtt((c.start, c.end, c.title) for c in notes.chapters), files)
    log.info("rendered %d files into %s", len(files), out)
    return files
