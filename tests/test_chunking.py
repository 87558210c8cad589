import random
import zlib

import numpy as np
import pytest

from lecture_notes.backends.base import Embedder
from lecture_notes.stages.chapters import cue_score
from lecture_notes.stages.chunking import find_chapters, make_chunks, split_sentences
from lecture_notes.text.textutil import content_words
from lecture_notes.core.types import Segment, Sentence, Slide, Transcript, Word


class HashEmbedder(Embedder):
    """Deterministic bag-of-words embedder: content words hashed into 256 dims, L2-normalised."""

    name = "hash"
    dim = 256

    def embed(self, texts):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in content_words(t):
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
            n = np.linalg.norm(out[i])
            out[i] = out[i] / n if n else out[i]
        return out


TOPICS = {
    "Photosynthesis": "chlorophyll leaves sunlight glucose carbon dioxide oxygen chloroplast light energy plants",
    "Plate Tectonics": "continents crust mantle earthquakes volcanoes subduction faults magma ridges plates",
    "Roman Republic": "senate consuls patricians plebeians tribunes legions caesar rome citizens forum",
    "Neural Networks": "neurons weights gradient layers training backpropagation loss activation network model",
    "Baroque Music": "bach fugue harpsichord counterpoint cantata organ vivaldi concerto melody baroque",
}
TEMPLATES = ["The {a} and the {b} matter here because of the {c}.", "We can see how {a} relates to {b} and {c}.",
             "Notice that {a} depends on {b}, not only on {c}.", "Think about {a}, then about {b} and {c}.",
             "Every {a} is linked to some {b} through the {c}."]


def synthetic_lecture(topic_seconds=(360, 360, 360, 360), sentence_s=8.0, seed=0):
    """Sentences drawn from one topic vocabulary per block; returns (sentences, topic start times, titles)."""
    rnd = random.Random(seed)
    names = list(TOPICS)[:len(topic_seconds)]
    sents, starts, t = [], [], 0.0
    for name, secs in zip(names, topic_seconds):
        starts.append(t)
        vocab = TOPICS[name].split()
        t_end = t + secs
        while t < t_end - 1e-6:
            a, b, c = rnd.sample(vocab, 3)
            sents.append(Sentence(round(t, 3), round(t + sentence_s - 0.5, 3),
                                  rnd.choice(TEMPLATES).format(a=a, b=b, c=c)))
            t += sentence_s
    return sents, starts, names


# ------------------------------------------------------------------------------------------------ sentences
def test_split_sentences_without_word_times_interpolates_by_characters():
    segs = (Segment(0.0, 4.0, "Professor Jane Doe: Today we study cells. Cells are"),
            Segment(4.0, 8.0, "small units of life. Dr. Smith found them in the U.S. in 1839."),
            Segment(8.0, 10.0, "The ratio is 3.5 to 1, okay?"))
    sents = split_sentences(Transcript(segs))
    assert [s.text for s in sents] == ["Today we study cells.", "Cells are small units of life.",
                                       "Dr. Smith found them in the U.S. in 1839.", "The ratio is 3.5 to 1, okay?"]
    # The speaker tag takes no time: speech starts at the segment start.
    assert sents[0].start == pytest.approx(0.0)
    assert 2.5 < sents[0].end < 3.0  # 18 of the 26 spoken characters of a 4 s cue
    assert sents[1].start == pytest.approx(sents[0].end, abs=0.5)
    assert 4.0 < sents[1].end < 6.5 and 4.5 < sents[2].start < 6.5
    assert sents[2].end == pytest.approx(8.0, abs=0.2)
    assert sents[3].start == pytest.approx(8.0, abs=0.1) and sents[3].end == pytest.approx(10.0)
    assert all(a.end <= b.start + 1e-6 for a, b in zip(sents, sents[1:]))


