"""Rules of the overview's sentence choice (issue 12 item 1), each on real lecture text.

The sentences are from the sample lecture's script (samples/lecture_script.json) or are the kind the dev lectures'
captions hold; nothing here reads the dev references.
"""
import json
from pathlib import Path

import numpy as np
import pytest

from lecture_notes.core.types import Sentence
from lecture_notes.stages.merge import _Lecture
from lecture_notes.text.overview import (OverviewParams, addresses_the_class, announces_a_list, is_chatter, is_fragment,
                                         name_density, overview, third_person_preview, written_register)
from lecture_notes.text.standalone import leans_on_context, stand_alone
from tests.test_chunking import HashEmbedder

SCRIPT = json.loads((Path(__file__).resolve().parents[1] / "samples" / "lecture_script.json").read_text())


# --------------------------------------------------------------------------------- a sentence lifted out of sequence
@pytest.mark.parametrize("sentence, expected", [
    ("Helper T cells then activate the B cells that recognize the same antigen.",
     "Helper T cells activate the B cells that recognize the same antigen."),
    ("Vaccines also protect people who are not vaccinated.", "Vaccines protect people who are not vaccinated."),
    ("This is why many vaccines are given as a series of doses.", "Many vaccines are given as a series of doses."),
    ("That's why Sancho's fall into the pit parodies the cave of Montesinos.",
     "Sancho's fall into the pit parodies the cave of Montesinos."),
    ("Also, the Turkish menace hangs over the Mediterranean.", "The Turkish menace hangs over the Mediterranean."),
    ("However, Locke argues that property comes from labour.", "Locke argues that property comes from labour."),
    ("Yeats returns to the aging body in these poems, too.", "Yeats returns to the aging body in these poems."),
])
def test_connectives_that_lean_on_the_previous_sentence_are_dropped(sentence, expected):
    assert stand_alone(sentence) == expected


@pytest.mark.parametrize("sentence", [
    "If the antigen is new, then the response takes a week or two.",  # a conditional keeps its "then"
    "Not only the body but also the soul is at stake for Plato.",
    "Innate immunity is the set of defenses that respond to any invader within hours.",
    "There are several ways to make a vaccine from a pathogen.",  # existential "there"
    "This lecture looks at the Stackelberg model and backward induction.",
])
def test_sentences_that_stand_alone_are_kept_verbatim(sentence):
    assert stand_alone(sentence) == sentence


@pytest.mark.parametrize("sentence", [
    "There they display fragments of it on their surface, a step called antigen presentation.",
    "These defenses are fast, but they are not specific and do not improve with experience.",
    "It is perfect, immaterial and indestructible.",
    "They deliver instructions that tell our own cells to build one viral protein for a short time.",
])
def test_sentences_pointing_back_are_rejected(sentence):
    assert leans_on_context(sentence)
    assert stand_alone(sentence) is None


# ---------------------------------------------------------------------------- fragments and talk addressed to the class
def test_a_clause_whose_subject_was_cut_off_is_a_fragment():
    assert is_fragment("Has written eloquently about the moriscos and the literature they produced.")
    assert is_fragment("Is in the position of the hydrogen that we know, in all three compounds.")
    assert not is_fragment("Koerner has written a strictly logical proof of the structure of benzene.")


@pytest.mark.parametrize("sentence", [
    "Take the OH off and leave the COOH.",
    "Try to imagine a world in which the Evening Star exists, but the Morning Star does not.",
    "Look, take the argument of the planets, the Morning Star and the Evening Star example.",
    "You're responsible for identifying the name of the composer and the name of the piece.",
    "Down to the left will be a different one.",
])
def test_instructions_and_pointing_are_addressed_to_the_class(sentence):
    assert addresses_the_class(sentence)


@pytest.mark.parametrize("sentence", [
    "Yeats insists that the heart is an organ of the body, and located in it.",
    "Take-off speed depends on the wing loading of the aircraft.",
    "The party moved to the left wing of the parliament after the war.",
    "Socrates believes in the immortality of the soul.",
])
def test_statements_about_the_subject_are_not_addressed_to_the_class(sentence):
    assert not addresses_the_class(sentence)


def test_one_chatter_filter_covers_recaps_logistics_and_jokes():
    assert is_chatter("As I said last time, the reading for Tuesday is on the website.")
    assert is_chatter("I'm joking, of course.")
    assert is_chatter("The midterm covers everything up to chapter nine.")
    assert not is_chatter("The expulsion of the moriscos took place between 1609 and 1614.")


# ------------------------------------------------------------------------------------------------ sentence features
def test_written_register_prefers_noun_phrases_to_conversation():
    z = written_register([
        "There is a confluence of actual geography with current historical events, such as the expulsion of the "
        "moriscos.",
        "You can only get two isomers, starting from there.",
        "Yeah, so we go, okay, right, we can see it happen.",
    ])
    assert z[0] > z[1] and z[0] > z[2]


