"""Each rule of the overview, chapter and title quality work (issue 12 items 1-2), tested on real lecture text.

The sentences are the kind the dev lectures' captions hold (quoted in the issue or written the way lecturers speak);
nothing here reads the dev references.
"""
import sys

import numpy as np
import pytest

from lecture_notes.core.types import Sentence
from lecture_notes.stages import chapters as C
from lecture_notes.stages.merge import _chapter_summary, _Lecture
from lecture_notes.text.overview import (OverviewParams, framing_score, is_chatter, is_fragment, overview,
                                         strip_greeting, third_person_preview)
from lecture_notes.text.titles import announced_topic, chapter_title, noun_phrase
from tests.test_chunking import HashEmbedder, synthetic_lecture


# ------------------------------------------------------------------------------------------------ overview rules
def test_greeting_does_not_hide_the_framing_sentence():
    # The lost attempt dropped this sentence because of its leading "Welcome,".
    s = "Welcome, today we will look at the Stackelberg model and backward induction."
    assert strip_greeting(s) == "Today we will look at the Stackelberg model and backward induction."
    assert third_person_preview(s) == "The lecture looks at the Stackelberg model and backward induction."
    assert framing_score(s, position=0.02) == 1.0
    assert strip_greeting("Good morning, everybody. Okay, so the question is why.").startswith("The question")


@pytest.mark.parametrize("sentence, expected", [
    ("What I want to do today is talk about the politics of gender and civil rights.",
     "The lecture talks about the politics of gender and civil rights."),
    ("Today I'm going to discuss classical utilitarianism.", "The lecture discusses classical utilitarianism."),
    ("I want to begin by talking about who was Machiavelli.", "The lecture begins with who was Machiavelli."),
    ("So this is a cell.", None),
])
def test_previews_become_third_person(sentence, expected):
    assert third_person_preview(sentence) == expected


def test_framing_recaps_and_definitions_but_not_plain_sentences():
    assert framing_score("To summarize, altruism can increase an individual's fitness.", position=0.9) > 0
    assert framing_score("Kin selection is defined as selection acting through relatives.", position=0.5) > 0
    assert framing_score("The bones absorb the radiation.", position=0.1) == 0.0
    # A preview late in the lecture ("today we'll also...") is not the lecture's framing.
    assert framing_score("Today we will look at the bones.", position=0.8) == 0.0


@pytest.mark.parametrize("text", [
    "Mass of the Sun, now, 2 x 10^.",          # the dangling number
    "The lecture begins with orbit.",           # too short
    "Black hole.",                              # no verb
    "The hot, the cold, the wet and the dry in the body of a man.",  # no verb
    "The electromagnetic spectrum and the.",    # dangling end
    "Which is why the second one.",             # starts mid-clause
    'He said "the state is a.',                 # unbalanced quote
    "A couple of years later in 1965.",         # no finite verb
    "Calling on the recognition of problems in organizing black feminists.",
    "African Americans gathering together to purchase this advertisement.",
    "If we want to explain social living and cooperation.",    # subordinate clause only
    "Tell you a little bit about the idea of this paper.",      # subject cut off
    "Yeats who had seemed to stand apart from it, against them.".replace(",", ""),
])
def test_fragments_are_rejected(text):
    assert is_fragment(text)


@pytest.mark.parametrize("text", [
    "Machiavelli is the founder of the modern state and of modern political science.",
    "Kin selection explains why helpers at the nest raise their siblings.",
    "X-rays pass through soft tissue but are absorbed by bone.",
    "Shirley Chisholm declared her candidacy for president in 1972.",
    "Locke argues that property comes from labour mixed with nature.",
    "If it can help its relatives to survive, kin selection can favour the trait.",
])
def test_real_sentences_are_not_fragments(text):
    assert not is_fragment(text)


@pytest.mark.parametrize("text", [
    "There shouldn't be a silence in the room.",
    "I didn't manage to get rid of it, never mind.",
    "The midterm is next Wednesday, so please look at the problem sets.",
    "As you can see in this diagram here, the curve goes up.",
    "Last time we talked about Hobbes.",
])
def test_chatter_and_logistics(text):
    assert is_chatter(text)


