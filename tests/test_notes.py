"""Extractive note writer and the notes stage: summaries, key points and grounded questions."""
from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from lecture_notes.backends.base import Embedder
from lecture_notes.backends.extractive import ExtractiveNoteWriter
from lecture_notes.core.errors import BackendError
from lecture_notes.stages.notes import write_notes
from lecture_notes.text.questions import causal, cloze, definition, mechanism, noun_phrase_ok
from lecture_notes.text.summarize import clean_sentence, compress
from lecture_notes.core.types import Chunk, Sentence, Slide

VACCINE_LINES = [
    "Um, so, okay, today we're going to talk about vaccines and the immune system.",
    "An antigen is a molecule that triggers an immune response in the body.",
    "Vaccines work because they train the immune system to recognise a pathogen before an infection.",
    "So, uh, you know, the immune system has two arms, innate immunity and adaptive immunity.",
    "An antibody is a protein that binds to one specific antigen.",
    "Memory cells can respond quickly by producing antibodies within days of a second exposure.",
    "Herd immunity means that enough people are immune that the disease cannot spread.",
    "Look at this diagram here.",
    "Any questions so far?",
    "Inflammation leads to swelling and redness around the injection site.",
    "Live attenuated vaccines contain a weakened form of the pathogen, therefore they give long lasting immunity.",
    "Inactivated vaccines contain killed pathogens and usually need booster doses.",
    "mRNA vaccines deliver instructions that cells use to make the antigen themselves.",
    "It is really, um, really important.",
    "Adjuvants are substances that strengthen the immune response to a vaccine antigen.",
    "Vaccination of most of the population protects newborns who are too young to be vaccinated.",
]


def vaccine_chunk(index: int = 0, t0: float = 0.0, lines=VACCINE_LINES) -> Chunk:
    sents = tuple(Sentence(t0 + 6.0 * i, t0 + 6.0 * i + 5.5, s) for i, s in enumerate(lines))
    return Chunk(index, sents[0].start, sents[-1].end, sents)


class HashEmbedder(Embedder):
    """Bag-of-words hashing embedder: deterministic, fast, L2-normalised; similar wording -> similar vectors."""

    name = "hash"
    dim = 256

    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts):
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"[a-z0-9]+", t.lower()):
                w = w[:-1] if w.endswith("s") and len(w) > 3 else w
                h = int(hashlib.md5(w.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0 if (h >> 8) % 2 else -1.0
            n = np.linalg.norm(out[i])
            out[i] = out[i] / n if n > 0 else out[i]
            if n == 0:
                out[i, 0] = 1.0
        return out


def norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))

PRONOUN_START = re.compile(r"^(?:what|why|how)\s+(?:is|are|does|do|can)\s+(?:it|this|that|they|these|those|he|she)\b",
                           re.I)


@pytest.fixture(scope="module")
def notes():
    return ExtractiveNoteWriter(embedder=HashEmbedder()).write(vaccine_chunk())


def _source(chunk, start):
    return next(s for s in chunk.sentences if s.start == start)


def test_summary_is_2_to_4_cleaned_sentences_in_time_order(notes):
    chunk = vaccine_chunk()
    assert 2 <= len(notes.summary) <= 4
    starts = [s.start for s in notes.summary]
    assert starts == sorted(starts)
    for s in notes.summary:
        src = _source(chunk, s.start)
        assert s.end == src.end
        assert not re.search(r"\b(?:um|uh)\b", s.text, re.I)
        assert not s.text.lower().startswith(("so,", "okay", "um"))
        assert not s.text.endswith("?")
        assert "diagram here" not in s.text


def test_key_points_are_3_to_6_grounded_and_not_repeating_the_summary(notes):
    chunk = vaccine_chunk()
    assert 3 <= len(notes.key_points) <= 6
    summary_texts = {norm(s.text) for s in notes.summary}
    for k in notes.key_points:
        src = _source(chunk, k.start)
        assert norm(k.text) in norm(compress(clean_sentence(src.text)))
        assert norm(k.text) not in summary_texts
        assert k.text[0].isupper() and k.text.endswith(".")


def test_answers_are_spans_of_their_sentence_with_its_time(notes):
    chunk = vaccine_chunk()
    assert len(notes.qa) >= 3
    for qa in notes.qa:
        src = _source(chunk, qa.start)
        assert qa.end == src.end
        assert norm(qa.answer) and norm(qa.answer) in norm(src.text), (qa, src.text)
        assert qa.kind in {"definition", "why", "how", "cause", "cloze"}
        assert not PRONOUN_START.match(qa.question), qa.question
    assert len({norm(q.question) for q in notes.qa}) == len(notes.qa)


def test_definition_question_from_antigen_sentence(notes):
    defs = {q.question: q for q in notes.qa if q.kind == "definition"}
    assert "What is an antigen?" in defs
    assert defs["What is an antigen?"].answer == "a molecule that triggers an immune response in the body"
    assert defs["What is an antigen?"].start == 6.0


