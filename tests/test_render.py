"""render_outputs: files, Markdown structure, HTML structure/accessibility, injection safety, templates."""
from __future__ import annotations

import json
import logging
import re
from dataclasses import replace

import lxml.html
import pytest
import yaml
from markdown_it import MarkdownIt

from lecture_notes.core.errors import ConfigError
from lecture_notes.core.markdown import md_escape
from lecture_notes.core.slug import heading_anchor
from lecture_notes.core.timefmt import clock
from lecture_notes.stages.render import md_text, render_outputs, transcript_sentences, yaml_str
from lecture_notes.core.types import Segment, Transcript, Word
from lecture_notes.core.serialize import notes_from_dict, validate_notes_dict

# notes_factory.EVIL, spelled out: parametrize needs it at import time.
EVIL = ('<script>window.pwned=1</script> <img src=x onerror="window.pwned=2"> [click me](javascript:window.pwned=3) '
        '" onmouseover="window.pwned=4" x="')
HOSTILE = [EVIL, "<script>alert(1)</script>", "a](javascript:alert(1)) [b](x)", "![i](http://evil.example/x.png)",
           "*bold* _em_ `code` ~~s~~ | cell | $x$ &amp; &lt;b&gt;", "# heading", "- item", "1. item", "> quote",
           "see https://evil.example and www.evil.example", "<http://evil.example>", "back\\slash \\*",
           "[ref]: http://evil.example", "line1\nline2\n\n---\n==="]


@pytest.fixture()
def built(notes_factory, tmp_path):
    def build(notes=None, **kw):
        notes = notes or notes_factory.make_notes()
        notes_factory.write_slide_images(tmp_path / "work", notes)
        out = tmp_path / "out"
        kw.setdefault("media_href", "lecture.mp4")
        files = render_outputs(notes, out, image_root=tmp_path / "work", **kw)
        return notes, out, files
    return build


def _md_tokens(text):
    md = MarkdownIt("commonmark", {"html": True}).enable("table")  # html on: raw HTML would show up as tokens
    flat = []
    for tok in md.parse(text):
        flat.append(tok)
        flat.extend(tok.children or ())
    return flat


def _front_matter(text):
    m = re.match(r"^---\n(.*?)\n---\n", text, re.S)
    assert m, "notes.md must start with YAML front matter"
    return yaml.safe_load(m.group(1)), text[m.end():]


# ---------------------------------------------------------------- files
def test_writes_all_files(built, tmp_path):
    notes, out, files = built()
    names = sorted(p.relative_to(out).as_posix() for p in files)
    assert names == ["chapters.vtt", "notes.html", "notes.json", "notes.md", "slides/slide-001.jpg",
                     "slides/slide-002.jpg", "slides/slide-003.jpg", "slides/slide-004.jpg", "transcript.srt",
                     "transcript.vtt"]
    assert (out / "slides/slide-002.jpg").read_bytes() == (tmp_path / "work/slides/slide-002.jpg").read_bytes()
    d = json.loads((out / "notes.json").read_text("utf-8"))
    validate_notes_dict(d)
    assert notes_from_dict(d) == notes


def test_subtitles(built):
    notes, out, _ = built()
    vtt = (out / "transcript.vtt").read_text("utf-8")
    assert vtt.startswith("WEBVTT") and vtt.count(" --> ") == len(notes.transcript.segments)
    assert "00:00:02.000 --> 00:00:08.000\nWelcome back everyone" in vtt
    srt = (out / "transcript.srt").read_text("utf-8")
    assert srt.startswith("1\n00:00:02,000 --> 00:00:08,000\n")
    assert srt.count(" --> ") == len(notes.transcript.segments)
    chapters = (out / "chapters.vtt").read_text("utf-8")
    assert chapters.count(" --> ") == 3
    assert "00:03:00.000 --> 00:06:50.250\nEntropy" in chapters


