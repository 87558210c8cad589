"""Transcription stage: run a Transcriber, then make its output safe for the stages after it.

``transcribe`` validates the backend's Transcript (times clamped to the audio and monotonic, empty segments
dropped) and collapses Whisper's repetition loops, where the decoder repeats one phrase within a segment or
emits the same segment again and again over silence or music. ``find_sidecar`` finds a subtitle file that
belongs to a video, and ``slide_prompt`` turns slide text into a vocabulary prompt for Whisper.
"""
from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, TypeVar

from lecture_notes.backends.base import Transcriber
from lecture_notes.core.cachekey import backend_key, code_hash, make_key
from lecture_notes.core.errors import BackendError
from lecture_notes.core.types import Segment, Transcript, Word

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
SIDECAR_EXTS = (".srt", ".vtt")
_LANG_TAG_RE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*$")
_NORM_RE = re.compile(r"[^\w']+", re.UNICODE)
T = TypeVar("T")


def transcribe(audio: Any, backend: Transcriber, *, language: Optional[str] = None,
               initial_prompt: Optional[str] = None,
               progress: Optional[Callable[[float], None]] = None) -> Transcript:
    """Transcribe mono 16 kHz ``audio`` with ``backend`` and return a cleaned Transcript.

    ``progress`` receives seconds of audio done. Raises BackendError if the backend returns something
    that is not a Transcript.
    """
    duration = len(audio) / SAMPLE_RATE if hasattr(audio, "__len__") else None
    result = backend.transcribe(audio, language=language, initial_prompt=initial_prompt, progress=progress)
    if not isinstance(result, Transcript):
        raise BackendError(f"ASR backend {getattr(backend, 'name', backend)!r} returned {type(result).__name__}, "
                           f"not a Transcript; fix the backend's transcribe()")
    segments = clean_segments(result.segments, duration=duration)
    dropped = len(result.segments) - len(segments)
    if dropped:
        log.info("transcript cleanup dropped %d empty or repeated segments", dropped)
    return Transcript(segments=tuple(segments), language=result.language or language or "en", source=result.source)


def transcribe_blocks(blocks: Iterable[Tuple[float, Any]], backend: Transcriber, *,
                      language: Optional[str] = None, initial_prompt: Optional[str] = None,
                      duration: Optional[float] = None,
                      progress: Optional[Callable[[float], None]] = None) -> Transcript:
    """Transcribe consecutive audio blocks ``(offset_seconds, samples)`` (e.g. `audio.iter_audio_blocks`) and
    return one cleaned Transcript on the whole recording's clock.

    Each block goes to ``backend`` on its own, so only one block of audio is in memory at a time; segment
    and word times are shifted by the block's offset. The language found in the first block is kept for
    the rest (a lecture does not switch language at a block boundary). ``duration`` (seconds; default: the
    end of the last block) bounds the times; ``progress`` receives seconds of audio done.
    """
    segments: List[Segment] = []
    detected: Optional[str] = None
    source = ""
    end = 0.0
    for offset, samples in blocks:
        offset = float(offset)
        length = len(samples) / SAMPLE_RATE
        block_progress = None
        if progress is not None:
            block_progress = (lambda done, _o=offset, _l=length: progress(_o + min(float(done), _l)))
        result = backend.transcribe(samples, language=language or detected, initial_prompt=initial_prompt,
                                    progress=block_progress)
        if not isinstance(result, Transcript):
            raise BackendError(f"ASR backend {getattr(backend, 'name', backend)!r} returned "
                               f"{type(result).__name__}, not a Transcript; fix the backend's transcribe()")
        if detected is None and result.segments:
            detected = result.language or None
        source = source or result.source
        for seg in result.segments:
            # replace() keeps Whisper's segment statistics (avg_logprob, ...) that the confidence marks use.
            segments.append(replace(seg, start=seg.start + offset, end=seg.end + offset,
                                    words=tuple(replace(w, start=w.start + offset, end=w.end + offset)
                                                for w in seg.words)))
        end = offset + length
        del samples, result
        if progress is not None:
            progress(end)
    total = end if duration is None else float(duration)
    cleaned = clean_segments(segments, duration=max(total, end))
    dropped = len(segments) - len(cleaned)
    if dropped:
        log.info("transcript cleanup dropped %d empty or repeated segments", dropped)
    return Transcript(segments=tuple(cleaned), language=detected or language or "en",
                      source=source or f"asr:{getattr(backend, 'name', 'asr')}")


