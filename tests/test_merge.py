"""Merge stage: lecture summary, chapters with their notes, cross-chunk de-duplication and the glossary."""
from __future__ import annotations

import pytest

from lecture_notes.backends.extractive import ExtractiveNoteWriter
from lecture_notes.stages.merge import dedup_chunk_notes, merge_notes, summary_words
from lecture_notes.text.summarize import is_nounish, tighten
from lecture_notes.stages.notes import write_notes
from lecture_notes.core.types import (ChapterSpan, ChunkNotes, QAPair, Segment, Slide, SourceInfo, TimedText,
                                 Transcript)

from test_notes import VACCINE_LINES, HashEmbedder, norm, vaccine_chunk

SECOND = [
    "Today we turn to the history of smallpox eradication and the first vaccine.",
    "Edward Jenner noticed that milkmaids who caught cowpox did not catch smallpox.",
    "Variolation is the older practice of infecting people with material from smallpox sores.",
    "Jenner used cowpox material because it protected against smallpox with far less risk.",
    "The World Health Organization declared smallpox eradicated in 1980 after a global campaign.",
    "Ring vaccination means vaccinating the contacts of every new case to contain an outbreak.",
    "Surveillance teams searched villages for cases and vaccinated everyone around them.",
    "An antigen is a molecule that triggers an immune response in the body.",
    "Smallpox had no animal reservoir, therefore eradication was possible once transmission stopped.",
    "Eradication campaigns need reliable cold chains to keep vaccines potent in hot climates.",
    "Polio is the next disease that health agencies hope to eradicate worldwide.",
    "Global cooperation during the cold war made the smallpox campaign possible.",
]


@pytest.fixture(scope="module")
def lecture():
    emb = HashEmbedder()
    chunks = [vaccine_chunk(0, 0.0), vaccine_chunk(1, 100.0, SECOND)]
    sentences = [s for c in chunks for s in c.sentences]
    cn = write_notes(chunks, ExtractiveNoteWriter(embedder=emb))
    chapters = [ChapterSpan(0.0, 100.0, "Vaccines"), ChapterSpan(100.0, 200.0, "Smallpox eradication")]
    slide = Slide(110.0, 150.0, "slides/slide-001.jpg", "Smallpox eradication", "Smallpox", 0.9)
    tr = Transcript(tuple(Segment(s.start, s.end, s.text) for s in sentences))
    notes = merge_notes(cn, chapters, sentences, [slide], emb, title="Vaccines", transcript=tr,
                        source=SourceInfo("lecture.mp4", 200.0, "abc"), created="2026-01-01")
    return cn, notes


def test_lecture_summary_is_an_ordered_overview_covering_every_chapter(lecture):
    _, notes = lecture
    text = notes.summary
    # No template glue: every sentence is the lecturer's own (a preview turned into the third person).
    for glue in ("The lecture begins with", "then turns to", "Next, it discusses", "Finally, it touches on"):
        assert glue not in text
    assert 15 <= len(text.split()) <= summary_words(200.0) == 60
    both = {norm(s) for s in SECOND} & {norm(s) for s in VACCINE_LINES}  # said in both chapters: ambiguous
    second = {norm(s) for s in SECOND} - both
    first = {norm(s) for s in VACCINE_LINES} - both
    sents = [norm(s) for s in text.split(". ") if s.strip()]
    hit1 = [k for k, s in enumerate(sents) if any(s in f for f in first)]
    hit2 = [k for k, s in enumerate(sents) if any(s in f for f in second)]
    assert hit1 and hit2 and max(hit1) < min(hit2)  # one transcript sentence per chapter, in lecture order
    assert text.startswith("The lecture talks about vaccines and the immune system.")  # the lecturer's preview


def test_plain_extractive_summary_without_template():
    emb = HashEmbedder()
    chunk = vaccine_chunk()
    cn = write_notes([chunk], ExtractiveNoteWriter(embedder=emb))
    notes = merge_notes(cn, [], list(chunk.sentences), [], emb, title="T", transcript=Transcript(()),
                        source=SourceInfo("x", 96.0, ""), lead=False)
    assert "The lecture" not in notes.summary
    lines = {norm(s) for s in VACCINE_LINES}
    assert all(any(norm(s) in f for f in lines) for s in notes.summary.split(". ") if s.strip())


def test_overview_length():
    assert summary_words(60.0) == 60 and summary_words(1800.0) == 105 and summary_words(3 * 3600.0) == 120


def test_tighten_keeps_the_verbatim_core_of_a_sentence():
    assert tighten("In fact, I think that vaccines train the immune system to recognise a pathogen.", 22) == \
        "Vaccines train the immune system to recognise a pathogen."
    assert tighten("I want to begin by talking about the life of Machiavelli in Florence.", 22) == \
        "The life of Machiavelli in Florence."
    long = ("Kin selection explains why helpers at the nest raise their siblings, and it also explains alarm calls "
            "in ground squirrels that warn relatives about predators nearby.")
    assert tighten(long, 15) == "Kin selection explains why helpers at the nest raise their siblings."
    assert tighten("One two three four five six seven eight nine ten eleven twelve thirteen fourteen.", 10) is None
    text = "the mind and the body are distinct, the soul exists"
    assert is_nounish("mind", text) and is_nounish("Morning Star", text) and not is_nounish("exists", text)