def test_format_subset_and_unknown_format(notes_factory, built, tmp_path):
    _, out, files = built(formats=("md",))
    assert {p.name for p in files} >= {"notes.md", "transcript.vtt", "transcript.srt", "chapters.vtt"}
    assert not (out / "notes.html").exists() and not (out / "notes.json").exists()
    with pytest.raises(ConfigError, match="unknown format pdf"):
        render_outputs(notes_factory.make_notes(), tmp_path / "x", formats=("pdf",))


def test_missing_and_unsafe_slide_images(notes_factory, tmp_path, caplog):
    notes = notes_factory.make_notes()
    ch = notes.chapters[0]
    evil = replace(ch.slides[1], image_path="../../etc/passwd")
    notes = replace(notes, chapters=(replace(ch, slides=(ch.slides[0], evil)),) + notes.chapters[1:])
    notes_factory.write_slide_images(tmp_path / "work", replace(notes, chapters=notes.chapters[1:]))  # no slide-001.jpg
    with caplog.at_level(logging.WARNING, logger="lecture_notes.stages.render"):
        files = render_outputs(notes, tmp_path / "out", image_root=tmp_path / "work")
    assert "missing" in caplog.text and "unsafe path" in caplog.text
    assert sorted(p.name for p in files if p.suffix == ".jpg") == ["slide-003.jpg", "slide-004.jpg"]
    doc = lxml.html.fromstring((tmp_path / "out/notes.html").read_bytes())
    assert [i.get("src") for i in doc.iter("img") if i.get("src")] == ["slides/slide-003.jpg", "slides/slide-004.jpg"]
    assert "Slide 1" in doc.text_content() and "Lecture 3 - Prof. Ada Example" in doc.text_content()
    assert "passwd" not in (tmp_path / "out/notes.md").read_text("utf-8")


# ---------------------------------------------------------------- Markdown
def test_markdown_structure(built):
    notes, out, _ = built()
    text = (out / "notes.md").read_text("utf-8")
    meta, body = _front_matter(text)
    assert meta["title"] == "Lecture 3: Information Theory" and meta["source"] == "it-lecture-3.mp4"
    assert meta["duration"] == 700.0 and meta["created"] == "2024-03-05T10:15:00+00:00"
    assert meta["tags"] == ["information-theory", "week-3"]
    toks = _md_tokens(body)
    headings = [(t.tag, toks[i + 1].content) for i, t in enumerate(toks) if t.type == "heading_open"]
    assert headings[:6] == [("h1", "Lecture 3: Information Theory"), ("h2", "Summary"), ("h2", "Contents"),
                            ("h2", "1. What is information?"), ("h3", "Key points"), ("h3", "Questions")]
    assert ("h2", "Glossary") in headings and ("h2", "Transcript") in headings
    links = [t.attrs["href"] for t in toks if t.type == "link_open"]
    assert "lecture.mp4#t=754" not in links and "lecture.mp4#t=17" in links and "lecture.mp4#t=180" in links
    assert all(h.startswith(("lecture.mp4#t=", "#")) for h in links)
    anchors = [h[1:] for h in links if h.startswith("#")]
    assert anchors[:3] == ["1-what-is-information", "2-entropy", "3-huffman-coding"]
    images = [(t.attrs["src"], t.content) for t in toks if t.type == "image"]
    assert images[1] == ("slides/slide-002.jpg", "Slide 2: What is information?")
    assert len(images) == 4
    # Q&A as foldable callouts, one blockquote each.
    callouts = re.findall(r"^> \[!question\]- (.+)$", body, re.M)
    assert callouts[1] == "Why does a predictable message carry no information?"
    assert len(callouts) == sum(len(c.qa) for c in notes.chapters)
    assert sum(t.type == "blockquote_open" for t in toks) == len(callouts)
    assert "> [0:24](lecture.mp4#t=24) · *why*" in body
    # Glossary table: the pipe in a definition does not add a column.
    rows = [t for t in toks if t.type == "tr_open"]
    assert len(rows) == 1 + len(notes.glossary)
    assert sum(t.type == "td_open" for t in toks) == 3 * len(notes.glossary)
    # Model Markdown (bold, code) survives; key point bullets carry a timestamp link.
    assert "carry **no** information" in body and "`-log2 p(x)`" in body
    assert "- [0:17](lecture.mp4#t=17) A fair coin flip carries exactly 1 bit." in body