def clean_segments(segments: Iterable[Segment], *, duration: Optional[float] = None) -> List[Segment]:
    """Sort, clamp and de-loop segments: times within [0, duration], starts non-decreasing, end >= start,
    no empty text, in-segment phrase loops collapsed, runs of identical segments reduced to one."""
    out: List[Segment] = []
    for seg in sorted(segments, key=lambda s: (s.start, s.end)):
        start, end = _clamp(seg.start, duration), _clamp(seg.end, duration)
        if out and start < out[-1].start:
            start = out[-1].start
        end = max(end, start)
        text = collapse_repeats_text(seg.text.strip())
        if not text:
            continue
        words = collapse_repeats(_clean_words(seg.words, start, end), key=lambda w: _norm(w.word))
        out.append(replace(seg, start=start, end=end, text=text, words=tuple(words)))
    return [fix_articles(seg) for seg in mend_piece_breaks(_drop_segment_loops(out))]


# "a" before a vowel sound: speech recognition writes "a immunological memory" where the speaker said "an"
# (or no article); only lowercase words starting with a, e, i or o, minus those spoken with a consonant sound.
_A_BEFORE_VOWEL = re.compile(r"\b([Aa]) (?=(?!eu|ewe|one\b|once\b|oui)[aeio][a-z])")


def fix_articles(segment: Segment) -> Segment:
    """'a immunological memory' -> 'an immunological memory', in the text and in the word list."""
    text = _A_BEFORE_VOWEL.sub(lambda m: m.group(1) + "n ", segment.text)
    if text == segment.text:
        return segment
    words = list(segment.words)
    for i in range(len(words) - 1):
        w, nxt = words[i].word.strip(), words[i + 1].word.strip()
        if w in ("a", "A") and _A_BEFORE_VOWEL.match(f"{w} {nxt}"):
            words[i] = replace(words[i], word=words[i].word.replace(w, w + "n"))
    return replace(segment, text=text, words=tuple(words))


# A connective that takes a comma when it continues the previous clause ("divide rapidly, and many ...").
_COMMA_BEFORE = frozenset({"and", "but", "or", "so", "yet", "which", "whereas"})
_ABBREVIATION = re.compile(r"(?:[A-Za-z]\.){2,}|(?:Dr|Mr|Mrs|Ms|Prof|St|vs|etc|al|approx|No)\.")


def mend_piece_breaks(segments: Sequence[Segment]) -> List[Segment]:
    """Remove the full stop that speech recognition puts at the end of a piece of audio cut mid-sentence.

    Whisper decodes each VAD piece (or 30-s window) on its own and ends it with a period, so "The activated B
    cells divide rapidly, and many of them become plasma cells." comes back as "... divide rapidly." +
    "and many of them ...": one sentence with a stray period that the sentence splitter keeps. When the next
    segment starts with a lowercase word, the period is dropped (a comma before "and", "but", ...).
    """
    out = list(segments)
    for i in range(len(out) - 1):
        text, nxt = out[i].text, out[i + 1].text.lstrip()
        if not (text.endswith(".") and not text.endswith("..") and nxt[:1].islower()):
            continue
        first = nxt.split(None, 1)[0].strip(",;:").lower()
        if first in {"e.g", "i.e", "etc"} or _ABBREVIATION.fullmatch(text.rsplit(None, 1)[-1]):
            continue
        if len(re.split(r"(?<=[.!?])\s+", text)[-1].split()) <= 2:  # "Yes." / "Okay." stand on their own
            continue
        mark = "," if first in _COMMA_BEFORE else ""
        words = list(out[i].words)
        if words and words[-1].word.rstrip().endswith("."):
            last = words[-1]
            words[-1] = replace(last, word=last.word.rstrip()[:-1] + mark)
        out[i] = replace(out[i], text=text[:-1] + mark, words=tuple(words))
    return out


def _clamp(t: float, duration: Optional[float]) -> float:
    t = max(0.0, float(t))
    return min(t, duration) if duration is not None else t


def _clean_words(words: Sequence[Word], start: float, end: float) -> List[Word]:
    out: List[Word] = []
    for w in sorted(words, key=lambda w: w.start):
        if not w.word.strip():
            continue
        ws = min(max(w.start, start, out[-1].start if out else start), end)
        out.append(replace(w, start=ws, end=min(max(w.end, ws), end)))
    return out


