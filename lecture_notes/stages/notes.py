"""Notes stage: run a NoteWriter over the chunks."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence

from lecture_notes.backends.base import NoteWriter
from lecture_notes.core.cachekey import backend_key, code_hash, make_key
from lecture_notes.core.types import Chunk, ChunkNotes


def write_notes(chunks: Sequence[Chunk], writer: NoteWriter, *,
                progress: Optional[Callable[[int, int], None]] = None) -> List[ChunkNotes]:
    """Notes for each chunk in order (``NoteWriter.write_many``: one at a time with the previous summary as
    context, or batched/concurrent for LLM writers); ``progress(done, total)`` as chunks finish."""
    return list(writer.write_many(list(chunks), progress=progress))


# Every module whose code shapes the notes cache entry (sentences, chunks, chapters, titles, overview, chunk
# notes, merge, sparse-chapter notes, confidence marks) besides the backends, which cache_key hashes as used.
# tests/test_quality_rules.py checks that the notes stage loads nothing from stages/text/backends beyond these.
CODE = ("lecture_notes.stages.chunking", "lecture_notes.stages.chapters", "lecture_notes.stages.chapter_features",
        "lecture_notes.stages.notes", "lecture_notes.stages.merge", "lecture_notes.stages.chapter_notes",
        "lecture_notes.stages.vocab", "lecture_notes.text")


def cache_key(sha: str, *, transcript: Any, slides: Any, window: float, title: str, embedder: Any,
              embedder_options: Dict[str, Any], writer: Any, writer_options: Dict[str, Any],
              fallback: Any = None) -> str:
    """Key of the notes stage: the exact transcript and slides it reads, the chunk window and title, and the
    embedder, note writer and fallback writer actually used (``registry.BackendInfo``), options and code."""
    return make_key("notes", code_hash(*CODE), sha, make_key("t", transcript), make_key("s", slides), window,
                    title, backend_key(embedder), embedder_options, backend_key(writer), writer_options,
                    backend_key(fallback))