def test_markdown_without_media_uses_plain_timestamps(built):
    _, out, _ = built(media_href=None)
    body = (out / "notes.md").read_text("utf-8")
    assert "#t=" not in body and "- `0:17` A fair coin flip" in body


def test_markdown_injection_is_escaped(notes_factory, built):
    notes, out, _ = built(notes_factory.make_notes(inject=True))
    text = (out / "notes.md").read_text("utf-8")
    meta, body = _front_matter(text)
    assert meta["title"] == notes.title and meta["tags"][1] == notes.tags[1]
    toks = _md_tokens(body)
    assert not [t for t in toks if t.type in ("html_inline", "html_block")]
    assert all(t.attrs["href"].startswith(("lecture.mp4#t=", "#")) for t in toks if t.type == "link_open")
    assert all(t.attrs["src"].startswith("slides/") for t in toks if t.type == "image")
    html = MarkdownIt("commonmark").enable("table").render(body)
    doc = lxml.html.fromstring(html)
    assert not doc.xpath("//script|//*[@onerror]|//*[@onmouseover]|//a[starts-with(@href, 'javascript')]")
    assert "<script>window.pwned=1</script>" in doc.text_content()  # shown, as text


@pytest.mark.parametrize("s", HOSTILE)
def test_md_escape_renders_as_the_same_plain_text(s):
    out = md_escape(s, line_start=True)
    html = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(out)
    doc = lxml.html.fragment_fromstring(html, create_parent="div")
    assert [e.tag for e in doc.iter()] == ["div", "p"], html
    assert doc.text_content().strip() == " ".join(s.split())


def test_md_text_keeps_small_markdown_subset():
    assert md_text("a **b** *c* `d` <e>") == "a **b** *c* `d` \\<e\\>"
    assert md_text("- one\n- two [x](javascript:y)\n\nnext") == "- one\n- two \\[x\\](javascript:y)\n\nnext"
    assert md_text("1. not a list") == "1\\. not a list"


def test_yaml_str_survives_hostile_values():
    for s in ["a\nb: c\n---", 'quote " and \\ back', "tab\tnul\x00 del\x7f nel\x85 ls\u2028", "émoji 🎓",
              "[1, 2]", "&anchor *alias !tag"]:
        assert yaml.safe_load(f"k: {yaml_str(s)}")["k"] == s


def test_transcript_sentences_use_word_times():
    text = 'He said "stop." Then he left! ok'
    words = tuple(Word(10 + i, 10.5 + i, " " + w) for i, w in enumerate(text.split()))
    got = transcript_sentences([Segment(10, 20, text, words), Segment(20, 30, "One two. Three four five six."),
                                Segment(30, 31, "   ")])
    assert [(s.start, s.end, s.text) for s in got] == [
        (10, 12.5, 'He said "stop."'), (13, 16.5, "Then he left! ok"),
        (20, 22.86, "One two."), (22.86, 30, "Three four five six.")]


def test_transcript_is_split_into_sentences_with_timestamps(notes_factory, built):
    notes = notes_factory.make_notes()
    segs = notes.transcript.segments
    two = Segment(segs[0].start, segs[0].end, "First we define it. Then we use it.")
    notes = replace(notes, transcript=Transcript((two,) + segs[1:]))
    _, out, _ = built(notes)
    doc = _html(out)
    seg = _q(doc, ".seg")
    assert len(seg) == len(segs) + 1
    assert [p.get("data-start") for p in seg[:2]] == ["2.00", "5.35"]
    assert seg[1].text_content().split(None, 1) == ["0:05", "Then we use it."]
    assert "[0:05](lecture.mp4#t=5) Then we use it." in (out / "notes.md").read_text("utf-8")


def test_small_helpers():
    assert clock(0) == "0:00" and clock(75.9) == "1:15" and clock(3723) == "1:02:03"
    assert clock(59.6, nearest=True) == "1:00" and clock(-3) == "0:00"
    seen = {}
    assert heading_anchor("1. What is X?", seen) == "1-what-is-x" and heading_anchor("1. What is X?", seen) == "1-what-is-x-1"


