"""Frozen data types exchanged between pipeline stages. All times are float seconds."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Tuple


@dataclass(frozen=True)
class MediaInfo:
    """What `media.probe` learns about an input file."""

    path: Path
    duration: float
    has_audio: bool
    has_video: bool
    width: Optional[int] = None
    height: Optional[int] = None
    fps: Optional[float] = None
    audio_codec: Optional[str] = None
    video_codec: Optional[str] = None
    title: Optional[str] = None  # the container's title tag, when the file has one


@dataclass(frozen=True, eq=False)
class Frame:
    """One sampled video frame: `image` is an HxWx3 uint8 RGB numpy array."""

    t: float
    image: Any


@dataclass(frozen=True)
class Word:
    """One recognised word; ``original`` is what ASR heard when the slide vocabulary corrected it ('' if not)."""

    start: float
    end: float
    word: str
    probability: float = 1.0
    original: str = ""


@dataclass(frozen=True)
class Segment:
    """A timed piece of transcript (an ASR segment or a subtitle cue)."""

    start: float
    end: float
    text: str
    words: Tuple[Word, ...] = ()
    # Whisper's decoding statistics for the segment (None: unknown, e.g. a subtitle file).
    avg_logprob: Optional[float] = None
    no_speech_prob: Optional[float] = None
    compression_ratio: Optional[float] = None
    speaker: str = ""  # who is speaking, when the transcript says ('' when unknown, e.g. speech recognition)


@dataclass(frozen=True)
class Transcript:
    segments: Tuple[Segment, ...]
    language: str = "en"
    source: str = ""  # e.g. "asr:tiny.en" or "file:lecture.srt"

    @property
    def text(self) -> str:
        return " ".join(s.text.strip() for s in self.segments if s.text.strip())


@dataclass(frozen=True, eq=False)
class SlideSpan:
    """A stable stretch of video showing one slide, with its keyframe (HxWx3 uint8 RGB)."""

    start: float
    end: float
    keyframe: Any
    keyframe_t: float


@dataclass(frozen=True)
class OcrLine:
    text: str
    confidence: float
    box: Tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels
    height: float = 0.0


@dataclass(frozen=True)
class Slide:
    """One detected slide: time span, saved keyframe (path relative to the output folder) and its text."""

    start: float
    end: float
    image_path: str
    text: str
    title: str
    confidence: float
    description: str = ""  # filled by a vision backend when one is configured


@dataclass(frozen=True)
class Sentence:
    start: float
    end: float
    text: str
    speaker: str = ""  # the transcript's speaker label ('' when unknown); a sentence never spans two speakers


@dataclass(frozen=True)
class Chunk:
    """A time window of the lecture, snapped to sentence boundaries."""

    index: int
    start: float
    end: float
    sentences: Tuple[Sentence, ...]
    slides: Tuple[Slide, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)


@dataclass(frozen=True)
class TimedText:
    """A summary sentence, key point or glossary definition with the span of its source; ``confidence`` is how
    sure speech recognition was of that span (1.0 when unknown, e.g. human captions)."""

    text: str
    start: float
    end: float
    confidence: float = 1.0


@dataclass(frozen=True)
class QAPair:
    question: str
    answer: str
    kind: str  # "definition", "why", "how", "cloze", "concept", "generated", ...
    start: float
    end: float
    confidence: float = 1.0  # ASR confidence of the source span (see text.confidence)


@dataclass(frozen=True)
class ChunkNotes:
    start: float
    end: float
    summary: Tuple[TimedText, ...]
    key_points: Tuple[TimedText, ...]
    qa: Tuple[QAPair, ...]
    backend: str = "extractive"

    @property
    def summary_text(self) -> str:
        return " ".join(s.text for s in self.summary)


@dataclass(frozen=True)
class ChapterSpan:
    """A topic chapter boundary decision before notes are attached."""

    start: float
    end: float
    title: str


@dataclass(frozen=True)
class Chapter:
    start: float
    end: float
    title: str
    summary: str
    key_points: Tuple[TimedText, ...] = ()
    qa: Tuple[QAPair, ...] = ()
    slides: Tuple[Slide, ...] = ()


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    definition: str
    start: float
    end: float


@dataclass(frozen=True)
class SourceInfo:
    path: str
    duration: float
    sha256: str


@dataclass(frozen=True)
class LectureNotes:
    """Everything the renderers need; rendering never touches a model."""

    title: str
    source: SourceInfo
    summary: str
    chapters: Tuple[Chapter, ...]
    chunks: Tuple[ChunkNotes, ...]
    glossary: Tuple[GlossaryEntry, ...]
    transcript: Transcript
    created: str = ""
    tags: Tuple[str, ...] = ()
    stats: Tuple[Tuple[str, Any], ...] = field(default=())  # e.g. (("llm_fallbacks", 0),)

    @property
    def slides(self) -> Tuple[Slide, ...]:
        return tuple(s for c in self.chapters for s in c.slides)