def test_content_is_not_chatter():
    assert not is_chatter("The bottom billion live in countries that have been growing slowly or not at all.")


def _lecture(parts):
    """Sentences at 10 s spacing from (text, repeat) parts."""
    out, t = [], 0.0
    for text in parts:
        out.append(Sentence(t, t + 8.0, text))
        t += 10.0
    return out


LECTURE = (["Okay, good morning everyone, the problem sets are due on Friday in section.",
            "Welcome, today we will look at kin selection and the evolution of altruism.",
            "Imagine that you've got something that's in orbit, right?"]
           + [f"In case {k}, kin selection favours helping relatives who share genes." for k in range(8)]
           + ["Mass of the Sun, now, 2 x 10^."]
           + [f"Reciprocal altruism requires repeated meetings between the same partners in case {k} too." for k in range(8)]
           + ["There shouldn't be a silence in the room."])


def test_overview_reads_as_prose_in_lecture_order():
    sents = _lecture(LECTURE)
    emb = HashEmbedder()
    lec = _Lecture(sents, emb)
    sections = [(0.0, 110.0), (110.0, 230.0)]
    text = overview([s.text for s in sents], lec.texts, [s.start for s in sents], lec.score, lec.emb, sections,
                    230.0, max_words=60, params=OverviewParams())
    assert text.startswith("The lecture looks at kin selection and the evolution of altruism.")
    assert "Reciprocal altruism requires repeated meetings" in text  # one sentence from the second chapter
    for bad in ("problem sets", "2 x 10", "silence", "orbit", "The lecture begins with", "Next, it discusses"):
        assert bad not in text
    assert len(text.split()) <= 60
    assert text.index("kin selection favours") < text.index("Reciprocal altruism")


def test_chapter_summary_drops_the_greeting():
    sents = _lecture(["Welcome, today we will look at how vaccines train the immune system for years.",
                      "Vaccines train the immune system to recognise a pathogen before an infection.",
                      "Memory cells from a vaccine answer a second exposure to the pathogen within days."])
    lec = _Lecture(sents, HashEmbedder())
    summary = _chapter_summary(lec, lec.within(0.0, 100.0))
    assert "Welcome" not in summary and "Today we will look at how vaccines train" in summary


def test_chapter_summary_leaves_out_chatter():
    sents = _lecture(["There shouldn't be a silence in the room, never mind, I didn't manage to get rid of it."]
                     + [f"In case {k}, punishment keeps subordinate helpers contributing to the group." for k in range(5)])
    lec = _Lecture(sents, HashEmbedder())
    summary = _chapter_summary(lec, lec.within(0.0, 100.0))
    assert "silence" not in summary and "punishment keeps" in summary


# ------------------------------------------------------------------------------------------------ titles
@pytest.mark.parametrize("sentence, topic", [
    ("So let's turn to kin selection, which is the big idea.", "kin selection"),
    ("The next question is the origin of syphilis.", "origin of syphilis"),
    ("What is a Platonic form?", "Platonic form"),
    ("Now I want to talk a little bit about the electromagnetic spectrum.", "electromagnetic spectrum"),
    ("So that gets us into reciprocal altruism.", "reciprocal altruism"),
    ("Let's look at this.", None),
    ("I want to talk about that later.", None),
    ("Okay, let's go back to the radio for a second.", None),
    ("What I want to do in this set of lectures is explain climate sensitivity.", None),
    ("Let's turn to Plato's theory of Forms.", "Plato's theory of Forms"),
])
def test_announced_topic(sentence, topic):
    assert announced_topic([sentence]) == topic


def test_noun_phrase_stops_at_the_clause():
    assert noun_phrase("the Stackelberg model, where one firm moves first") == "Stackelberg model"
    assert noun_phrase("something else") is None


