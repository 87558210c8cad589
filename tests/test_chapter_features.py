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


@pytest.mark.parametrize("title, bare", [
    ("Refuting the Cartesian Argument (cont.)", "Refuting the Cartesian Argument"),
    ("Platonic Forms and the Immortality of the Soul (continued)", "Platonic Forms and the Immortality of the Soul"),
    ("Conclusion, cont'd", "Conclusion,"),
    ("Seasons and Climate [ctd]", "Seasons and Climate"),
    ("Continental Drift", "Continental Drift"),  # a title that merely starts with "cont" is left alone
    ("Contagionism versus Anticontagionism", "Contagionism versus Anticontagionism"),
])
def test_continuation_marks_are_stripped_from_slide_titles(title, bare):
    assert F.strip_continued(title) == bare


def _slide(t, title, bullets, page, footer="Philosophy and the Science of Human Nature  |  Tamar Gendler"):
    from lecture_notes.core.types import Slide
    return Slide(t, t + 100.0, f"slides/slide-{page:03d}.jpg", "\n".join([title] + bullets + [f"{footer} {page}"]),
                 title, 0.95)


PHIL_SLIDES = [
    _slide(0.0, "Summary of the Cartesian Argument", ["Descartes, dualism, body", "mind, distinct, essence"], 1),
    _slide(149.0, "Summary of the Cartesian Argument (cont.)", ["clearly, conceive, separate", "God, exist"], 2),
    _slide(297.0, "Refuting the Cartesian Argument", ["Kagan, conceivability, body", "imagine, possible"], 3),
    _slide(1165.0, "Platonic Forms and the Immortality of the Soul", ["Plato, Phaedo, forms", "soul, immortal"], 4),
    _slide(1526.0, "Platonic Forms and the Immortality of the Soul (cont.)", ["Socrates, argument, eternal"], 5),
    _slide(1887.0, "Conclusion", ["recollection, knowledge, forms"], 6),
]


def test_slide_titles_decide_the_topic_change_and_a_shared_footer_does_not_count():
    changes = dict(F.slide_changes(PHIL_SLIDES))
    assert changes[149.0] == 0.0 and changes[1526.0] == 0.0  # "(cont.)": the same topic goes on
    assert changes[1165.0] == 1.0 and changes[1887.0] == 1.0  # no title word shared
    assert 0.5 <= changes[297.0] < 1.0  # "Cartesian Argument" is shared, "Summary" / "Refuting" differ
    assert F.slide_boilerplate(PHIL_SLIDES) == {"philosophy and the science of human nature tamar gendler"}
    # Untitled slides: the body decides, without the footer every slide repeats.
    bare = [s.__class__(s.start, s.end, s.image_path, s.text.split("\n", 1)[1], "", s.confidence) for s in PHIL_SLIDES]
    untitled = dict(F.slide_changes(bare))
    assert untitled[297.0] == 1.0 and untitled[1887.0] == 1.0


def test_slides_mark_where_a_topic_goes_on():
    times = [0.0, 100.0, 150.0, 300.0, 700.0, 1166.0, 1300.0, 1527.0, 1700.0, 1890.0, 2000.0]
    sents = [Sentence(t, t + 8.0, "The argument from conceivability is about what we can imagine.") for t in times]
    feats = F.boundary_features(sents, PHIL_SLIDES, None)
    quiet = dict(zip(times, feats["slide_quiet"]))
    assert quiet[300.0] == 0.0 and quiet[1166.0] == 0.0 and quiet[1890.0] == 0.0  # a new slide topic
    assert quiet[700.0] == 1.0 and quiet[1527.0] == 1.0 and quiet[150.0] == 1.0  # same topic, or its "(cont.)"
    assert feats["slide"][times.index(1166.0)] == 1.0 and feats["slide"][times.index(1527.0)] == 0.0
    # Without slides there is no such evidence.
    assert not F.boundary_features(sents, [], None)["slide_quiet"].any()
    # A chapter title comes from its slide without the continuation mark.
    assert C._title(sents[2:4], PHIL_SLIDES, 1520.0, 1880.0, [], set()) == \
        "Platonic Forms and the Immortality of the Soul"


