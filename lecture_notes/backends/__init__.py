"""Backends (ASR, OCR, embeddings, note writers, vision) behind small ABCs and one registry."""
from lecture_notes.backends.base import Backend, Embedder, NoteWriter, OcrEngine, Transcriber, VisionDescriber
from lecture_notes.backends.registry import available, create, register

__all__ = ["Backend", "Transcriber", "OcrEngine", "Embedder", "NoteWriter", "VisionDescriber",
           "register", "create", "available"]
