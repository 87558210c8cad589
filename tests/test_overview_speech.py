"""Overview rules for spoken restarts, quotations cut in half and sentences addressed to someone in the room
(issue 12 item 1). The sentences are the kind the dev lectures' captions hold (human captions of Open Yale
Courses lectures); nothing here reads the dev references."""
import numpy as np
import pytest

from lecture_notes.text.overview import (DEFAULT_PARAMS, FEATURES, _candidate, addresses_the_class, candidates,
                                         is_chatter, is_fragment, third_person_preview)
from lecture_notes.text.sentence_features import term_density


@pytest.mark.parametrize("sentence", [
    "A high Not the nucleophile, the nucleophile's a high HOMO.",  # the caption starts over mid-sentence
    "Sung by Rastus, which is one of the, the caricatures of the happy servant.",
    "Today I want to spend a lot of the lecture focusing on, on this particular moment in the early 1970s.",
    "Valence and, and benzene is experimental, but what we're interested in is the theory of benzene here.",
    "Fine, so the whole piece is in this, in the same tempo.",
    "Lime is composed of one atom of calcium and one of oxygen.'",  # the end of a quotation
    "'The United States is a country of Republicans.",  # its start
    'The title of the novel is taken from the phrase "sound and fury." One of the most important is John Locke.',
    "Na\ufffdve to think that people are therefore going to stop creating expectations of democracy.",
    "Perceived and responded to various of the changes which were to come in the sixteenth century.",
    "Ronald Reagan comes in and says.",
    "Wonder, maybe the mortgage market is a casualty rather than a cause of this crash.",
])
def test_spoken_restarts_and_cut_quotations_are_fragments(sentence):
    assert is_fragment(sentence)


@pytest.mark.parametrize("sentence", [
    "It is not the nucleophile that attacks the double bond here.",
    "The students' papers on the Moynihan Report were graded by the end of the week.",
    "He called it 'the itinerary of blood' in the essay on Camacho's wedding.",
    "In Spain, in France and in Italy the guilds were strong.",
    "Locke said that the mind is a blank slate at birth.",
    "Beethoven, you could say, was the first of the Romantic composers.",
])
def test_ordinary_sentences_are_kept(sentence):
    assert not is_fragment(sentence) and not addresses_the_class(sentence) and not is_chatter(sentence)


def test_a_student_addressed_by_name_and_letting_the_class_go_are_left_out():
    assert addresses_the_class("Bradley, you're a student at the School of Music.")
    assert is_chatter("We'll hear one last piece and then I'll let you go although it's a fairly long one.")
    assert is_chatter("Many of the students in the class laughed.")
    assert is_chatter("43% of you, 43% of the students in this room, made a precommitment in the form of a promise.")


def test_the_lecturer_is_not_the_subject_once_the_connective_is_gone():
    raw = "And I'm--I was thrilled with the idea of this course so was looking forward to it."
    assert _candidate(raw, "And I'm, I was thrilled with the idea of this course so was looking forward to it.",
                      0.01, DEFAULT_PARAMS) == (None, 0.0)


def test_a_preview_keeps_some_of():
    assert third_person_preview("Today I want to begin with some of the more localized institutions and "
                                "relationships.") == ("The lecture begins with some of the more localized "
                                                      "institutions and relationships.")


def test_key_term_density_prefers_the_lectures_recurring_terms():
    texts = ["P is the Priestly source, found mostly in Leviticus.", "The priestly source is late.",
             "Wellhausen dated the priestly source to the exile.", "The origin of the name is interesting.",
             "Each source has its own name for God.", "Sources were combined by an editor."]
    z = term_density(texts)
    assert z[2] > z[3] and z[0] > z[3]


def test_candidates_carry_one_value_per_feature():
    texts = ["Machiavelli is the founder of the modern state in Florence and in Europe.",
             "Machiavelli compares the prince to a prophet who founds a new order of things.",
             "Okay, see you next week."]
    out = candidates(texts, texts, [0.0, 60.0, 120.0], np.zeros(3), 180.0)
    assert [i for i, *_ in out] == [0, 1] and all(len(f) == len(FEATURES) for *_, f in out)
