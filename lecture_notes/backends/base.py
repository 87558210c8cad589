"""Small backend ABCs: what the stages need from an ASR, OCR, embedding, note-writing or vision backend.

Backends register in ``backends.registry``.
"""
from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any, Callable, List, Optional, Sequence

log = logging.getLogger(__name__)


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
