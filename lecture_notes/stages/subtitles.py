"""Subtitle and transcript files: read .srt / .vtt / .json / timed .txt into a Transcript; write SRT and WebVTT.

Parsing is lenient where players are lenient (BOM, CRLF, ``,`` or ``.`` millis, missing hours, cue ids, cue
settings, tags, entities, overlapping or empty cues, YouTube-style rolling captions) and strict where a guess
would corrupt times: a malformed timing line raises TranscriptError naming the file and line.

A ``.txt`` transcript needs times: each cue line starts with a timestamp (``00:01:05.200 text``,
``[01:05] text`` or a timestamp alone on a line followed by its text, as YouTube's "show transcript" copies).
Untimed text raises TranscriptError asking for .srt/.vtt, because notes cite times and guessing them from
the media length would put every citation in the wrong place.
"""
from __future__ import annotations

import html
import json
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterable, List, Optional, Sequence, Tuple

from lecture_notes.core.errors import TranscriptError
from lecture_notes.core.types import Segment, Transcript, Word
from lecture_notes.text.textutil import speaker_tag

log = logging.getLogger(__name__)

SUFFIXES = (".srt", ".vtt", ".json", ".txt")

# [hh:]mm:ss[.,]mmm ; hours optional (WebVTT allows mm:ss.ttt), millis optional for lenient SRT/TXT.
_TS = r"(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:[.,](\d{1,3}))?"
_TS_RE = re.compile(rf"^\s*{_TS}\s*$")
_TIMING_RE = re.compile(rf"^\s*(?P<a>{_TS})\s*-->\s*(?P<b>{_TS})(?:\s+(?P<settings>.*))?\s*$")
_TXT_LINE_RE = re.compile(rf"^\s*\[?(?P<ts>{_TS})\]?(?:\s*[-–:|]?\s+(?P<text>.*))?\s*$")
# Tags: <v Speaker>, <c.cls>, <i>, </b>, <ruby>, <lang en>, karaoke timestamps <00:01.000>; not "x < y".
_TAG_RE = re.compile(r"</?[A-Za-z][^<>\n]*>|<\d[\d:.]*>")
_ASS_RE = re.compile(r"\{\\[^}]*\}")  # {\an8} positioning codes that some SRT files carry
_WS_RE = re.compile(r"\s+")
# Who speaks: a WebVTT voice span (<v Name>, <v.loud Name>) or a caption speaker tag at the start of a cue
# ("JOHN SMITH:", ">> PROFESSOR:", "Student:"); a bare ">>" marks a change to an unnamed speaker.
_VOICE_RE = re.compile(r"<v(?:\.[\w.-]+)?\s+([^>\n]+?)\s*>")
_CHANGE_RE = re.compile(r"^\s*(?:&gt;|>){2}")
_WORDS_PER_SECOND = 2.5  # speaking rate used only to give the last .txt cue an end time


def _fail(path: Path, line: Optional[int], msg: str) -> TranscriptError:
    where = f"{path.name}:{line}" if line is not None else path.name
    return TranscriptError(f"{where}: {msg}")


def parse_timestamp(text: str) -> float:
    """Seconds from ``hh:mm:ss.mmm``, ``hh:mm:ss,mmm``, ``mm:ss.mmm`` or ``mm:ss``; ValueError if malformed."""
    m = _TS_RE.match(text)
    if not m:
        raise ValueError(f"not a timestamp: {text!r}")
    return _ts_from_groups(*m.groups())


def _ts_from_groups(h: Optional[str], m: str, s: str, ms: Optional[str]) -> float:
    minutes, seconds = int(m), int(s)
    if seconds >= 60 or (h is not None and minutes >= 60):
        raise ValueError("minutes/seconds out of range")
    frac = int(ms.ljust(3, "0")) / 1000.0 if ms else 0.0
    return int(h or 0) * 3600 + minutes * 60 + seconds + frac


