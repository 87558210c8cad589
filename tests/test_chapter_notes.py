from lecture_notes.stages.chapter_notes import fill_sparse_chapters
from lecture_notes.core.types import (Chapter, ChunkNotes, LectureNotes, QAPair, Sentence, SourceInfo, TimedText,
                                 Transcript)


class _Writer:
    """Writes one key point per sentence and one question for the first sentence of the chunk it gets."""

    def __init__(self):
        self.calls = []

    def write(self, chunk, *, context=""):
        self.calls.append((chunk.start, chunk.end))
        kps = tuple(TimedText(s.text, s.start, s.end) for s in chunk.sentences)
        s0 = chunk.sentences[0]
        qa = (QAPair(f"What about {s0.text[:10]}?", s0.text, "concept", s0.start, s0.end),)
        return ChunkNotes(chunk.start, chunk.end, kps[:1], kps, qa)


def _notes(chapters):
    return LectureNotes(title="t", source=SourceInfo("x.mp4", 100.0, "0" * 64), summary="", chapters=chapters,
                        chunks=(), glossary=(), transcript=Transcript(()))


def test_only_sparse_chapters_get_notes_of_their_own():
    sents = [Sentence(i * 10.0, i * 10.0 + 9, f"Sentence number {i} about topic {i // 5}.") for i in range(10)]
    full = Chapter(0, 50, "A", "", key_points=(TimedText("x one", 1, 2), TimedText("x two", 3, 4)),
                   qa=(QAPair("q?", "a", "definition", 1, 2),))
    sparse = Chapter(50, 100, "B", "")
    writer = _Writer()
    out = fill_sparse_chapters(_notes((full, sparse)), sents, writer)
    assert writer.calls == [(50, 100)]
    assert out.chapters[0] == full
    b = out.chapters[1]
    assert 2 <= len(b.key_points) <= 3 and len(b.qa) == 1
    assert all(50 <= k.start < 100 for k in b.key_points)


def test_duplicates_of_other_chapters_are_not_added():
    sents = [Sentence(i * 10.0, i * 10.0 + 9, f"Shared sentence {i}.") for i in range(10)]
    a = Chapter(0, 50, "A", "", key_points=tuple(TimedText(f"Shared sentence {i}.", i * 10, i * 10 + 9)
                                                for i in range(5, 8)),
                qa=(QAPair("q?", "Shared sentence 5.", "definition", 50, 59),))
    b = Chapter(50, 100, "B", "")
    out = fill_sparse_chapters(_notes((a, b)), sents, _Writer())
    texts = [k.text for k in out.chapters[1].key_points]
    assert not set(texts) & {k.text for k in a.key_points}
    assert [q.answer for q in out.chapters[1].qa] == []