def test_title_is_one_phrase_not_two_words_glued_by_and():
    sents = [f"The firm chooses its output after the leader in the Stackelberg model, round {k}." for k in range(6)]
    sents += ["Backward induction solves the Stackelberg model from the last move."]
    background = sents + ["Cournot competition has firms choosing quantities at once."] * 3
    title = chapter_title(sents, background, set())
    assert " and " not in title.lower()
    assert "Stackelberg" in title


def test_announced_title_beats_frequent_words():
    sents = ["So let's turn to reciprocal altruism.", "Vampire bats share blood with bats that fed them before.",
             "Bats that cheat are not fed again by the bats they cheated."]
    assert chapter_title(sents, sents, set()) == "Reciprocal Altruism"


# ------------------------------------------------------------------------------------------------ chapters
def test_chapter_count_comes_from_the_lecture():
    P = C.ChapterParams(method="dp")
    three, _, _ = synthetic_lecture((600, 600, 600))
    five, starts5, _ = synthetic_lecture((360, 360, 360, 360, 360))
    n3 = len(C.find_chapters(three, [], HashEmbedder(), duration=three[-1].end, params=P))
    ch5 = C.find_chapters(five, [], HashEmbedder(), duration=five[-1].end, params=P)
    assert n3 == 3 and len(ch5) == 5
    for c, t in zip(ch5[1:], starts5[1:]):
        assert abs(c.start - t) <= 30.0


@pytest.mark.parametrize("sentence", [
    "And finally, I'll mention ocean currents.",
    "OK, now the second example was hydroboration oxidation.",
    "Let's turn back to The Norton Anthology and look at the poem.",
    "Well, what we're about to turn to is Plato's discussion of these issues.",
    "Let's turn then to their opponents, the anticontagionists.",
])
def test_transition_phrases_lecturers_use(sentence):
    assert C.cue_score(sentence) == 1.0


def test_discourse_markers_move_a_boundary_to_the_announcement():
    sents, starts, _ = synthetic_lecture((400, 400), seed=2)
    # The lecturer announces the new topic two sentences before the vocabulary changes.
    k = next(i for i, s in enumerate(sents) if s.start >= starts[1]) - 2
    sents[k] = Sentence(sents[k].start, sents[k].end, "Okay, so now let's turn to plate tectonics and the crust.")
    ch = C.find_chapters(sents, [], HashEmbedder(), duration=sents[-1].end, params=C.ChapterParams(method="dp"))
    assert len(ch) == 2 and ch[1].start == sents[k].start
    assert "Plate Tectonics" in ch[1].title


# ------------------------------------------------------------------------------------------------ cache key
def test_notes_cache_key_covers_the_code_that_makes_the_notes():
    """Every lecture_notes module the notes stage loads is hashed into its cache key (a fresh interpreter, so
    modules other tests imported do not count)."""
    import subprocess

    code = ("import sys\n"
            "from lecture_notes.stages.notes import CODE\n"
            "import lecture_notes.stages.chunking, lecture_notes.stages.chapters, lecture_notes.stages.merge\n"
            "import lecture_notes.stages.notes, lecture_notes.stages.chapter_notes\n"
            "loaded = sorted(sys.modules)\n"
            "from lecture_notes.backends import registry\n"
            "covered = set(CODE)\n"
            "for kind, name in (('notes', 'extractive'), ('embedder', 'minilm')):  # the backends' own code\n"
            "    cls = registry.lookup(kind, name).cls\n"
            "    covered |= {c.__module__ for c in cls.__mro__} | set(cls.cache_modules)\n"
            "skip = ('media', 'slides', 'ocr', 'transcribe', 'render', 'subtitles')\n"
            "for name in loaded:\n"
            "    p = name.split('.')\n"
            "    if len(p) == 3 and p[0] == 'lecture_notes' and p[1] in ('stages', 'text', 'backends') \\\n"
            "            and not (p[1] == 'stages' and p[2] in skip):\n"
            "        assert any(name == c or name.startswith(c + '.') for c in covered), name\n"
            "        print(name)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "lecture_notes.text.overview" in out.stdout and "lecture_notes.text.titles" in out.stdout
