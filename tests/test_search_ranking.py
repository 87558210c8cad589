"""The ranking knobs of the search engine, on a toy bag-of-words embedder (no model, fast)."""
from __future__ import annotations

import zlib
from dataclasses import replace

import numpy as np
import pytest

from lecture_notes.search.engine import ASK_WORDS, SearchEngine, SearchParams
from lecture_notes.search.index import LectureIndex
from lecture_notes.search.units import Unit, tokens


class BagEmbedder:
    """Hashed bag of stemmed words, L2-normalised: texts sharing words are close."""

    dim = 64

    def embed(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for w in tokens(t):
                out[i, zlib.crc32(w.encode()) % self.dim] += 1.0
        return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-9)


def _index(sentences, windows, emb):
    sents = [(float(a), float(b), t) for a, b, t in sentences]
    units = [Unit("window", sents[i][0], sents[j - 1][1], " ".join(s[2] for s in sents[i:j]), i, j)
             for i, j in windows]
    return LectureIndex("t", "t", "", sents[-1][1], sents, units, emb.embed([s[2] for s in sents]),
                        emb.embed([u.text for u in units]))


FILLER = ["The weather was mild that day.", "Someone opened a window.", "Coffee arrived late.",
          "Chairs were moved around.", "The projector hummed quietly.", "Lunch was sandwiches again."]


def _lecture(emb, n=12):
    sents = []
    for i in range(n):
        text = FILLER[i % len(FILLER)]
        if i == 7:
            text = "The storage disks finally arrived and need installing."
        sents.append((10.0 * i, 10.0 * i + 9, text))
    windows = [(i, min(i + 3, n)) for i in range(0, n - 1, 2)]
    return _index(sents, windows, emb)


def test_best_sentence_per_unit_is_the_max_over_its_sentences():
    emb = BagEmbedder()
    eng = SearchEngine([_lecture(emb), _lecture(emb)], emb)
    qv = emb.embed(["storage disks"])[0]
    cos = eng.sent_vecs @ qv
    want = [cos[eng._sent_off[eng.unit_lec[g]] + u.s0:eng._sent_off[eng.unit_lec[g]] + u.s1].max()
            for g, u in enumerate(eng.units)]
    assert np.allclose(eng._best_sentence(qv), want)


@pytest.mark.parametrize("fusion", ["rrf", "score"])
def test_both_fusions_put_the_answer_first(fusion):
    emb = BagEmbedder()
    # RRF ranks are nearly flat over six windows: neighbour smoothing would wash them out, so it is off there.
    params = SearchParams(fusion=fusion) if fusion == "score" else SearchParams(fusion=fusion, smooth=0.0)
    eng = SearchEngine([_lecture(emb)], emb, params=params)
    top = eng.search("when did the storage disks arrive?", k=3)
    assert top and top[0].start <= 70.0 <= top[0].end


def test_tighten_off_returns_whole_windows():
    emb = BagEmbedder()
    lec = _lecture(emb)
    tight = SearchEngine([lec], emb, params=SearchParams(min_moment_s=0.0)).search("storage disks", k=1)[0]
    whole = SearchEngine([lec], emb, params=SearchParams(tighten=False)).search("storage disks", k=1)[0]
    u = lec.units[whole.unit]
    assert (whole.start, whole.end) == (u.start, u.end)
    assert tight.end - tight.start < whole.end - whole.start


def test_smoothing_lifts_windows_next_to_strong_ones():
    emb = BagEmbedder()
    lec = _lecture(emb)
    qv = emb.embed(["storage disks"])[0]
    plain = SearchEngine([lec], emb, params=SearchParams(smooth=0.0))
    smooth = SearchEngine([lec], emb, params=SearchParams(smooth=1.0))
    _, f0, _ = plain.rank_units(qv, tokens("storage disks"))
    _, f1, _ = smooth.rank_units(qv, tokens("storage disks"))
    hit = [g for g, u in enumerate(lec.units) if u.s0 <= 7 < u.s1]
    far = [g for g, u in enumerate(lec.units) if u.s1 <= 3]  # not next to an answer window
    near = [g for g in range(len(lec.units)) if g not in hit and any(abs(g - h) == 1 for h in hit)]
    assert near and far
    gain = f1 - f0
    assert all(gain[g] > gain[far[0]] for g in near)


def test_smoothing_does_not_favour_the_first_and_last_windows():
    emb = BagEmbedder()
    eng = SearchEngine([_lecture(emb)], emb, params=SearchParams(smooth=1.0))
    flat = np.full(len(eng.units), 0.5, np.float32)
    nb = (flat[eng._prev] * eng._has_prev + flat[eng._next] * eng._has_next) / eng._n_nb
    assert np.allclose(nb, 0.5)  # every window's neighbour mean is 0.5, edges included
    assert eng._has_prev[0] == 0 and eng._has_next[len(eng.units) - 1] == 0


