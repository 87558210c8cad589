"""Small backend ABCs and the one registry every backend (built-in or plugin) registers in.

Built-ins register through the ``lecture_notes.backends`` entry-point group exactly as third-party
plugins do (see pyproject.toml); ``register`` is also callable directly (tests, notebooks).
An entry point's value is a ``module:attr`` factory: a callable ``factory(**options) -> backend``.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from lecture_notes.core.errors import BackendError

log = logging.getLogger(__name__)

KINDS = ("asr", "ocr", "embedder", "notes", "vision")
ENTRY_POINT_GROUP = "lecture_notes.backends"


class Backend(ABC):
    """Common surface: a name, and ``close()`` to free memory before the next stage."""

    name: str = "backend"

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release model memory. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Transcriber(Backend):
    """Speech to text. ``audio`` is mono float32 at 16 kHz."""

    multilingual: bool = False
    word_timestamps: bool = True

    @abstractmethod
    def transcribe(self, audio: Any, *, language: Optional[str] = None,
                   initial_prompt: Optional[str] = None,
                   progress: Optional[Callable[[float], None]] = None) -> Any:
        """Return a ``types.Transcript``; ``progress`` receives seconds of audio done."""


class OcrEngine(Backend):
    """Image to text lines. ``image`` is an HxWx3 uint8 RGB array."""

    @abstractmethod
    def read(self, image: Any) -> List[Any]:
        """Return ``types.OcrLine`` items in reading order."""


class Embedder(Backend):
    """Sentence embeddings."""

    dim: int = 0

    @abstractmethod
    def embed(self, texts: Sequence[str]) -> Any:
        """Return an (N, dim) float32 numpy array of L2-normalised vectors."""


class NoteWriter(Backend):
    """Writes notes for one chunk: summary sentences, key points and Q&A, all with source times."""

    generative: bool = False

    @abstractmethod
    def write(self, chunk: Any, *, context: str = "") -> Any:
        """Return ``types.ChunkNotes`` for a ``types.Chunk``."""


class VisionDescriber(Backend):
    """Describes a slide keyframe (figures, diagrams) in words."""

    @abstractmethod
    def describe(self, image: Any, *, ocr_text: str = "") -> str:
        """Return a short description of the image."""


@dataclass(frozen=True)
class BackendInfo:
    kind: str
    name: str
    factory: Callable[..., Backend]
    description: str = ""


_REGISTRY: Dict[Tuple[str, str], BackendInfo] = {}
_ENTRY_POINTS_LOADED = False


def register(kind: str, name: str, factory: Callable[..., Backend], description: str = "") -> None:
    """Register ``factory`` as backend ``name`` of ``kind`` (one of KINDS)."""
    if kind not in KINDS:
        raise BackendError(f"unknown backend kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    _REGISTRY[(kind, name)] = BackendInfo(kind, name, factory, description)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        # Entry point names are "kind.name", e.g. "asr.faster-whisper".
        kind, _, name = ep.name.partition(".")
        if (kind, name) in _REGISTRY:
            continue
        try:
            factory = ep.load()
        except Exception as exc:  # a broken plugin must not break the others
            log.warning("backend plugin %s could not be loaded: %s", ep.name, exc)
            continue
        doc = (getattr(factory, "__doc__", "") or "").strip().splitlines()
        register(kind, name, factory, doc[0] if doc else "")


def _ensure_builtins() -> None:
    # Importing the built-in module registers them even when the package is not installed
    # (running from a source checkout), so entry points are an addition, never a requirement.
    from lecture_notes.backends import builtin  # noqa: F401

    _load_entry_points()


def available(kind: str) -> List[BackendInfo]:
    """All registered backends of ``kind``, sorted by name."""
    _ensure_builtins()
    return sorted((b for (k, _), b in _REGISTRY.items() if k == kind), key=lambda b: b.name)


def create(kind: str, name: str, **options: Any) -> Backend:
    """Instantiate backend ``name`` of ``kind``; unknown names list the valid ones."""
    _ensure_builtins()
    info = _REGISTRY.get((kind, name))
    if info is None:
        valid = ", ".join(b.name for b in available(kind)) or "(none)"
        raise BackendError(f"unknown {kind} backend {name!r}; valid names: {valid}")
    from lecture_notes.runtime import model_pool

    pool = model_pool.active()  # a batch worker reuses loaded models across lectures
    if pool is not None:
        return pool.get(kind, name, options, info.factory)
    return info.factory(**options)
