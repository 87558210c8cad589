"""Notes stage: run a NoteWriter over the chunks."""
from __future__ import annotations

from typing import Callable, List, Optional, Sequence

from lecture_notes.backends.base import NoteWriter
from lecture_notes.core.types import Chunk, ChunkNotes


def write_notes(chunks: Sequence[Chunk], writer: NoteWriter, *,
                progress: Optional[Callable[[int, int], None]] = None) -> List[ChunkNotes]:
    """Notes for each chunk in order (``NoteWriter.write_many``: one at a time with the previous summary as
    context, or batched/concurrent for LLM writers); ``progress(done, total)`` as chunks finish."""
    return list(writer.write_many(list(chunks), progress=progress))
