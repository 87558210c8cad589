"""Boundary evidence and the learned boundary model of ``stages.chapter_features`` / ``stages.chapters``."""
import numpy as np
import pytest

from lecture_notes.core.types import Sentence
from lecture_notes.stages import chapter_features as F
from lecture_notes.stages import chapters as C


@pytest.mark.parametrize("sentence", [
    "Now we're ready to talk about metals.",
    "So the last thing I want to talk about in this set of lectures is something called climate sensitivity.",
    "And I want to do one other thing today.",
    "Another issue that comes up is population density.",
    "So we conclude by talking about Roque Guinart.",
    "Okay, now how about physical models of molecules?",
    "Okay, now here's a question.",
    "Well, where does syphilis come from?",
    "So here I want to bring up another psychiatrist.",
])
def test_topic_openers_lecturers_use(sentence):
    assert F.cue_score(sentence) == 1.0


@pytest.mark.parametrize("sentence", [
    "The X-rays pass through the soft tissue.",
    "Where does that leave the patient, though, in the end.",  # no question mark: not an opener
    "Another way to say it is that the bones absorb more.",  # "another way" is a rephrasing, not a topic
])
def test_ordinary_sentences_are_not_openers(sentence):
    assert F.cue_score(sentence) < 1.0


def _sents(texts, step=10.0):
    return [Sentence(i * step, i * step + step - 1.0, t) for i, t in enumerate(texts)]


def test_a_check_for_questions_marks_the_next_sentences():
    texts = ["The gyre carries cold water toward the equator."] * 5 + ["Questions here?", "So continentality.",
                                                                      "What is that?"] + ["Oceans store heat."] * 4
    x = F.boundary_features(_sents(texts), [], None)["x"]
    col = x[:, F.FEATURES.index("after_check")]
    assert col[6] == 1.0 and col[7] == 1.0  # the two sentences after "Questions here?"
    assert col[5] == 0.0 and col[:5].sum() == 0.0 and col[8:].sum() == 0.0
    plain = F.boundary_features(_sents([t.replace("Questions here?", "Questions of heat matter here.")
                                        for t in texts]), [], None)["x"]
    assert plain[:, F.FEATURES.index("after_check")].sum() == 0.0


def test_lecture_shape_features():
    x = F.boundary_features(_sents(["Sentence number %d about tides." % i for i in range(80)]), [], None)["x"]
    opening, closing = x[:, F.FEATURES.index("opening")], x[:, F.FEATURES.index("closing")]
    assert opening[12] == 1.0 and opening[3] == 0.0 and opening[40] == 0.0  # 60-300 s in
    assert closing[79] == 1.0 and closing[30] == 0.0  # last 300 s


def test_boundary_model_prefers_announced_topic_changes():
    n = len(F.FEATURES)
    plain = np.zeros((1, n))
    cued = plain.copy()
    cued[0, F.FEATURES.index("cue")] = 1.0
    cohesive_drop = plain.copy()
    for name in ("emb", "lex", "emb_medium", "lex_medium"):
        cohesive_drop[0, F.FEATURES.index(name)] = 1.0
    both = cued + cohesive_drop
    logits = [float(F.boundary_logit(v)[0]) for v in (plain, cued, cohesive_drop, both)]
    assert logits[0] < logits[1] < logits[3] and logits[0] < logits[2] < logits[3]
    assert len(F.MODEL_WEIGHTS) == n + 1
    # The shipped count setting: a plain sentence never pays for its boundary cost.
    assert logits[0] - C.DEFAULT_PARAMS.boundary_cost < 0


def test_boundary_snaps_to_a_nearby_cue_but_not_to_a_far_one():
    times = np.arange(0.0, 200.0, 8.0)
    cue = np.zeros(len(times))
    cue[10] = 1.0  # 80 s
    allowed = np.ones(len(times), dtype=bool)
    assert C.snap_to_cues(times, cue, [12], allowed, 20.0) == [10]  # 96 s -> 80 s
    assert C.snap_to_cues(times, cue, [14], allowed, 20.0) == [14]  # 112 s: too far
    assert C.snap_to_cues(times, cue, [12], allowed, 0.0) == [12]  # off
    assert C.snap_to_cues(times, cue, [12], allowed, 20.0, slide_starts=[97.0]) == [12]  # a slide change stays


def test_the_sentence_that_names_the_next_topic_scores_as_opening_it():
    before = ["Collier argues that the bottom billion are trapped by civil war.",
              "Civil war costs a poor country about two percent of growth every year.",
              "And the civil war trap repeats, because a country after a war is likely to fight again.",
              "So rebels recruit where young men have no income and civil war is cheap."]
    opener = "So now let's look at the natural resource trap and the curse of oil revenue."
    after = ["Oil revenue lets a government ignore its citizens, because it does not need their taxes.",
             "The resource curse shows up as revenue that is spent on patronage.",
             "Countries with oil revenue and weak institutions grow more slowly.",
             "And natural resource exports push up the currency, which hurts other exports."]
    texts = before + [opener] + after
    col = F.boundary_features(_sents(texts), [], None)["x"][:, F.FEATURES.index("lex_opens")]
    i = len(before)
    assert col[i] > 0.5  # its terms (resource, oil, revenue) come next, not before
    assert col[i] == col.max()
    assert col[i - 1] < 0  # the last civil-war sentence belongs to what precedes it
    # The same sentence placed in the middle of the oil passage no longer opens anything new.
    mid = F.boundary_features(_sents(before + after[:2] + [opener] + after[2:]), [], None)["x"]
    assert mid[len(before) + 2, F.FEATURES.index("lex_opens")] < col[i]