def _norm(token: str) -> str:
    return _NORM_RE.sub("", token.lower())


def collapse_repeats(items: Sequence[T], key: Callable[[T], str] = lambda x: x, max_len: int = 8) -> List[T]:
    """Keep one (the last) copy of a phrase (1..max_len items) repeated back to back: 3+ times for phrases of two or
    more items, 4+ times for single items (people say "very, very" or "no, no, no"; Whisper loops longer)."""
    keys = [key(x) for x in items]
    out: List[T] = []
    out_keys: List[str] = []
    i = 0
    while i < len(items):
        skipped = False
        for n in range(1, max_len + 1):
            phrase = keys[i:i + n]
            if len(phrase) < n or not any(phrase):
                break
            reps = 1
            while keys[i + reps * n:i + (reps + 1) * n] == phrase:
                reps += 1
            if reps >= (4 if n == 1 else 3):
                last = i + (reps - 1) * n  # the last copy carries the sentence's closing punctuation
                out.extend(items[last:last + n])
                out_keys.extend(phrase)
                i += reps * n
                skipped = True
                break
        if not skipped:
            out.append(items[i])
            out_keys.append(keys[i])
            i += 1
    return out


def collapse_repeats_text(text: str) -> str:
    """``collapse_repeats`` on the words of ``text``, comparing them without case and punctuation."""
    tokens = text.split()
    kept = collapse_repeats(tokens, key=_norm)
    return " ".join(kept) if len(kept) != len(tokens) else text


def _drop_segment_loops(segments: List[Segment]) -> List[Segment]:
    """Reduce runs of segments with the same text: a run of 3+, or of 2 when the text has 4+ words."""
    out: List[Segment] = []
    i = 0
    while i < len(segments):
        key = _norm_text(segments[i].text)
        j = i + 1
        while j < len(segments) and _norm_text(segments[j].text) == key:
            j += 1
        run = j - i
        if run >= 3 or (run == 2 and len(key.split()) >= 4):
            log.debug("dropping %d repeats of %r at %.1f s", run - 1, segments[i].text, segments[i].start)
            out.append(segments[i])
        else:
            out.extend(segments[i:j])
        i = j
    return out


def _norm_text(text: str) -> str:
    return " ".join(_norm(t) for t in text.split() if _norm(t))