def test_split_sentences_uses_word_timestamps():
    words = [(" So", 0.5, 0.7), (" cells", 0.8, 1.2), (" divide.", 1.3, 1.9), (" Then", 3.1, 3.4),
             (" they", 3.5, 3.7), (" grow", 3.8, 4.0), ("!", 4.0, 4.05), (" Mitosis", 6.0, 6.6),
             (" starts", 6.7, 7.0), (" now.", 7.1, 7.6)]
    w1 = tuple(Word(s, e, w) for w, s, e in words[:5])
    w2 = tuple(Word(s, e, w) for w, s, e in words[5:])
    segs = (Segment(0.0, 3.8, "So cells divide. Then they", w1), Segment(3.8, 8.0, "grow! Mitosis starts now.", w2))
    sents = split_sentences(Transcript(segs))
    assert [(s.text, s.start, s.end) for s in sents] == [("So cells divide.", 0.5, 1.9),
                                                         ("Then they grow!", 3.1, 4.05),
                                                         ("Mitosis starts now.", 6.0, 7.6)]


def test_split_sentences_caps_unpunctuated_runs():
    rnd = random.Random(1)
    words, t = [], 0.0
    for i in range(130):
        gap = 1.5 if i in (50, 95) else 0.05
        t += gap
        words.append(Word(t, t + 0.3, " " + rnd.choice(["data", "model", "layer", "weight", "signal"])))
        t += 0.3
    sents = split_sentences(Transcript((Segment(0.0, t, "x", tuple(words)),)))
    assert sum(len(s.text.split()) for s in sents) == 130
    assert all(len(s.text.split()) <= 40 for s in sents)
    # The long silences are used as sentence ends.
    starts = {round(s.start, 2) for s in sents}
    assert round(words[50].start, 2) in starts and round(words[95].start, 2) in starts


def test_split_sentences_empty():
    assert split_sentences(Transcript(())) == []
    assert split_sentences(Transcript((Segment(0, 1, "  "), Segment(1, 2, "[Music]")))) == []


# ------------------------------------------------------------------------------------------------ windows
def _check_chunks(chunks, sents, window):
    flat = [s for c in chunks for s in c.sentences]
    assert flat == list(sents)  # every sentence exactly once, in order: no sentence is ever cut
    assert chunks[0].start == 0.0 and chunks[-1].end == pytest.approx(sents[-1].end)
    for a, b in zip(chunks, chunks[1:]):
        assert a.end == b.start == b.sentences[0].start
    for c in chunks[:-1]:
        assert 0.7 * window - 1e-6 <= c.end - c.start <= 1.3 * window + 1e-6
    assert chunks[-1].end - chunks[-1].start <= 1.6 * window
    assert [c.index for c in chunks] == list(range(len(chunks)))


@pytest.mark.parametrize("window", [60.0, 120.0, 300.0])
def test_make_chunks_respect_window_and_cover_everything(window):
    sents, _, _ = synthetic_lecture((400, 400, 330), sentence_s=7.3)
    chunks = make_chunks(sents, [], window)
    _check_chunks(chunks, sents, window)
    assert len(chunks) == pytest.approx(sents[-1].end / window, abs=1.5)


def test_make_chunks_tiny_remainder_merges_and_short_input_is_one_chunk():
    sents, _, _ = synthetic_lecture((330,), sentence_s=10.0)
    chunks = make_chunks(sents, [], 300.0)
    assert len(chunks) == 1 and chunks[0].sentences == tuple(sents)
    assert make_chunks([], [], 300.0) == []


def test_make_chunks_prefer_slide_changes_and_attach_slides():
    sents = [Sentence(i * 10.0, i * 10.0 + 9.0, f"Sentence number {i} about topic.") for i in range(60)]
    slides = [Slide(0.0, 270.0, "slides/slide-001.jpg", "intro", "Intro", 0.9),
              Slide(270.0, 600.0, "slides/slide-002.jpg", "body", "Body", 0.9)]
    chunks = make_chunks(sents, slides, 300.0)
    _check_chunks(chunks, sents, 300.0)
    assert chunks[0].end == 270.0  # the slide change beats the exact 300 s target
    assert [s.title for s in chunks[0].slides] == ["Intro"]
    assert [s.title for s in chunks[1].slides] == ["Body"]


