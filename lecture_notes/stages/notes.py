"""Notes stage: run a NoteWriter over the chunks, one chunk at a time."""
from __future__ import annotations

import logging
from typing import Callable, List, Optional, Sequence

from lecture_notes.backends.base import NoteWriter
from lecture_notes.core.types import Chunk, ChunkNotes

log = logging.getLogger(__name__)


def write_notes(chunks: Sequence[Chunk], writer: NoteWriter, *,
                progress: Optional[Callable[[int, int], None]] = None) -> List[ChunkNotes]:
    """Write notes for each chunk in order with ``writer``; the previous chunk's summary is passed as context
    so a writer can avoid repeating it. ``progress(done, total)`` is called after every chunk."""
    out: List[ChunkNotes] = []
    context = ""
    total = len(chunks)
    write_many = getattr(writer, "write_many", None)
    if callable(write_many) and total > 1:
        # Batched/concurrent writers (LLMs, endpoints) are much faster given all chunks at once.
        out = list(write_many(list(chunks)))
        if progress is not None:
            progress(total, total)
        return out
    for i, chunk in enumerate(chunks):
        notes = writer.write(chunk, context=context)
        log.debug("chunk %d [%.0f-%.0f s]: %d summary, %d key points, %d questions", chunk.index, chunk.start,
                  chunk.end, len(notes.summary), len(notes.key_points), len(notes.qa))
        out.append(notes)
        context = notes.summary_text
        if progress is not None:
            progress(i + 1, total)
    return out