def clean_cue_text(text: str) -> str:
    """Strip markup (WebVTT/HTML tags, ASS codes), unescape entities, join lines with single spaces."""
    text = _ASS_RE.sub("", _TAG_RE.sub("", text))
    return _WS_RE.sub(" ", html.unescape(text)).strip()


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise TranscriptError(f"{path}: transcript file not found; check the --transcript path") from None
    except OSError as exc:
        raise TranscriptError(f"{path}: cannot read transcript ({exc.strerror}); check its permissions") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Old subtitle files are often Windows-1252; decoding must not fail on them.
        log.warning("%s is not UTF-8; reading it as Windows-1252", path.name)
        text = raw.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def load_transcript(path: Any) -> Transcript:
    """Read a transcript file (.srt, .vtt, .json or timed .txt) into a Transcript sorted by start time.

    Raises TranscriptError (file name and line number, and how to fix it) for unreadable or malformed files
    and for files that contain no timed text.
    """
    path = Path(path)
    text = _read_text(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        segments, language = _parse_json(path, text)
    elif suffix == ".txt":
        segments, language = _parse_txt(path, text), "en"
    elif suffix in (".srt", ".vtt") or "-->" in text:
        segments, language = _parse_cues(path, text, vtt=suffix == ".vtt" or text.lstrip().startswith("WEBVTT"))
    else:
        raise TranscriptError(f"{path.name}: unsupported transcript type {suffix or '(none)'!r}; "
                              f"use one of {', '.join(SUFFIXES)}")
    segments = _tidy(segments)
    if not segments:
        raise _fail(path, None, "contains no timed text; give a non-empty .srt/.vtt/.json transcript")
    return Transcript(segments=tuple(segments), language=language, source=f"file:{path.name}")


# ---------------------------------------------------------------------------------------------- SRT/VTT


def _blocks(text: str) -> Iterable[Tuple[int, List[str]]]:
    """Yield (first line number, lines) for each blank-line separated block."""
    block: List[str] = []
    start = 0
    for no, line in enumerate(text.split("\n"), 1):
        if line.strip():
            if not block:
                start = no
            block.append(line.rstrip())
        elif block:
            yield from _split_run_on(start, block)
            block = []
    if block:
        yield from _split_run_on(start, block)


def _split_run_on(start: int, block: List[str]) -> Iterable[Tuple[int, List[str]]]:
    """Split a block holding several cues because the blank line between them is missing."""
    timings = [i for i, ln in enumerate(block) if "-->" in ln]
    cuts = [0]
    for i in timings[1:]:
        cut = i - 1 if i - 1 > timings[0] and block[i - 1].strip().isdigit() else i  # keep an SRT index
        if cut > cuts[-1]:
            cuts.append(cut)
    cuts.append(len(block))
    for a, b in zip(cuts, cuts[1:]):
        yield start + a, block[a:b]


def _parse_cues(path: Path, text: str, *, vtt: bool) -> Tuple[List[Segment], str]:
    segments: List[Segment] = []
    language = "en"
    lines_of: List[List[str]] = []
    backwards: List[str] = []
    first = True
    for start_no, block in _blocks(text):
        if first and vtt:
            first = False
            if not block[0].startswith("WEBVTT"):
                raise _fail(path, start_no, "a WebVTT file must start with 'WEBVTT'; fix the header or rename "
                                            "it to .srt")
            for ln in block[1:]:
                key, _, value = ln.partition(":")
                if key.strip().lower() == "language" and value.strip():
                    language = value.strip().split("-")[0].lower()  # YouTube writes "Language: en"
            t = next((i for i, ln in enumerate(block) if "-->" in ln), None)
            if t is None:
                continue
            # Header directly followed by a cue (no blank line): tolerated.
            t -= 1 if t > 1 and ":" not in block[t - 1] else 0
            block, start_no = block[t:], start_no + t
        first = False
        head = block[0].split(maxsplit=1)[0] if block[0].split() else ""
        if vtt and head in ("NOTE", "STYLE", "REGION") and "-->" not in block[0]:
            continue
        timing_at = next((i for i, ln in enumerate(block) if "-->" in ln), None)
        if timing_at is None or timing_at > 1:
            if segments and timing_at is None:
                # Blank line inside a cue's text (common in hand-edited SRT): keep it with that cue.
                lines_of[-1].extend(block)
                continue
            raise _fail(path, start_no, "expected a cue timing line like '00:01:02.500 --> 00:01:05.000'")
        line_no = start_no + timing_at
        m = _TIMING_RE.match(block[timing_at])
        if not m:
            raise _fail(path, line_no, f"malformed cue timing {block[timing_at].strip()!r}; expected "
                                       f"'HH:MM:SS.mmm --> HH:MM:SS.mmm'")
        g = m.groups()
        try:
            a, b = _ts_from_groups(*g[1:5]), _ts_from_groups(*g[6:10])
        except ValueError:
            raise _fail(path, line_no, f"timestamp out of range in {block[timing_at].strip()!r}") from None
        if b < a:
            backwards.append(f"line {line_no}")
            b = a
        segments.append(Segment(a, b, ""))
        lines_of.append(block[timing_at + 1:])
    _check_backwards(path, backwards, len(segments), "cue")
    out, speaker = [], ""
    for seg, lines in zip(segments, lines_of):
        text = "\n".join(lines)
        speaker = cue_speaker(text, speaker)
        out.append(Segment(seg.start, seg.end, text, speaker=speaker))
    return out, language


def cue_speaker(text: str, previous: str = "") -> str:
    """The speaker of a caption cue: its WebVTT voice span (``<v Name>``) or leading speaker tag ("JOHN SMITH:",
    ">> Professor Jones:"); a bare ">>" (a new, unnamed speaker) gives ''; otherwise the previous cue's speaker
    (captions name a speaker when the speaker changes)."""
    m = _VOICE_RE.search(text)
    if m:
        return clean_cue_text(m.group(1))
    first = clean_cue_text(text.split("\n", 1)[0])
    name = speaker_tag(re.sub(r"^(?:>>|-)\s*", "", first))
    if name:
        return name
    return "" if _CHANGE_RE.match(text) else previous


def _check_backwards(path: Path, backwards: Sequence[str], total: int, unit: str) -> None:
    """Cues that end before they start: a warning naming them (their start is used as their end), or an
    error when most of the file is like that (start and end swapped, or times from another clock)."""
    if not backwards:
        return
    where = ", ".join(backwards[:3]) + (f" and {len(backwards) - 3} more" if len(backwards) > 3 else "")
    if len(backwards) >= 2 and len(backwards) * 2 > total:
        raise _fail(path, None, f"{len(backwards)} of {total} {unit}s end before they start ({where}); are start "
                                f"and end swapped? Fix the times in the file")
    log.warning("%s: %d %s(s) end before they start (%s); their start is used as their end", path.name,
                len(backwards), unit, where)


def _tidy(segments: Sequence[Segment]) -> List[Segment]:
    """Clean text, drop empty cues, sort by start, undo rolling-caption repetition."""
    out: List[Segment] = []
    prev_lines: List[str] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.end)):
        lines = [clean_cue_text(ln) for ln in seg.text.split("\n")]
        lines = [ln for ln in lines if ln]
        # YouTube auto-captions repeat the previous cue's last line as the first line of the next cue.
        if len(lines) > 1 and prev_lines and lines[0] == prev_lines[-1]:
            lines = lines[1:]
        text = " ".join(lines)
        if not text:
            continue
        if out and text == out[-1].text and seg.start <= out[-1].end + 0.05:
            # The same text shown again right away (the 10 ms "hold" cues of rolling captions): extend.
            out[-1] = replace(out[-1], end=max(out[-1].end, seg.end))
            continue
        prev_lines = lines
        out.append(replace(seg, text=text))
    return out