def test_templates_read_naturally_and_reject_pronoun_subjects():
    t = definition("An antigen is a molecule that triggers an immune response.")
    assert (t.question, t.answer, t.term) == ("What is an antigen?", "a molecule that triggers an immune response",
                                              "antigen")
    assert definition("It is a molecule that triggers a response.") is None
    assert definition("This is the thing that matters most here.") is None
    assert definition("The point is that we need it.") is None
    herd = definition("Herd immunity means that enough people are immune.")
    assert herd.question == "What does herd immunity mean?"
    kin = definition("Kin selection refers to helping close relatives survive.")
    assert kin.question == "What does kin selection refer to?"
    why = causal("Vaccines work because they train the immune system.")
    assert (why.question, why.answer, why.kind) == ("Why do vaccines work?", "they train the immune system", "why")
    assert causal("It works because they train the immune system.") is None
    ther = causal("The immune system remembers the pathogen, therefore the second infection is milder.")
    assert ther.question == "Why is the second infection milder?"
    assert causal("Inflammation leads to swelling and redness.").question == "What does inflammation lead to?"
    how = mechanism("Memory cells can respond quickly by producing antibodies.")
    assert (how.question, how.answer) == ("How can memory cells respond quickly?", "producing antibodies")
    c = cloze("Adjuvants are substances that strengthen the immune response.", ["immune response"])
    assert c.question == "Adjuvants are substances that strengthen _____." and c.answer == "the immune response"
    assert not noun_phrase_ok("this") and not noun_phrase_ok("it") and noun_phrase_ok("the X-ray tube")


def test_cleaning_removes_fillers_speaker_tags_and_asides():
    assert clean_sentence("Prof: Um, so, okay, the the cell, you know, divides.") == "The cell divides."
    assert clean_sentence("Professor Mark Saltzman: And X-rays pass through tissue") == "X-rays pass through tissue."
    assert compress("Machiavelli, in other words, is really a teacher -- okay -- of evil.") == \
        "Machiavelli is a teacher of evil."


def test_slide_bullets_become_key_points_at_the_sentence_that_speaks_them():
    slide = Slide(0.0, 90.0, "slides/slide-001.jpg", "Antibodies bind one specific antigen\nHerd immunity",
                  "Antibodies", 0.9)
    base = vaccine_chunk()
    chunk = type(base)(0, base.start, base.end, base.sentences, (slide,))
    out = ExtractiveNoteWriter(embedder=HashEmbedder()).write(chunk)
    bullet = [k for k in out.key_points if k.text == "Antibodies bind one specific antigen."]
    assert bullet and bullet[0].start == 24.0  # "An antibody is a protein that binds to one specific antigen."


def test_write_notes_streams_with_progress_and_context():
    seen, contexts = [], []

    class Spy(ExtractiveNoteWriter):
        def write(self, chunk, *, context=""):
            contexts.append(context)
            return super().write(chunk, context=context)

    chunks = [vaccine_chunk(0, 0.0), vaccine_chunk(1, 100.0)]
    out = write_notes(chunks, Spy(embedder=HashEmbedder()), progress=lambda d, t: seen.append((d, t)))
    assert [n.start for n in out] == [0.0, 100.0]
    assert seen == [(1, 2), (2, 2)]
    assert contexts[0] == "" and contexts[1] == out[0].summary_text


def test_tiny_and_empty_chunks_do_not_crash():
    w = ExtractiveNoteWriter(embedder=HashEmbedder())
    empty = w.write(vaccine_chunk(lines=["Um.", "Okay."]))
    assert empty.summary == () and empty.qa == ()
    small = w.write(vaccine_chunk(lines=["An antigen is a molecule that triggers an immune response.",
                                         "Vaccines work because they train the immune system well.",
                                         "Antibodies bind to antigens on the surface of pathogens."]))
    assert 1 <= len(small.summary) <= 3 and len(small.key_points) >= 1


def test_writer_requires_an_embedder():
    with pytest.raises(BackendError, match="embedder"):
        ExtractiveNoteWriter()


@pytest.mark.slow
def test_real_minilm_notes_are_grounded():
    from lecture_notes.backends.minilm import MiniLMEmbedder

    chunk = vaccine_chunk()
    out = ExtractiveNoteWriter(embedder=MiniLMEmbedder()).write(chunk)
    assert 2 <= len(out.summary) <= 4 and 3 <= len(out.key_points) <= 6
    assert all("?" not in s.text for s in out.summary)
    assert any(q.question == "What is an antigen?" for q in out.qa)
    for qa in out.qa:
        assert norm(qa.answer) in norm(_source(chunk, qa.start).text)


def test_vague_definition_subjects_are_rejected():
    # Seen on the sample lecture: "What is the last product? -> a immunological memory".
    assert definition("The last product is a immunological memory.") is None
    for vague in ("the next step", "the other thing", "the main result", "the final answer", "the same one"):
        assert not noun_phrase_ok(vague), vague
    for specific in ("the last vaccine", "the first adaptive response", "the result of natural selection",
                     "herd immunity"):
        assert noun_phrase_ok(specific), specific
    t = definition("The first vaccine is a preparation of cowpox material from a milkmaid.")
    assert t is not None and t.question == "What is the first vaccine?"


def test_slide_titles_and_short_fragments_are_not_key_points():
    # Seen on the sample lecture: OCR puts the slide title first in the slide text and it became a key point.
    slide = Slide(0.0, 90.0, "slides/slide-001.jpg",
                  "Two Lines of Defense\nAntibodies bind one specific antigen\nIntroduction to Immunology",
                  "Two Lines of Defense", 0.9)
    lines = ["Two lines of defense."] + VACCINE_LINES[1:] + ["Two arms.", "Herd immunity."]
    base = vaccine_chunk(0, 0.0, lines)
    chunk = type(base)(0, base.start, base.end, base.sentences, (slide,))
    out = ExtractiveNoteWriter(embedder=HashEmbedder()).write(chunk)
    texts = [k.text for k in out.key_points]
    assert "Antibodies bind one specific antigen." in texts  # a content bullet stays
    assert not any(norm(t) in (norm(slide.title), "introduction to immunology") for t in texts)
    assert all(len(t.split()) >= 5 or t == "Antibodies bind one specific antigen." for t in texts)
    assert 3 <= len(texts) <= 6