# ------------------------------------------------------------------------------------------------ chapters
def _check_chapters(chapters, duration):
    assert chapters[0].start == 0.0 and chapters[-1].end == pytest.approx(duration)
    for a, b in zip(chapters, chapters[1:]):
        assert a.end == b.start and b.start > a.start
    assert all(c.title.strip() for c in chapters)
    assert len({c.title for c in chapters}) == len(chapters)


def test_chapters_from_text_cohesion_find_topic_changes():
    sents, starts, names = synthetic_lecture((360, 420, 300, 390))
    duration = sents[-1].end
    chapters = find_chapters(sents, [], HashEmbedder(), duration=duration)
    _check_chapters(chapters, duration)
    assert len(chapters) == 4
    for c, t in zip(chapters[1:], starts[1:]):
        assert abs(c.start - t) <= 30.0
    assert all(c.start in {s.start for s in sents} for c in chapters[1:])  # snapped to sentence starts
    # Titles come from the chapter's own vocabulary.
    for c, name in zip(chapters, names):
        assert set(w.lower() for w in c.title.split()) & set(TOPICS[name].split())


def test_chapters_follow_slides_and_group_similar_slides():
    sents, starts, names = synthetic_lecture((240, 240, 240, 240), seed=3)
    duration = sents[-1].end
    slides = []
    for k, (t, name) in enumerate(zip(starts, names)):
        end = starts[k + 1] if k + 1 < len(starts) else duration
        words = TOPICS[name]
        if k == 1:  # a continuation slide with the same title must not start a chapter
            mid = t + 120.0
            slides.append(Slide(t + 3.0, mid, f"slides/slide-{len(slides) + 1:03d}.jpg", words, name, 0.9))
            slides.append(Slide(mid, end + 3.0, f"slides/slide-{len(slides) + 1:03d}.jpg", words, name + " (cont.)",
                                0.9))
        else:
            slides.append(Slide(t + 3.0 if k else 0.0, end + 3.0 if k + 1 < len(starts) else duration,
                                f"slides/slide-{len(slides) + 1:03d}.jpg", words, name, 0.9))
    chapters = find_chapters(sents, slides, HashEmbedder(), duration=duration)
    _check_chapters(chapters, duration)
    assert len(chapters) == 4
    for c, t in zip(chapters[1:], starts[1:]):
        assert abs(c.start - (t + 3.0)) <= 10.0
    assert [c.title for c in chapters] == names


def test_chapters_without_embedder_short_and_empty_inputs():
    sents, starts, _ = synthetic_lecture((360, 360, 360))
    chapters = find_chapters(sents, [], None, duration=sents[-1].end + 5.0)
    _check_chapters(chapters, sents[-1].end + 5.0)
    assert len(chapters) >= 2
    assert sum(min(abs(c.start - t) for c in chapters) <= 30 for t in starts[1:]) >= 1
    short, _, _ = synthetic_lecture((120,))
    one = find_chapters(short, [], HashEmbedder(), duration=130.0)
    assert len(one) == 1 and (one[0].start, one[0].end) == (0.0, 130.0) and one[0].title
    assert find_chapters([], [], HashEmbedder(), duration=0.0) == []
    empty = find_chapters([], [], HashEmbedder(), duration=50.0)
    assert [(c.start, c.end) for c in empty] == [(0.0, 50.0)]


def test_discourse_cues():
    assert cue_score("Let's talk about X-rays and imaging.") == 1.0
    assert cue_score("So that gets us into reciprocal altruism.") == 1.0
    assert cue_score("I want to begin by talking about who was Machiavelli.") == 1.0
    assert cue_score("So to summarize the explanations for cooperation.") == 1.0
    assert cue_score("I want to talk about that later.") < 1.0
    assert cue_score("The bones absorb the radiation.") == 0.0


@pytest.mark.slow
def test_chapters_with_real_minilm():
    from lecture_notes.backends.minilm import MiniLMEmbedder

    sents, starts, names = synthetic_lecture((330, 390, 360), seed=5)
    with MiniLMEmbedder() as emb:
        chapters = find_chapters(sents, [], emb, duration=sents[-1].end)
    _check_chapters(chapters, sents[-1].end)
    assert len(chapters) == 3
    for c, t in zip(chapters[1:], starts[1:]):
        assert abs(c.start - t) <= 30.0