def find_sidecar(input_path: Any, *, language: Optional[str] = None) -> Optional[Path]:
    """Subtitle file beside a media file: ``lecture.srt``, ``lecture.vtt``, else ``lecture.<lang>.srt/.vtt``.

    Among language-tagged files, ``language`` (if given) wins, then English, then the first by name.
    Returns None when there is none.
    """
    path = Path(input_path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        return None
    stem = path.stem
    exact: List[Path] = []
    tagged: List[Tuple[int, str, Path]] = []
    for cand in sorted(folder.iterdir()):
        ext = cand.suffix.lower()
        if ext not in SIDECAR_EXTS or not cand.is_file():
            continue
        cstem = cand.name[:-len(ext)]
        if cstem == stem:
            exact.append(cand)
        elif cstem.startswith(stem + ".") and _LANG_TAG_RE.match(cstem[len(stem) + 1:]):
            tag = cstem[len(stem) + 1:].lower().replace("_", "-")
            base = tag.split("-")[0]
            rank = 0 if language and base == language.lower() else 1 if base == "en" else 2
            tagged.append((rank, cand.name, cand))
    if exact:
        return sorted(exact, key=lambda p: SIDECAR_EXTS.index(p.suffix.lower()))[0]
    if tagged:
        return min(tagged)[2]
    return None


# ---------------------------------------------------------------------------------------------- slide prompt

_STOP = frozenset("""a an the and or but if then else of to in on at by for with from as into onto over under
about above below between through during before after is are was were be been being am do does did have has had
this that these those it its they them their there here we you your our i he she his her him me my mine not no
yes can could will would should may might must shall so such than too very just also only more most less least
all any each every some many much few other another same own both either neither what which who whom whose when
where why how one two three four five six seven eight nine ten first second third next last new use used using
example examples e.g i.e etc vs via per slide slides page today lecture introduction overview summary outline
questions question agenda recap conclusion conclusions part chapter section thanks thank note notes key points
point topic topics figure fig table see let lets""".split())
_TOKEN_RE = re.compile(r"[A-Za-z][A-Za-z0-9'’\-]*[A-Za-z0-9]|[A-Za-z]")


def _is_distinctive(token: str, *, first: bool = False) -> bool:
    low = token.lower().strip("'’-")
    if len(low) < 3 or low in _STOP:
        return False
    return (any(c.isdigit() for c in token) or "-" in token or sum(c.isupper() for c in token) >= 2
            or (token[0].isupper() and not first) or len(low) >= 8)


def _term_rank(term: str) -> int:
    """0: names, acronyms, symbols (what Whisper most often misspells); 1: capitalised words; 2: long words."""
    if " " in term or "-" in term or any(c.isdigit() for c in term) or sum(c.isupper() for c in term) >= 2:
        return 0
    return 1 if term[0].isupper() else 2


def _title_case(title: str) -> str:
    letters = [c for c in title if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 4:
        return title.title()  # SHOUTED slide titles would make Whisper shout too
    return title


def _clean_title(title: str) -> str:
    title = re.sub(r"\s+", " ", title).strip(" .:;-–•*·|")
    if sum(c.isalpha() for c in title) < 3:
        return ""
    return _title_case(title)


def _terms(text: str) -> List[str]:
    """Distinctive single terms and capitalised multi-word names from one slide's body text."""
    terms: List[str] = []
    for line in text.splitlines():
        tokens = [re.sub(r"['’]s$", "", t) for t in _TOKEN_RE.findall(line)]
        i = 0
        while i < len(tokens):
            j = i
            while j < len(tokens) and tokens[j][0].isupper() and tokens[j].lower() not in _STOP:
                j += 1
            if 2 <= j - i <= 4:  # "Hamilton Rule", "Open Yale Courses": keep names whole
                terms.append(" ".join(tokens[i:j]))
                i = j
                continue
            for k in range(i, max(j, i + 1)):  # longer capitalised runs are Title Case lines, not names
                if _is_distinctive(tokens[k], first=k == 0):
                    terms.append(tokens[k])
            i = max(j, i + 1)
    return terms


def slide_prompt(slides: Sequence[Any], max_chars: int = 600) -> str:
    """A natural-language vocabulary prompt for Whisper from slide titles and text.

    Titles come first (de-duplicated, in slide order), then distinctive terms (names, acronyms, technical and
    long words) ranked by how many slides use them. Returns "" when the slides carry no usable text.
    """
    titles: List[str] = []
    seen: set = set()
    counts: dict = {}
    first_at: dict = {}
    for i, slide in enumerate(slides):
        title = _clean_title(str(getattr(slide, "title", "") or ""))
        if title and title.lower() not in seen:
            seen.add(title.lower())
            titles.append(title)
        body = slide if isinstance(slide, str) else str(getattr(slide, "text", "") or "")
        for term in dict.fromkeys(_terms(body)):
            key = term.lower()
            counts[key] = counts.get(key, 0) + 1
            first_at.setdefault(key, (i, term))
    title_words = {w.lower() for t in titles for w in _TOKEN_RE.findall(t)}
    ranked = sorted(counts, key=lambda k: (-counts[k], _term_rank(first_at[k][1]), first_at[k][0]))
    terms = [first_at[k][1] for k in ranked if k not in seen and k not in title_words]
    parts: List[str] = []
    used = 0

    def add(piece: str) -> bool:
        nonlocal used
        if used + len(piece) + 1 > max_chars:
            return False
        parts.append(piece)
        used += len(piece) + 1
        return True

    if titles and add(f"This lecture covers {titles[0]}."):
        for t in titles[1:]:
            if not add(f"{t}."):
                break
    if terms:
        head = "Terms:"
        if used + len(head) + len(terms[0]) + 3 <= max_chars:
            listed: List[str] = []
            for term in terms:
                candidate = f"{head} {', '.join(listed + [term])}."
                if used + len(candidate) + 1 > max_chars:
                    break
                listed.append(term)
            if listed:
                add(f"{head} {', '.join(listed)}.")
    return " ".join(parts)


def cache_key(sha: str, *, asr: Any, asr_options: Dict[str, Any], language: Optional[str],
              prompt: Optional[str]) -> str:
    """Key of the transcript stage: the input, the ASR backend actually used (``registry.BackendInfo``), its
    options and code, the language and the slide prompt."""
    code = code_hash("lecture_notes.stages.transcribe", "lecture_notes.stages.audio", "lecture_notes.stages.media")
    return make_key("transcript", code, sha, backend_key(asr), asr_options, language, prompt)
