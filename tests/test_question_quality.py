"""Questions worth publishing: cloze blanks only on terms worth learning, nothing built on ASR garble, one key point
per meaning. Real text from the sample lecture (samples/lecture_script.json and its tiny.en transcript)."""
from dataclasses import replace

import numpy as np
import pytest

from lecture_notes.backends.extractive import ExtractiveNoteWriter
from lecture_notes.core.types import Chapter, ChunkNotes, QAPair, TimedText, Transcript
from lecture_notes.stages.merge import dedup_chunk_notes
from lecture_notes.text import confidence as conf
from lecture_notes.text import questions as qt
from lecture_notes.text.dedup import same_point, stems
from notes_factory import make_notes
from test_notes import VACCINE_LINES, HashEmbedder, vaccine_chunk
from test_vocab import LIVE, SLIDE2

SAMPLE = [  # spoken on the sample at 56-108 s
    "A vaccine is a preparation that presents an antigen to the body without causing the disease.",
    "Live attenuated vaccines use a weakened form of the pathogen that cannot cause illness in healthy people.",
    "Inactivated vaccines use a pathogen that has been killed with heat or chemicals.",
    "Messenger RNA vaccines take a different route.",
    "They deliver instructions that tell our own cells to build one viral protein for a short time.",
    "Many vaccines also contain an adjuvant.",
    "An adjuvant is an ingredient that amplifies the alarm signal.",
]


def test_cloze_targets_keep_terms_and_drop_generic_words():
    topic = qt.topic_words(SAMPLE)
    assert topic[0] == "vaccine"
    phrases = ["vaccines", "cells", "the disease", "adjuvant", "viral protein", "messenger RNA vaccines",
               "pathogen", "the body", "alarm signal", "the main point"]
    got = qt.cloze_targets(phrases, defined=["a vaccine", "an adjuvant"], topic=topic)
    assert got == ["adjuvant", "viral protein", "messenger RNA vaccines", "pathogen", "alarm signal"]
    # A defined term is blanked even when it is not rare; a topic word never.
    assert qt.cloze_targets(["pathogen", "antigen"], defined=["pathogen"], topic=topic) == ["pathogen", "antigen"]
    assert qt.cloze_targets(["vaccine"], defined=["vaccine"], topic=topic) == []


def test_writer_cloze_cards_blank_only_terms():
    notes = ExtractiveNoteWriter(embedder=HashEmbedder(), max_qa=8).write(vaccine_chunk())
    topic = qt.topic_words(VACCINE_LINES)
    cloze = [q for q in notes.qa if q.kind == "cloze"]
    for q in cloze:
        bare = qt._bare(q.answer).lower()
        assert bare not in {"vaccines", "vaccine", "cells", "disease", "immune system"} | set(topic), q
        assert len(bare.split()) >= 2 or qt.cloze_targets([bare], topic=topic), q


def test_garbled_answers_are_recognised():
    assert qt.garbled("An anedjuva is an ingredient that amplifies the alarm signal")
    assert qt.garbled("Live-attenduated vaccines use a weak and form of the pathogen")
    assert not qt.garbled("An adjuvant is an ingredient that amplifies the alarm signal")
    assert not qt.garbled("Professor Saltzman shows CT images")  # names and acronyms are not judged
    assert not qt.garbled("the anedjuva slide", known=["anedjuva"])  # what the slide itself says


def test_questions_with_garbled_answers_are_dropped():
    base = make_notes()
    qa = (QAPair("What do live-attenduated vaccines use?", "a weak and form of the pathogen", "concept", 69.85,
                 75.19, ),
          QAPair("What does an adjuvant amplify?", "the alarm signal", "concept", 98.71, 103.03))
    asr = Transcript((replace(LIVE, words=tuple(replace(w, probability=0.99) for w in LIVE.words)),),
                     source="asr:tiny.en")
    ch = Chapter(56.0, 160.0, "What a Vaccine Contains", "", qa=qa, slides=(SLIDE2,))
    notes = replace(base, chapters=(ch,), chunks=(ChunkNotes(56.0, 160.0, (), (), qa),), transcript=asr)
    out, dropped = conf.annotate(notes)
    assert [q.question for q in out.chapters[0].qa] == ["What does an adjuvant amplify?"] and dropped == 1
    # From human captions nothing is 'garbled': a rare word there is the lecturer's.
    out, dropped = conf.annotate(replace(notes, transcript=replace(asr, source="file:captions.vtt")))
    assert dropped == 0


# MiniLM (all-MiniLM-L6-v2) cosines measured for the sample's slide bullets against what the narrator says.
PAIRS = [
    ("Adjuvants amplify the alarm signal",
     "An adjuvant is an ingredient that amplifies the alarm signal, because a purified protein on its own often "
     "looks too harmless.", 0.758, True),
    ("Plasma cells secrete antibodies",
     "Plasma cells are factories that secrete thousands of antibodies every second.", 0.785, True),
    ("Booster doses refresh and refine memory",
     "This is why booster doses help: each one refreshes and refines the memory.", 0.912, True),
    ("Killer T cells destroy infected cells", "Helper T cells activate matching B cells.", 0.561, False),
    ("The secondary response is faster and stronger", "The primary response takes a week or two.", 0.535, False),
]


@pytest.mark.parametrize("a,b,sim,same", PAIRS)
def test_slide_bullet_and_spoken_sentence_are_one_point(a, b, sim, same):
    assert same_point(a, b, sim) is same


def test_stems_match_inflections():
    assert stems("Adjuvants amplify the alarm signal") <= stems("An adjuvant amplifies the alarm signals")
    assert "antibody" in stems("antibodies")


class _Fixed:
    """An embedder giving the measured MiniLM cosine between a bullet and its spoken sentence."""

    def __init__(self, sims):
        self.sims = sims

    def embed(self, texts):
        n = len(texts)
        m = np.eye(n, dtype=np.float32)
        for i in range(n):
            for j in range(n):
                if i != j:
                    m[i, j] = self.sims.get((texts[i], texts[j]), self.sims.get((texts[j], texts[i]), 0.1))
        # rows whose Gram matrix is m: Cholesky of the (positive definite) similarity matrix
        return np.linalg.cholesky(m.astype(np.float64))


def test_merge_keeps_one_of_a_bullet_and_its_sentence():
    a, b, sim, _ = PAIRS[0]
    c, d, sim2, _ = PAIRS[3]
    kps = (TimedText(a, 98.7, 103.0), TimedText(b, 98.7, 103.0), TimedText(c, 150.0, 153.0),
           TimedText(d, 140.0, 144.0))
    out, removed = dedup_chunk_notes([ChunkNotes(56.0, 160.0, (), kps, ())], _Fixed({(a, b): sim, (c, d): sim2}))
    assert [k.text for k in out[0].key_points] == [a, c, d] and removed == 1


@pytest.mark.slow
def test_same_point_with_real_minilm():
    from lecture_notes.backends.minilm import MiniLMEmbedder

    emb = MiniLMEmbedder()
    try:
        for a, b, sim, same in PAIRS:
            v = emb.embed([a, b])
            got = float(v[0] @ v[1])
            assert abs(got - sim) < 0.05
            assert same_point(a, b, got) is same
    finally:
        emb.close()