# ---------------------------------------------------------------- HTML
def _q(el, selector):
    """Tiny CSS subset (tag, .class, #id, descendant) as XPath, so tests need no cssselect package."""
    xp = "."
    for part in selector.split():
        m = re.fullmatch(r"([a-z0-9]*)(?:#([\w-]+))?((?:\.[\w-]+)*)", part)
        tag, id_, classes = m.group(1) or "*", m.group(2), m.group(3)
        cond = "".join(f"[contains(concat(' ', normalize-space(@class), ' '), ' {c} ')]"
                       for c in classes.split(".") if c)
        xp += f"//{tag}" + (f"[@id='{id_}']" if id_ else "") + cond
    return el.xpath(xp)


def _html(out):
    return lxml.html.fromstring((out / "notes.html").read_bytes())


def test_html_structure_and_accessibility(built):
    notes, out, _ = built()
    doc = _html(out)
    assert doc.get("lang") == "en"
    levels = [int(h.tag[1]) for h in doc.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:])), levels
    skip = _q(doc, "a.skip-link")[0]
    assert skip.get("href") == "#main" and doc.get_element_by_id("main").tag == "main"
    imgs = _q(doc, "main img")
    assert len(imgs) == 4 and all(i.get("alt", "").startswith("Slide ") for i in imgs)
    assert imgs[1].get("alt") == "Slide 2: What is information?"
    video = _q(doc, "video#lecture-media")[0]
    assert video.get("src") == "lecture.mp4" and video.get("controls") is not None
    assert _q(doc, ".seg .seg-text")[0].text == "Welcome back everyone, today we start with the question of what " \
                                                "information actually is."
    ts = _q(doc, "a.ts")
    assert ts and all(re.fullmatch(r"lecture\.mp4#t=\d+", a.get("href")) for a in ts)
    assert any(a.get("data-t") == "17.00" and a.text == "0:17" for a in ts)
    qa = _q(doc, "details.qa")
    assert len(qa) == 5 and _q(qa[0], "summary")[0].text_content().startswith("Q")
    assert "The resolution of uncertainty." in _q(qa[0], ".answer")[0].text_content()
    assert _q(doc, "section#transcript details.transcript")
    assert len(_q(doc, ".seg")) == len(notes.transcript.segments)  # one sentence per segment in the factory
    assert [dt.text_content().split()[0] for dt in _q(doc, ".glossary dt")] == ["entropy", "prefix",
                                                                                      "self-information"]
    assert _q(doc, ".chapter-summary strong")[0].text == "no"  # model Markdown rendered
    assert _q(doc, ".key-points code")[0].text == "-log2 p(x)"


def test_html_is_self_contained(built):
    _, out, _ = built()
    raw = (out / "notes.html").read_text("utf-8")
    doc = lxml.html.fromstring(raw.encode())
    urls = [v for el in doc.iter() for k, v in el.attrib.items() if k in ("src", "href", "poster", "srcset")]
    assert all(not re.match(r"(?i)[a-z][a-z0-9+.-]*:", u) or u.startswith("data:") for u in urls), urls
    assert not doc.xpath("//link[@rel='stylesheet']") and not doc.xpath("//script[@src]")
    assert "@import" not in raw and "url(" not in raw and "http://" not in raw and "https://" not in raw
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "default-src 'none'" in csp
    nonce = doc.xpath("//script/@nonce")[0]
    assert f"'nonce-{nonce}'" in csp and len(nonce) >= 16
    assert "@media (prefers-color-scheme: dark)" in raw and "@media print" in raw


def test_html_injection_is_escaped(notes_factory, built):
    notes, out, _ = built(notes_factory.make_notes(inject=True))
    raw = (out / "notes.html").read_text("utf-8")
    doc = lxml.html.fromstring(raw.encode())
    scripts = doc.xpath("//script")
    assert len(scripts) == 1 and "lecture-media" in scripts[0].text
    on_attrs = [(el.tag, k) for el in doc.iter() for k in el.attrib if k.lower().startswith("on")]
    assert on_attrs == []
    assert not doc.xpath("//a[contains(@href, 'javascript')]|//img[@src='x']|//iframe|//object|//embed")
    assert doc.xpath("//h1")[0].text_content() == notes.title
    assert doc.findtext(".//title") == notes.title
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in raw
    assert raw.count("<script") == 1