def test_chapters_carry_the_notes_and_slides_inside_their_span(lecture):
    cn, notes = lecture
    assert [c.title for c in notes.chapters] == ["Vaccines", "Smallpox eradication"]
    for c in notes.chapters:
        assert c.summary
        assert all(c.start <= k.start < c.end for k in c.key_points)
        assert all(c.start <= q.start < c.end for q in c.qa)
    assert notes.chapters[0].slides == () and len(notes.chapters[1].slides) == 1
    assert sum(len(c.key_points) for c in notes.chapters) == sum(len(n.key_points) for n in notes.chunks)
    assert notes.created == "2026-01-01" and notes.title == "Vaccines"


def test_repeated_question_across_chunks_is_removed(lecture):
    cn, notes = lecture
    before = [q.question for n in cn for q in n.qa]
    assert before.count("What is an antigen?") == 2  # both chunks define "antigen"
    after = [q.question for c in notes.chapters for q in c.qa]
    assert after.count("What is an antigen?") == 1
    assert len({norm(q) for q in after}) == len(after)
    assert dict(notes.stats)["duplicates_removed"] >= 1


def test_dedup_uses_embedding_similarity_and_normalised_text():
    emb = HashEmbedder()
    a = ChunkNotes(0, 10, (), (TimedText("Vaccines train the immune system.", 1, 2),
                               TimedText("Smallpox was eradicated in 1980.", 3, 4)),
                   (QAPair("What is an antigen?", "a molecule", "definition", 1, 2),))
    b = ChunkNotes(10, 20, (), (TimedText("vaccines train the immune system!", 11, 12),
                                TimedText("Vaccines train the immune system", 13, 14),
                                TimedText("Polio is next.", 15, 16)),
                   (QAPair("What is an antigen ?", "a molecule", "definition", 11, 12),
                    QAPair("What is an antibody?", "a protein that binds one antigen", "definition", 13, 14)))
    out, removed = dedup_chunk_notes([a, b], emb)
    assert [k.text for k in out[1].key_points] == ["Polio is next."]
    assert [q.question for q in out[1].qa] == ["What is an antibody?"]
    assert removed == 3
    assert out[0] == a


def test_glossary_has_defined_terms_sorted_with_their_sentence(lecture):
    _, notes = lecture
    terms = [g.term for g in notes.glossary]
    assert "antigen" in terms and "antibody" in terms and "variolation" in terms.__str__().lower()
    assert terms == sorted(terms, key=str.casefold)
    assert len(terms) == len({t.lower() for t in terms})
    g = next(g for g in notes.glossary if g.term == "antigen")
    assert g.definition == "An antigen is a molecule that triggers an immune response in the body."
    assert g.start in (6.0, 142.0)
    assert all(t.lower() not in {"it", "this", "that"} for t in terms)


def test_no_chapters_gives_one_chapter():
    emb = HashEmbedder()
    chunk = vaccine_chunk()
    cn = write_notes([chunk], ExtractiveNoteWriter(embedder=emb))
    notes = merge_notes(cn, [], list(chunk.sentences), [], emb, title="T", transcript=Transcript(()),
                        source=SourceInfo("x", 96.0, ""))
    assert len(notes.chapters) == 1 and notes.chapters[0].key_points == cn[0].key_points


@pytest.mark.slow
def test_merge_with_real_minilm():
    from lecture_notes.backends.minilm import MiniLMEmbedder

    emb = MiniLMEmbedder()
    chunks = [vaccine_chunk(0, 0.0), vaccine_chunk(1, 100.0, SECOND)]
    sentences = [s for c in chunks for s in c.sentences]
    cn = write_notes(chunks, ExtractiveNoteWriter(embedder=emb))
    notes = merge_notes(cn, [ChapterSpan(0, 100, "Vaccines"), ChapterSpan(100, 200, "Smallpox")], sentences, [],
                        emb, title="Vaccines", transcript=Transcript(()), source=SourceInfo("x", 200.0, ""))
    qs = [norm(q.question) for c in notes.chapters for q in c.qa]
    assert len(qs) == len(set(qs)) and qs.count(norm("What is an antigen?")) == 1
    assert 20 <= len(notes.summary.split()) <= 110
    assert any(g.term == "antigen" for g in notes.glossary)


def test_continued_slide_title_does_not_leak_into_the_overview():
    emb = HashEmbedder()
    chunks = [vaccine_chunk(0, 0.0), vaccine_chunk(1, 100.0, SECOND)]
    sentences = [s for c in chunks for s in c.sentences]
    cn = write_notes(chunks, ExtractiveNoteWriter(embedder=emb))
    chapters = [ChapterSpan(0.0, 100.0, "Immunity"), ChapterSpan(100.0, 200.0, "Immunity (cont.)")]
    slides = [Slide(2.0, 60.0, "slides/slide-001.jpg", "Immunity", "Immunity", 0.9),
              Slide(101.0, 160.0, "slides/slide-002.jpg", "Immunity (cont.)", "Immunity (cont.)", 0.9)]
    tr = Transcript(tuple(Segment(s.start, s.end, s.text) for s in sentences))
    notes = merge_notes(cn, chapters, sentences, slides, emb, title="Vaccines", transcript=tr,
                        source=SourceInfo("lecture.mp4", 200.0, "abc"))
    assert "(cont" not in notes.summary and "begins with immunity" not in notes.summary
    assert notes.summary.startswith("The lecture talks about vaccines")