def test_recurring_names_and_quoted_titles_count():
    texts = ["The poem called \"Leda and the Swan\" is about knowledge and the body.",
             "In the late poems, Yeats turns to the aging body.",
             "For Yeats the body is the place of knowledge.",
             "Later, Yeats writes about joy and madness.",
             "The heart is an organ of the body and located in it."]
    z = name_density(texts)
    assert z[0] > z[4] and z[1] > z[4]  # a quoted title, a name seen three times; the last sentence has neither


# ---------------------------------------------------------------------------------------- the sample lecture's overview
def _script_sentences():
    out, t = [], 0.0
    spans = []
    for sec in SCRIPT["sections"]:
        a = t
        for text in sec["sentences"]:
            out.append(Sentence(t, t + 9.0, text))
            t += 10.0
        spans.append((a, t))
    return out, spans


def test_sample_overview_has_no_dangling_connective_or_pointer():
    sents, spans = _script_sentences()
    lec = _Lecture(sents, HashEmbedder())
    text = overview([s.text for s in sents], lec.texts, [s.start for s in sents], lec.score, lec.emb, spans,
                    spans[-1][1], max_words=120, params=OverviewParams())
    assert text.startswith("The lecture looks at how vaccines train the immune system")
    assert 60 <= len(text.split()) <= 120
    for bad in ("cells then activate", " also ", "This ", "There they", "They ", "It ", "These "):
        assert bad not in text, (bad, text)
    picked = [s for s in text.split(". ") if s]
    assert len(picked) >= 4  # the preview plus sentences from several chapters, in lecture order
    starts = [next(s.start for s in sents if p.rstrip(".")[:30] in s.text) for p in picked[1:]
              if any(p.rstrip(".")[:30] in s.text for s in sents)]
    assert starts == sorted(starts) and len(starts) >= 3


# ------------------------------------------------------------------------------- more fragments, previews, the "I" voice
@pytest.mark.parametrize("sentence", [
    "As you go to lower latitudes.",  # a subordinate clause with no main clause
    "As he puts it in the dedication of his most famous book.",
    "The loan-to-income ratio, that was going up.",  # spoken left-dislocation
    "Just to set up the scene.",
    "What distinguishes Machiavelli from his predecessors.",
    "Would be to study the influence of the writing of The Trials of Persiles and Sigismunda on Part II.",
])
def test_more_fragments(sentence):
    assert is_fragment(sentence)


@pytest.mark.parametrize("sentence", [
    "To summarize, a vaccine shows the adaptive immune system a harmless antigen.",
    "What distinguishes Machiavelli is his realism about power.",
    "As Yeats's work develops, he creates a poem that comes in parts.",
])
def test_full_sentences_with_those_openings_are_kept(sentence):
    assert not is_fragment(sentence)


def test_previews_with_an_aside_or_pointing_ahead():
    assert third_person_preview("I'm going to talk about, in the course of the lecture today and tomorrow, many of "
                                "the ways that X-rays and gamma rays are useful for medical imaging.") == \
        "The lecture talks about many of the ways that X-rays and gamma rays are useful for medical imaging."
    assert third_person_preview("I'll talk about that in a moment.") is None  # not "The lecture talks about that"


def test_the_list_a_preview_announces_is_framing_and_the_lecturer_is_not_the_subject():
    sents = [Sentence(0.0, 9.0, "There are three issues that I want to bring up as I begin today's lecture that will "
                                "determine my general themes today."),
             Sentence(10.0, 19.0, "Improvisation, the international dimension that the fiction of the novel acquires, "
                                  "and the influence of art or of literature on reality; those are the general topics."),
             Sentence(20.0, 29.0, "In your packet, I gave you the short poem that the novel quotes at the end."),
             Sentence(30.0, 39.0, "The plot of the novel is repetitive, more than sequential, with a vague quest.")]
    sents += [Sentence(40.0 + 10 * k, 49.0 + 10 * k, f"Sancho's government of the island {k} ends in a comic disaster "
                                                      f"for the squire.") for k in range(30)]
    assert announces_a_list(sents[0].text)
    lec = _Lecture(sents, HashEmbedder())
    end = sents[-1].end
    text = overview([s.text for s in sents], lec.texts, [s.start for s in sents], lec.score, lec.emb, [(0.0, end)],
                    end, max_words=80, params=OverviewParams())
    # the announced list opens the overview (after the announcement itself at most)
    assert text.index("Improvisation, the international dimension") <= len(sents[0].text) + 1
    assert "I gave you" not in text


@pytest.mark.parametrize("sentence", [
    "We may have to return to them.",
    "The outline of the lecture is given here.",
    "\"But that we do not know what it is that corresponds to that which we call position, either in space.\"",
])
def test_short_sentences_ending_in_a_pointer_and_passages_read_aloud_are_rejected(sentence):
    assert stand_alone(sentence) is None


def test_colours_on_the_board_are_pointing():
    assert addresses_the_class("The purple and the red are the same.")
    assert stand_alone("\"Leda and the Swan\" seems to say a knowledge of the body.") is not None