def test_html_audio_and_no_media(built, tmp_path):
    _, out, _ = built(media_href="talk recording.mp3")
    doc = _html(out)
    assert not doc.xpath("//video") and doc.xpath("//audio[@id='lecture-media']/@src") == ["talk%20recording.mp3"]
    assert _q(doc, "a.ts")[0].get("href").startswith("talk%20recording.mp3#t=")
    _, out, _ = built(media_href=None)
    doc = _html(out)
    assert not doc.xpath("//video|//audio|//a[contains(@href, '#t=')]")
    assert _q(doc, "span.ts") and not _q(doc, "a.ts")


@pytest.mark.parametrize("href", ["javascript:alert(1)", "JaVaScRiPt:x", "data:video/mp4;base64,AAAA",
                                  "//evil.example/x.mp4", "vbscript:x"])
def test_rejects_unsafe_media_href(notes_factory, tmp_path, href):
    with pytest.raises(ConfigError, match="media link"):
        render_outputs(notes_factory.make_notes(), tmp_path / "o", media_href=href)


def test_remote_media_is_allowed_by_csp(built):
    _, out, _ = built(media_href="https://media.example.edu/lec3.mp4")
    doc = _html(out)
    csp = doc.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert "media-src 'self' file: blob: https://media.example.edu;" in csp
    assert doc.xpath("//video/@src") == ["https://media.example.edu/lec3.mp4"]


def test_non_english_lang_and_bad_lang(notes_factory, built):
    notes = notes_factory.make_notes()
    _, out, _ = built(replace(notes, transcript=replace(notes.transcript, language="de")))
    assert _html(out).get("lang") == "de"
    _, out, _ = built(replace(notes, transcript=replace(notes.transcript, language='en" onload="x')))
    assert _html(out).get("lang") == "en"


# ---------------------------------------------------------------- templates
def test_template_override(notes_factory, built, tmp_path):
    tdir = tmp_path / "templates"
    (tdir / "partials").mkdir(parents=True)
    (tdir / "notes.md.j2").write_text("CUSTOM {{ title|md_escape }} ({{ chapters|length }} chapters)\n")
    (tdir / "partials/style.css.j2").write_text("body { color: rebeccapurple; }\n")
    notes, out, _ = built(notes_factory.make_notes(inject=True), template_dir=tdir)
    md = (out / "notes.md").read_text("utf-8")
    assert md.startswith("CUSTOM Lecture 3: Information Theory \\<script\\>") and "(3 chapters)" in md
    html = (out / "notes.html").read_text("utf-8")
    assert "rebeccapurple" in html and "--accent" not in html  # partial replaced, page template from package
    (tdir / "notes.html.j2").write_text("<h1>{{ title }}</h1>{% include 'partials/style.css.j2' %}")
    render_outputs(notes, out, formats=("html",), template_dir=tdir)
    assert (out / "notes.html").read_text("utf-8").startswith("<h1>Lecture 3: Information Theory &lt;script&gt;")


def test_template_errors_are_config_errors(notes_factory, tmp_path):
    tdir = tmp_path / "t"
    tdir.mkdir()
    (tdir / "notes.md.j2").write_text("{% if %}")
    with pytest.raises(ConfigError, match="syntax error at line 1"):
        render_outputs(notes_factory.make_notes(), tmp_path / "o", formats=("md",), template_dir=tdir)
    (tdir / "notes.md.j2").write_text("{{ no_such_thing }}")
    with pytest.raises(ConfigError, match="unknown variable"):
        render_outputs(notes_factory.make_notes(), tmp_path / "o", formats=("md",), template_dir=tdir)
    with pytest.raises(ConfigError, match="is not a folder"):
        render_outputs(notes_factory.make_notes(), tmp_path / "o", formats=("md",), template_dir=tmp_path / "missing")