# ---------------------------------------------------------------------------------------------- JSON


def _num(value: Any, what: str, path: Path, idx: int) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value or value < 0:
        raise _fail(path, None, f"segment #{idx}: {what} must be a non-negative number of seconds, got {value!r}")
    return float(value)


def _parse_json(path: Path, text: str) -> Tuple[List[Segment], str]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _fail(path, exc.lineno, f"invalid JSON ({exc.msg}); expected [{{start, end, text}}, ...]") from None
    language = "en"
    if isinstance(data, dict):
        language = str(data.get("language") or "en")
        data = data.get("segments")
    if not isinstance(data, list):
        raise _fail(path, None, "expected a list of {start, end, text} objects or {\"segments\": [...]}")
    segments = []
    backwards: List[str] = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or "start" not in item or "text" not in item:
            raise _fail(path, None, f"segment #{i} needs 'start' and 'text' (and 'end') keys")
        start = _num(item["start"], "start", path, i)
        end = _num(item.get("end", start), "end", path, i)
        if not isinstance(item["text"], str):
            raise _fail(path, None, f"segment #{i}: text must be a string")
        words = tuple(Word(_num(w["start"], "word start", path, i), _num(w["end"], "word end", path, i),
                           str(w.get("word", "")).strip(), float(w.get("probability", 1.0)))
                      for w in item.get("words") or () if isinstance(w, dict) and "start" in w and "end" in w)
        if end < start:
            backwards.append(f"segment #{i}")
        speaker = item.get("speaker")
        speaker = " ".join(str(speaker).split()) if isinstance(speaker, (str, int)) and not isinstance(speaker, bool) \
            else ""
        segments.append(Segment(start, max(start, end), html.unescape(item["text"]), words, speaker=speaker))
    _check_backwards(path, backwards, len(segments), "segment")
    return segments, language