def test_smoothing_stops_at_lecture_boundaries():
    emb = BagEmbedder()
    eng = SearchEngine([_lecture(emb), _lecture(emb)], emb, params=SearchParams(smooth=1.0))
    first_of_second = len(eng.lectures[0].units)
    assert eng._prev[first_of_second] == first_of_second
    assert eng._next[first_of_second - 1] == first_of_second - 1


def test_question_phrasing_is_left_out_of_the_lexical_query():
    emb = BagEmbedder()
    lec = _lecture(emb)
    on = SearchEngine([lec], emb, params=SearchParams(drop_ask_words=True))
    off = SearchEngine([lec], emb, params=SearchParams(drop_ask_words=False))
    q = "Summarize the discussion on storage disks"
    assert set(on.query_tokens(q)) == set(tokens("storage disks"))
    assert set(off.query_tokens(q)) > set(tokens("storage disks"))
    # A query made only of phrasing words keeps them (something must be searched).
    assert on.query_tokens("summarize the discussion") == tokens("summarize the discussion")
    assert "discussion" in ASK_WORDS



class CountingEmbedder(BagEmbedder):
    """Records every text it embeds, and whether it was closed."""

    name = "minilm"

    def __init__(self):
        self.seen, self.closed = [], False

    def embed(self, texts):
        self.seen += list(texts)
        return super().embed(texts)

    def close(self):
        self.closed = True


def test_sentences_are_embedded_cleaned_as_the_notes_stage_does():
    from lecture_notes.search.index import compute_index
    from lecture_notes.text.summarize import clean_sentence
    from notes_factory import make_notes

    notes = make_notes()
    emb = CountingEmbedder()
    data = compute_index(notes, emb)
    cleaned = [clean_sentence(t) or t for _, _, t in data["sentences"]]
    assert emb.seen[:len(cleaned)] == cleaned


def test_search_stage_uses_and_closes_the_embedder_it_is_handed(tmp_path, monkeypatch):
    import json

    from lecture_notes.core.serialize import notes_to_dict
    from lecture_notes.runtime.cache import StageCache
    from lecture_notes.search import course
    from lecture_notes.search.stage import write_search_index
    from notes_factory import make_notes

    notes = make_notes()
    (tmp_path / "notes.json").write_text(json.dumps(notes_to_dict(notes)))
    monkeypatch.setattr(course, "default_embedder", lambda *a, **k: pytest.fail("loaded a second embedder"))
    emb = CountingEmbedder()
    files, hit = write_search_index(notes, tmp_path, StageCache(tmp_path / "cache"), model=emb)
    assert not hit and emb.seen and emb.closed and all(f.is_file() for f in files)
    emb2 = CountingEmbedder()  # second time: a cache hit, nothing embedded, still closed
    files, hit = write_search_index(notes, tmp_path, StageCache(tmp_path / "cache"), model=emb2)
    assert hit and not emb2.seen and emb2.closed


def test_spread_moves_near_duplicates_after_other_moments():
    from lecture_notes.search.engine import Moment

    emb = BagEmbedder()
    eng = SearchEngine([_lecture(emb)], emb, params=SearchParams(spread_s=30.0))
    ms = [Moment(0, 0.0, 10.0, 3.0, "a", 0, 0, 1), Moment(0, 15.0, 25.0, 2.0, "b", 0, 1, 2),
          Moment(0, 100.0, 110.0, 1.0, "c", 0, 10, 11)]
    assert [m.text for m in eng._spread(ms)] == ["a", "c", "b"]
    plain = SearchEngine([_lecture(emb)], emb, params=SearchParams(spread_s=0.0))
    assert [m.text for m in plain._spread(ms)] == ["a", "b", "c"]


def test_min_moment_widens_a_tight_moment_around_its_best_sentence():
    emb = BagEmbedder()
    lec = _lecture(emb)
    tight = SearchEngine([lec], emb, params=SearchParams(min_moment_s=0.0)).search("storage disks", k=1)[0]
    wide = SearchEngine([lec], emb, params=SearchParams(min_moment_s=25.0)).search("storage disks", k=1)[0]
    assert tight.end - tight.start < 25.0 <= wide.end - wide.start
    assert wide.start <= tight.start and tight.end <= wide.end
    u = lec.units[wide.unit]
    assert u.start <= wide.start and wide.end <= u.end  # never beyond its window