def test_a_slide_change_inside_a_long_asr_sentence_counts_at_the_nearest_sentence_start():
    # tiny.en runs sentences together: the one spoken when "Platonic Forms" appears (1165 s) began at 1148 s.
    times = [0.0, 290.0, 700.0, 1100.0, 1148.0, 1190.0, 1500.0, 1880.0, 2000.0]
    sents = [Sentence(t, t + 35.0, "and Plato's answer in the Phaedo is that the soul grasps the forms which are "
                                   "eternal and so the soul must be eternal too") for t in times]
    feats = F.boundary_features(sents, PHIL_SLIDES, None)
    assert feats["slide"][times.index(1148.0)] == 1.0 and feats["slide_quiet"][times.index(1148.0)] == 0.0
    assert feats["slide_quiet"][times.index(1190.0)] == 1.0 and feats["slide_quiet"][times.index(1100.0)] == 1.0
    # Nothing within 30 s: the change is not pinned on a sentence a minute away.
    far = F.boundary_features([Sentence(t, t + 35.0, "and so on") for t in (0.0, 1100.0, 1230.0)], PHIL_SLIDES, None)
    assert not far["slide"].any()


def test_slides_that_change_topic_allow_a_short_introduction_and_closing_part():
    footer = "Principles of Evolution, Ecology and Behavior (EEB 122), Lecture 36: Selfishness and Altruism | Pr"
    plan = [(0.0, "Introduction", "selection, altruism, level"), (56.0, "Introduction (cont.)", "genes, groups"),
            (109.0, "Group Selection", "individuals, groups, variation"),
            (278.0, "Group Selection (cont.)", "reproductive, genetic, greater"),
            (444.0, "Kin Selection", "relatedness, Hamilton, benefit"), (772.0, "Kin Selection (cont.)", "cost, rule"),
            (1099.0, "Ecological Constraints and Punishments", "helpers, territory, breeding")]
    slides = [_slide(t, title, [bullets], k + 1, footer) for k, (t, title, bullets) in enumerate(plan)]
    sents = [Sentence(t, t + 9.0, "Individuals that help relatives pass on copies of the genes they share.")
             for t in np.arange(0.0, 1195.0, 10.0)]
    feats = F.boundary_features(sents, slides, None)
    starts = [sents[i].start for i in C.select_boundaries(sents, feats, slides, 1200.0)]
    assert starts == [110.0, 440.0, 1100.0]  # a 110-s introduction and a 100-s closing part are chapters
    # Without slides the shortest chapter stays MIN_CHAPTER_SECONDS-like: no chapter of 110 s.
    plain = C.select_boundaries(sents, F.boundary_features(sents, [], None), [], 1200.0)
    assert all(sents[i].start >= 150.0 for i in plain)


def test_untitled_slides_compare_their_first_lines():
    # OCR found no title: the heading wrapped onto two lines in the body's font size.
    footer = "Modern Poetry with Langdon Hammer (ENGL 310): 6. William Butler Yeats (cont.)"
    texts = [("Yeats on the Subject of Magic and an\nIntroduction to Yeats's Late Poems", "Yeats, spirits, Coming"),
             ("Yeats on the Subject of Magic and an\nIntroduction to Yeats's Late Poems (cont.)", "body, experience"),
             ('W. B. Yeats Poem: "In Memory of Eva\nGore-Booth and Con Markievicz"', "Easter, Markievicz, Gore-Booth"),
             ('W. B. Yeats Poem: "In Memory of Eva\nGore-Booth and Con Markievicz" (cont.)', "Daughter, Beautiful")]
    from lecture_notes.core.types import Slide
    slides = [Slide(t, t + 450.0, f"slides/slide-{k + 1:03d}.jpg", f"{head}\n{body}\n{footer} {k + 1}", "", 0.9)
              for k, (t, (head, body)) in enumerate(zip((0.0, 452.0, 902.0, 1052.0), texts))]
    changes = dict(F.slide_changes(slides))
    assert changes[452.0] == 0.0 and changes[1052.0] == 0.0  # same first line: the topic goes on
    assert changes[902.0] >= 0.75  # only "Yeats" is shared
