"""Confidence you can see: flags from Whisper's statistics, confidence on key points and questions, marks in
HTML/Markdown, garbled items left out of the notes and the exports. Real tiny.en output on the sample lecture."""
import json
from dataclasses import replace

from lecture_notes.core.serialize import notes_from_dict
from lecture_notes.core.types import Chapter, ChunkNotes, QAPair, Segment, TimedText, Transcript
from lecture_notes.course.export.common import qa_pairs
from lecture_notes.stages import vocab
from lecture_notes.stages.render import render_outputs
from lecture_notes.text import confidence as conf
from notes_factory import make_notes
from test_vocab import ADJ1, ADJ2, LIVE, SLIDE2

# Killer T cells: tiny.en heard 'Helper' with probability 0.0 (the slide says 'Killer T cells destroy infected cells').
HELPER = Segment(151.0, 156.0, "Helper T cells destroy infected cells directly.", tuple(
    replace(w, probability=p) for w, p in zip(
        (vocab.Word(151.0 + i * 0.5, 151.4 + i * 0.5, t) for i, t in enumerate(
            ["Helper", "T", "cells", "destroy", "infected", "cells", "directly."])),
        [0.0, 0.93, 0.99, 0.97, 0.98, 0.99, 0.95])), avg_logprob=-0.15, no_speech_prob=0.006,
    compression_ratio=1.6)


def _sample_notes():
    asr = Transcript((LIVE, ADJ1, ADJ2, HELPER), language="en", source="asr:tiny.en")
    fixed, n = vocab.correct_transcript(asr, [SLIDE2])
    assert n == 3
    kps = (TimedText("Live-attenuated vaccines use a weak and form of the pathogen.", 69.85, 75.19),
           TimedText("Many vaccines also contain an adjuvant.", 95.85, 98.11),
           TimedText("An adjuvant is an ingredient that amplifies the alarm signal.", 98.71, 103.03),
           TimedText("Helper T cells destroy infected cells directly.", 151.0, 156.0))
    qa = (QAPair("What is an adjuvant?", "an ingredient that amplifies the alarm signal", "definition", 98.71,
                 103.03),
          QAPair("Which cells destroy infected cells directly?", "Helper T cells", "concept", 151.0, 156.0))
    base = make_notes()
    ch = Chapter(56.0, 160.0, "What a Vaccine Contains", "Vaccines.", key_points=kps, qa=qa, slides=(SLIDE2,))
    return replace(base, chapters=(ch,), chunks=(ChunkNotes(56.0, 160.0, (), kps, qa),), transcript=fixed)


def test_flags_follow_whisper_statistics():
    assert conf.word_unsure(LIVE.words[5]) and not conf.word_unsure(LIVE.words[2])  # 'weak' 0.39, 'vaccines' 0.99
    assert not conf.segment_unsure(HELPER)
    assert conf.segment_unsure(replace(HELPER, avg_logprob=-1.3))
    assert conf.segment_unsure(replace(HELPER, compression_ratio=2.9))  # a repetition loop
    assert conf.segment_unsure(replace(HELPER, no_speech_prob=0.8, avg_logprob=-0.7))
    assert not conf.segment_unsure(replace(HELPER, no_speech_prob=0.8, avg_logprob=-0.2))


def test_key_points_and_questions_on_garbled_speech_are_dropped():
    notes, dropped = conf.annotate(_sample_notes())
    kept = [k.text for k in notes.chapters[0].key_points]
    # 'weak' (0.39) and 'Helper' (0.0) are unsure content words: those two points go, the adjuvant ones stay.
    assert kept == ["Many vaccines also contain an adjuvant.",
                    "An adjuvant is an ingredient that amplifies the alarm signal."]
    assert [q.question for q in notes.chapters[0].qa] == ["What is an adjuvant?"]
    assert dropped == 3
    # A corrected word counts as fairly sure, not as the 0.168 ASR gave 'anedjuva'.
    assert notes.chapters[0].key_points[0].confidence == conf.CORRECTED
    assert notes.chapters[0].key_points[1].confidence == 0.736
    assert [k.text for k in notes.chunks[0].key_points] == kept


def test_human_captions_are_fully_confident():
    notes = _sample_notes()
    notes = replace(notes, transcript=replace(notes.transcript, source="file:lecture.srt"))
    out, dropped = conf.annotate(notes)
    assert dropped == 0 and {k.confidence for k in out.chapters[0].key_points} == {1.0}


def test_marks_in_html_markdown_and_json(tmp_path):
    notes, _ = conf.annotate(_sample_notes())
    notes = replace(notes, chapters=(replace(notes.chapters[0], key_points=notes.chapters[0].key_points + (
        TimedText("Subunit vaccines contain purified pieces.", 80.0, 85.0, confidence=0.55),)),))
    render_outputs(notes, tmp_path, formats=("md", "html", "json"))
    html = (tmp_path / "notes.html").read_text()
    assert ('<span class="asr-fixed" title="Corrected from the slide; speech recognition heard '
            '\u201canedjuva.\u201d">adjuvant.</span>') in html
    # 'weak' was unsure: a subtle mark (no slide term or real word close enough to offer as another reading).
    assert '<span class="asr-unsure" title="Speech recognition was unsure of this word">weak</span>' in html
    assert 'class="asr-unsure-item" role="img" title="Speech recognition was unsure of this passage (55% confidence)' in html
    md = (tmp_path / "notes.md").read_text()
    assert "contain an adjuvant. (heard: anedjuva.)" in md
    assert "use a weak (?) and form" in md
    assert "Subunit vaccines contain purified pieces. *(unsure: 55%)*" in md
    d = json.loads((tmp_path / "notes.json").read_text())
    assert all("confidence" in k for c in d["chapters"] for k in c["key_points"] + c["qa"])
    assert notes_from_dict(d).chapters[0].key_points[-1].confidence == 0.55


def test_exports_skip_unsure_questions():
    d = {"chapters": [{"qa": [{"question": "What is an adjuvant?", "answer": "an ingredient", "kind": "definition",
                               "start": 98.7, "end": 103.0, "confidence": 0.74},
                              {"question": "Which cells destroy infected cells?", "answer": "Helper T cells",
                               "kind": "concept", "start": 151.0, "end": 156.0, "confidence": 0.0},
                              {"question": "What is an antigen?", "answer": "a molecule", "kind": "definition",
                               "start": 20.0, "end": 24.0}]}]}
    assert [q["question"] for q in qa_pairs(d)] == ["What is an adjuvant?", "What is an antigen?"]
