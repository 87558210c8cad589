"""Small backend ABCs: what the stages need from an ASR, OCR, embedding, note-writing or vision backend.

Every backend class declares what the registry, the config files, ``doctor`` and ``models`` need to know
about it without loading a model: its ``Options`` (a frozen dataclass; each field's ``help`` metadata is
shown by ``lecture-notes models``), the modules it ``requires`` and the ``install`` line that provides them,
whether it ``takes_device`` (``--device``), and ``check()`` for ``doctor``. Backends register in
``backends.registry`` (through the ``lecture_notes.backends`` entry-point group).
"""
from __future__ import annotations

import importlib
import importlib.util
import inspect
import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields
from typing import Any, Callable, ClassVar, Dict, List, Mapping, Optional, Sequence, Tuple

from lecture_notes.core.checks import Check
from lecture_notes.core.errors import ConfigError

log = logging.getLogger(__name__)


def option(default: Any, help: str) -> Any:  # noqa: A002 - the field metadata key users see
    """A field of a backend's ``Options`` dataclass: its default and one line of help."""
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class NoOptions:
    """A backend without options."""


class Backend(ABC):
    """Common surface: a name, ``close()`` to free memory before the next stage, and the class-level
    declarations the registry reads (see the module docstring)."""

    name: str = "backend"
    kind: ClassVar[str] = ""  # set by the ABC of each kind: asr, ocr, embedder, notes, vision
    Options: ClassVar[type] = NoOptions
    requires: ClassVar[Tuple[str, ...]] = ()  # importable modules the backend needs (optional dependencies)
    install: ClassVar[str] = ""  # the pip command that provides ``requires``
    takes_device: ClassVar[bool] = False  # receives ``--device`` / ``[build] device``
    # Options kept in BuildConfig fields instead (faster-whisper's model is ``--asr-model``): option -> field.
    config_fields: ClassVar[Mapping[str, str]] = {}
    # Modules besides those of the class hierarchy whose code shapes the output (part of cache keys).
    cache_modules: ClassVar[Tuple[str, ...]] = ()
    # The option that VALUE sets in a ``--llm/--asr/--vision NAME:VALUE`` spec.
    spec_option: ClassVar[str] = "model"
    # Objects the pipeline hands over at creation (not user options, not part of cache keys).
    collaborators: ClassVar[Tuple[str, ...]] = ()

    @classmethod
    def option_help(cls) -> Dict[str, str]:
        """Option name -> one line of help, from ``Options``. A plugin that declares no ``Options`` takes the
        keyword parameters of its constructor."""
        if cls.Options is NoOptions:
            params = inspect.signature(cls.__init__).parameters.values()
            return {p.name: "" for p in params if p.name != "self" and p.kind in (
                p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in cls.collaborators}
        return {f.name: str(f.metadata.get("help", "")) for f in fields(cls.Options)}

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        """Raise ConfigError for option names the backend does not know (listing the valid ones) and for
        values it can tell are wrong without loading anything."""
        valid = cls.option_help()
        bad = sorted(set(options) - set(valid) - set(cls.collaborators))
        if bad:
            raise ConfigError(f"unknown option(s) {', '.join(bad)} for {cls.kind} backend {cls.name!r}; valid "
                              f"options: {', '.join(sorted(valid)) or '(none)'}")

    @classmethod
    def missing_dependency(cls, *, load: bool = True) -> str:
        """Why the backend cannot run here ("" when every module in ``requires`` imports). ``load=False`` only
        looks the modules up (no import: cheap enough for validating a config)."""
        for module in cls.requires:
            try:
                if load:
                    importlib.import_module(module)
                elif importlib.util.find_spec(module) is None:
                    return f"{module} is not installed"
            except Exception as exc:  # noqa: BLE001 - any import failure means "not usable here"
                return f"{module} does not import: {exc}"
        return ""

    @classmethod
    def check(cls, options: Mapping[str, Any], *, load: bool = True) -> List[Check]:
        """``doctor`` lines for this backend with ``options``: by default, whether ``requires`` import.
        Backends with models or endpoints add their own lines."""
        label = f"{cls.kind} backend {cls.name}"
        missing = cls.missing_dependency()
        if missing:
            return [Check(label, False, missing, cls.install or "pip install " + " ".join(cls.requires))]
        return [Check(label, True, "dependencies import" if cls.requires else "built in")]

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release model memory. Safe to call twice."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release model memory. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Transcriber(Backend):
    """Speech to text. ``audio`` is mono float32 at 16 kHz."""

    kind = "asr"
    multilingual: bool = False
    word_timestamps: bool = True
    block_seconds: float = 600.0  # the pipeline decodes and transcribes audio in blocks of about this length

    @abstractmethod
    def transcribe(self, audio: Any, *, language: Optional[str] = None,
                   initial_prompt: Optional[str] = None,
                   progress: Optional[Callable[[float], None]] = None) -> Any:
        """Return a ``types.Transcript``; ``progress`` receives seconds of audio done."""


class OcrEngine(Backend):
    """Image to text lines. ``image`` is an HxWx3 uint8 RGB array."""

    kind = "ocr"

    @abstractmethod
    def read(self, image: Any) -> List[Any]:
        """Return ``types.OcrLine`` items in reading order."""


class Embedder(Backend):
    """Sentence embeddings."""

    kind = "embedder"
    dim: int = 0

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> Any:
        """Return an (N, dim) float32 numpy array of L2-normalised vectors."""


class NoteWriter(Backend):
    """Writes notes for one chunk: summary sentences, key points and Q&A, all with source times."""

    kind = "notes"
    generative: bool = False
    # The pipeline passes the lecture's embedder, and a fallback writer to generative writers.
    collaborators = ("embedder", "fallback")

    @abstractmethod
    def write(self, chunk: Any, *, context: str = "") -> Any:
        """Return ``types.ChunkNotes`` for a ``types.Chunk``."""

    def write_many(self, chunks: Sequence[Any], *, progress: Optional[Callable[[int, int], None]] = None) -> List[Any]:
        """Notes for every chunk, in order. The default writes one chunk at a time and passes the previous
        chunk's summary as context (so a writer can avoid repeating it); batched or concurrent writers
        (LLMs, endpoints) override it. ``progress(done, total)`` is called as chunks finish."""
        out: List[Any] = []
        context = ""
        for i, chunk in enumerate(chunks):
            notes = self.write(chunk, context=context)
            log.debug("chunk %d [%.0f-%.0f s]: %d summary, %d key points, %d questions", chunk.index, chunk.start,
                      chunk.end, len(notes.summary), len(notes.key_points), len(notes.qa))
            out.append(notes)
            context = notes.summary_text
            if progress is not None:
                progress(i + 1, len(chunks))
        return out

    def reduce(self, chunk_notes: Sequence[Any], chapters: Sequence[Any], *, title: str = "") -> Dict[str, Any]:
        """Lecture-level text from the chunk notes: {"summary", "chapter_titles", "chapter_summaries",
        "glossary"}; any key may be missing. The default adds nothing (an empty dict)."""
        return {}

    def stats(self) -> Dict[str, int]:
        """Counters recorded in notes.json "stats" (LLM repairs, fallbacks, ...); the default has none."""
        return {}


class VisionDescriber(Backend):
    """Describes a slide keyframe (figures, diagrams) in words."""

    kind = "vision"

    @abstractmethod
    def describe(self, image: Any, *, ocr_text: str = "") -> str:
        """Return a short description of the image."""


class Reranker(Backend):
    """Scores (query, passage) pairs for search; higher is more relevant."""

    kind = "reranker"

    @abstractmethod
    def score(self, query: str, passages: Sequence[str]) -> Any:
        """Return one float per passage."""
