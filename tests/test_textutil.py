from lecture_notes.text.stopwords import STOPWORDS
from lecture_notes.text.textutil import (clean_text, content_words, tfidf_keyphrases, noise_spans, normalize_term,
                                    stem, strip_fillers, title_case)


def test_clean_text_drops_speaker_tags_and_noise():
    assert clean_text("Professor Mark Saltzman: Okay. Well, this week") == "Okay. Well, this week"
    assert clean_text("Prof: Okay, I think") == "Okay, I think"
    assert clean_text("Sarah?Student: [Inaudible]Professor Mark Saltzman: Good.") == "Sarah? Good."
    assert clean_text("PAUL FREEDMAN: So we go > on") == "So we go on"
    assert clean_text("it was   (laughter) funny") == "it was funny"
    # Not tags: times, lower-case "said:", ordinary colons.
    assert clean_text("We meet at 3:30 today.") == "We meet at 3:30 today."
    assert clean_text("He said: fine") == "He said: fine"


def test_noise_spans_are_offsets_into_the_original():
    text = "Student: Why? Prof: Because."
    spans = noise_spans(text)
    assert [text[a:b].strip() for a, b in spans] == ["Student:", "Prof:"]


def test_strip_fillers_keeps_meaning():
    assert strip_fillers("So, um, the the point is, you know, sort of obvious.") == "The point is obvious."
    assert strip_fillers("And these are the leading alternatives.") == "These are the leading alternatives."
    assert strip_fillers("It is a kind of ptarmigan.") == "It is a kind of ptarmigan."
    assert strip_fillers("What sort of radiation?") == "What sort of radiation?"
    assert strip_fillers("So that gets us into reciprocal altruism--okay?--and more.") == \
        "So that gets us into reciprocal altruism and more."
    assert strip_fillers("Now that we know this, uh, we can go on.") == "Now that we know this, we can go on."
    assert strip_fillers("The payoff is simple, right?") == "The payoff is simple."
    assert strip_fillers("I had had enough.") == "I had had enough."


def test_content_words_and_stopwords():
    assert "the" in STOPWORDS and "okay" in STOPWORDS
    assert content_words("The X-rays pass through Machiavelli's bones, okay?") == ["x-rays", "pass", "machiavelli",
                                                                                  "bones"]


def test_stem_and_normalize_term():
    assert stem("selections") == stem("selection")
    assert stem("running") == stem("run") and stem("bus") == "bus" and stem("analysis") == "analysis"
    assert normalize_term("X-rays") == normalize_term("x-ray")
    assert normalize_term("Kin  Selection!") == normalize_term("kin selection")
    assert normalize_term("Plato's forms") == normalize_term("Plato form")


def test_title_case():
    assert title_case("electromagnetic spectrum") == "Electromagnetic Spectrum"
    assert title_case("CT imaging and x-rays") == "CT Imaging and X-Rays"
    assert title_case("the theory of forms") == "The Theory of Forms"


def test_keyphrases_prefer_specific_multiword_terms():
    texts = [
        "The Morning Star is the last star you see. The Morning Star is Venus.",
        "The Evening Star is the first star at night, and the Evening Star is Venus too.",
        "So the Morning Star and the Evening Star are one planet, you know.",
    ]
    background = texts + ["Descartes argues the mind is distinct from the body.",
                          "Plato says the soul is immortal and the body is not."] * 3
    got = tfidf_keyphrases(texts, 3, background=background)
    assert got[:2] == ["Morning Star", "Evening Star"] or got[:2] == ["Evening Star", "Morning Star"]
    assert all(p.lower() not in ("star", "the", "you know") for p in got)


def test_keyphrases_edge_cases():
    assert tfidf_keyphrases([], 3) == []
    assert tfidf_keyphrases(["the and of"], 3) == []
    assert tfidf_keyphrases(["Kin selection explains kin selection in bees."], 0) == []