# ---------------------------------------------------------------------------------------------- speakers


def test_speaker_names_from_labels_roles_and_surnames():
    from lecture_notes.search.speakers import SpeakerNames

    names = SpeakerNames(["Grad A", "Grad E", "Professor B", "PhD C", "Vaughan Gething AM", "Tracey Breheny",
                          "Industrial Designer", "User Interface", "Marketing",
                          "Right Hon. Justin Trudeau (Prime Minister)", "Hon. Andrew Scheer",
                          "Hon. Andrew Scheer (Leader of the Opposition)"])
    assert names.named("What did Grad E contribute to the discussion on storage disks?") == {"Grad E"}
    assert names.named("What did the grad students think?") == set()  # three grads: "grad" names nobody
    assert names.named("What did the professor think about clustering?") == {"Professor B"}
    assert names.named("Why did Industrial Design agree with the Marketing?") == {"Industrial Designer",
                                                                                  "Marketing"}
    assert names.named("What did the user interface designer recommend?") == {"User Interface"}
    assert names.named("Technical function design") == set()  # not the Industrial Designer
    assert names.named("What did Gething say about waiting lists?") == {"Vaughan Gething AM"}
    assert names.named("what did gething say") == set()  # a bare surname must be written as a name
    assert names.named("How did the Prime Minister answer?") == {"Right Hon. Justin Trudeau (Prime Minister)"}
    assert names.named("What did Andrew Scheer ask?") == {"Hon. Andrew Scheer",
                                                         "Hon. Andrew Scheer (Leader of the Opposition)"}
    assert names.named("What did Siân say to Tracey Breheny?") == {"Tracey Breheny"}
    assert not SpeakerNames([]) and SpeakerNames([]).named("What did Grad E say?") == set()


def _meeting(emb):
    """Bob talks about the budget at length; Alice, later, gives her view of it in one sentence."""
    rows = [(0, "Bob", "The budget is twelve euros per unit and the budget covers the case."),
            (10, "Bob", "If the budget grows we lose margin, so the budget stays fixed."),
            (20, "Carol", "The weather was mild that day."), (30, "Carol", "Someone opened a window."),
            (40, "Carol", "Coffee arrived late."), (50, "Carol", "Chairs were moved around."),
            (60, "Alice", "On the budget, drop the touch screen because it costs too much."),
            (70, "Alice", "A rubber case is cheaper and survives a fall."),
            (80, "Carol", "The projector hummed quietly."), (90, "Carol", "Lunch was sandwiches again.")]
    sents = [(float(t), float(t) + 9, text) for t, _, text in rows]
    idx = _index(sents, [(i, min(i + 2, len(sents))) for i in range(0, len(sents) - 1, 2)], emb)
    return replace(idx, sent_speakers=[sp for _, sp, _ in rows])


def test_a_query_naming_a_speaker_finds_that_speakers_moment():
    emb = BagEmbedder()
    idx = _meeting(emb)
    q = "What did Alice think about the budget?"
    with_speakers = SearchEngine([idx], emb).search(q, k=3)
    assert with_speakers[0].start == 60.0
    without = SearchEngine([idx], emb, params=replace(SearchParams(), w_speaker=0.0, speaker_sent=0.0)).search(q, k=3)
    assert without[0].start < 20.0  # the words alone point at Bob
    # an index without speakers (built before they existed) searches as before
    old = SearchEngine([replace(idx, sent_speakers=[])], emb).search(q, k=3)
    assert old[0].start < 20.0


@pytest.mark.slow
def test_a_query_is_embedded_on_one_thread_with_the_same_vector():
    import torch

    from lecture_notes.backends.minilm import MiniLMEmbedder

    threads = torch.get_num_threads()
    with MiniLMEmbedder(engine="torch") as emb:
        batch = emb.embed(["What did the professor think about clustering?"])[0]
        emb._cache.clear()
        seen = []
        real = torch.set_num_threads
        try:
            torch.set_num_threads = lambda n: (seen.append(n), real(n))
            one = SearchEngine([], emb).embed_query("What did the professor think about clustering?")
        finally:
            torch.set_num_threads = real
    assert np.allclose(one, batch, atol=1e-6)
    assert torch.get_num_threads() == threads
    if threads > 1:
        assert seen == [1, threads]
    # The default engine (onnxruntime) runs a query on its own one-thread session, with the same vector.
    with MiniLMEmbedder() as emb:
        assert emb.engine == "onnx"
        query = SearchEngine([], emb).embed_query("What did the professor think about clustering?")
        assert 1 in emb._onnx._sessions
    assert float(query @ batch) > 0.99999