# ---------------------------------------------------------------------------------------------- TXT


def _parse_txt(path: Path, text: str) -> List[Segment]:
    cues: List[List[Any]] = []  # [start, [text parts], line number]
    last_end: Optional[float] = None
    for no, line in enumerate(text.split("\n"), 1):
        stripped = line.strip()
        if not stripped:
            continue
        if stripped.startswith("#"):
            m = re.match(r"#\s*end\s+(\S+)\s*$", stripped)  # "# end HH:MM:SS.mmm" closes the last cue
            if m:
                try:
                    last_end = parse_timestamp(m.group(1))
                except ValueError:
                    raise _fail(path, no, f"malformed end time {m.group(1)!r}") from None
            continue
        m = _TXT_LINE_RE.match(stripped)
        if m:
            try:
                start = parse_timestamp(m.group("ts"))
            except ValueError:
                raise _fail(path, no, f"timestamp out of range in {stripped[:40]!r}") from None
            cues.append([start, [m.group("text") or ""], no])
        elif cues:
            cues[-1][1].append(stripped)
        else:
            raise _fail(path, no, "plain text has no timestamps; give an .srt or .vtt transcript, or start each "
                                  "line of the .txt with its time (e.g. '00:01:05 text')")
    segments = []
    for i, (start, parts, _no) in enumerate(cues):
        text_i = " ".join(p for p in parts if p)
        if i + 1 < len(cues):
            end = cues[i + 1][0]
        else:
            end = last_end if last_end is not None else start + max(2.0, len(text_i.split()) / _WORDS_PER_SECOND)
        segments.append(Segment(start, max(start, end), text_i))
    return segments


# ---------------------------------------------------------------------------------------------- writing


def _fmt_time(t: float, sep: str) -> str:
    ms = max(0, int(round(float(t) * 1000)))
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, ms = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def _sanitize(text: str) -> str:
    lines = [_WS_RE.sub(" ", ln).strip() for ln in str(text).replace("\r", "\n").split("\n")]
    text = "\n".join(ln for ln in lines if ln)  # a blank line would end the cue
    while "-->" in text:  # would be read as a timing line
        text = text.replace("-->", "->")
    return text


def _cue_items(cues: Iterable[Any]) -> Iterable[Tuple[float, float, str]]:
    for cue in cues:
        if isinstance(cue, (tuple, list)):
            start, end, text = cue[0], cue[1], cue[2]
        else:
            start, end, text = cue.start, cue.end, cue.text
        text = _sanitize(text)
        if text:
            start = max(0.0, float(start))
            yield start, max(start, float(end)), text


def format_srt(cues: Iterable[Any]) -> str:
    """SubRip text for ``(start, end, text)`` cues (Segments also accepted); empty cues are skipped."""
    out = []
    for i, (start, end, text) in enumerate(_cue_items(cues), 1):
        out.append(f"{i}\n{_fmt_time(start, ',')} --> {_fmt_time(end, ',')}\n{text}\n")
    return "\n".join(out)


def format_vtt(cues: Iterable[Any]) -> str:
    """WebVTT text for ``(start, end, text)`` cues (Segments also accepted); ``& < >`` become entities."""
    out = ["WEBVTT\n"]
    for start, end, text in _cue_items(cues):
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out.append(f"{_fmt_time(start, '.')} --> {_fmt_time(end, '.')}\n{text}\n")
    return "\n".join(out)
