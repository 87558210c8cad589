"""Subtitle/transcript parsing and writing: edge cases, errors and round trips."""
from __future__ import annotations

import json

import pytest

from lecture_notes.core.errors import InputError, TranscriptError
from lecture_notes.stages.subtitles import format_srt, format_vtt, load_transcript, parse_timestamp
from lecture_notes.core.types import Segment


def write(tmp_path, name, text, encoding="utf-8", newline="\n"):
    p = tmp_path / name
    p.write_bytes(text.replace("\n", newline).encode(encoding))
    return p


def spans(tr):
    return [(round(s.start, 3), round(s.end, 3), s.text) for s in tr.segments]


SRT = """1
00:00:01,000 --> 00:00:03,500
Hello <i>world</i>,
second line

2
00:00:04,000 --> 00:00:06,000
Fish &amp; chips
"""


def test_srt_basic_multiline_tags_entities(tmp_path):
    tr = load_transcript(write(tmp_path, "a.srt", SRT))
    assert spans(tr) == [(1.0, 3.5, "Hello world, second line"), (4.0, 6.0, "Fish & chips")]
    assert tr.source == "file:a.srt"
    assert tr.text == "Hello world, second line Fish & chips"


def test_srt_bom_crlf_dot_millis_and_ass_codes(tmp_path):
    text = "1\n00:00:01.5 --> 00:00:02.25\n{\\an8}Top line\n\n2\n0:00:03,000 --> 0:00:04,000\nnext\n"
    tr = load_transcript(write(tmp_path, "b.srt", "\ufeff" + text, newline="\r\n"))
    assert spans(tr) == [(1.5, 2.25, "Top line"), (3.0, 4.0, "next")]


def test_srt_missing_blank_line_and_blank_line_inside_cue(tmp_path):
    text = ("1\n00:00:01,000 --> 00:00:02,000\nfirst\n2\n00:00:02,000 --> 00:00:03,000\nsecond\n\n"
            "3\n00:00:03,000 --> 00:00:04,000\nthird part\n\ncontinues here\n")
    tr = load_transcript(write(tmp_path, "c.srt", text))
    assert spans(tr) == [(1.0, 2.0, "first"), (2.0, 3.0, "second"), (3.0, 4.0, "third part continues here")]


def test_vtt_full_featured(tmp_path):
    text = """WEBVTT - lecture captions
Kind: captions
Language: de-DE

NOTE this is a comment
spanning two lines --- not a cue

STYLE
::cue { color: yellow }

intro-cue
00:01.000 --> 00:04.000 align:start position:10%
<v Prof. Smith>Guten Tag,</v> &lt;alle&gt;
&nbsp;willkommen

00:00:04.000 --> 00:00:05.000
<c.yellow>Zweite</c> <00:00:04.500>Zeile &amp; mehr

00:00:05.000 --> 00:00:06.000

00:00:06.000 --> 00:00:07.000
x < y and y > z
"""
    tr = load_transcript(write(tmp_path, "d.vtt", text))
    assert spans(tr) == [(1.0, 4.0, "Guten Tag, <alle> willkommen"), (4.0, 5.0, "Zweite Zeile & mehr"),
                         (6.0, 7.0, "x < y and y > z")]
    assert tr.language == "de"


def test_vtt_header_directly_followed_by_cue_and_hours_over_99(tmp_path):
    tr = load_transcript(write(tmp_path, "e.vtt", "WEBVTT\n100:00:01.000 --> 100:00:02.000\nlate\n"))
    assert spans(tr) == [(360001.0, 360002.0, "late")]


def test_overlapping_unsorted_and_reversed_cues(tmp_path):
    text = ("WEBVTT\n\n00:00:05.000 --> 00:00:08.000\nb\n\n00:00:01.000 --> 00:00:06.000\na\n\n"
            "00:00:09.000 --> 00:00:08.000\nc\n")
    tr = load_transcript(write(tmp_path, "f.vtt", text))
    assert spans(tr) == [(1.0, 6.0, "a"), (5.0, 8.0, "b"), (9.0, 9.0, "c")]


def test_youtube_rolling_captions_deduplicated(tmp_path):
    text = """WEBVTT
Kind: captions
Language: en

00:00:00.000 --> 00:00:02.000 align:start position:0%
so<00:00:00.500><c> today</c><00:00:01.000><c> we</c>

00:00:02.000 --> 00:00:02.010 align:start position:0%
so today we

00:00:02.010 --> 00:00:04.000 align:start position:0%
so today we
talk<00:00:03.000><c> about</c><00:00:03.500><c> cells</c>

00:00:04.000 --> 00:00:04.010
talk about cells
"""
    tr = load_transcript(write(tmp_path, "yt.en.vtt", text))
    assert spans(tr) == [(0.0, 2.01, "so today we"), (2.01, 4.01, "talk about cells")]


@pytest.mark.parametrize("name,text,line,fragment", [
    ("bad.srt", "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:xx,000 --> 00:00:03,000\nbad\n", 6,
     "malformed cue timing"),
    ("bad2.srt", "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:75,000 --> 00:01:03,000\nbad\n", 6,
     "out of range"),
    ("bad.vtt", "WEBVT\n\n00:01.000 --> 00:02.000\nx\n", 1, "must start with 'WEBVTT'"),
    ("bad2.vtt", "WEBVTT\n\njunk\nmore junk\n00:01.000 --> 00:02.000\nx\n", 3, "expected a cue timing"),
])
def test_errors_name_file_and_line(tmp_path, name, text, line, fragment):
    with pytest.raises(TranscriptError) as err:
        load_transcript(write(tmp_path, name, text))
    msg = str(err.value)
    assert msg.startswith(f"{name}:{line}:") and fragment in msg and "\n" not in msg


def test_empty_file_and_missing_file(tmp_path):
    with pytest.raises(TranscriptError, match="no timed text"):
        load_transcript(write(tmp_path, "empty.vtt", "WEBVTT\n\n"))
    with pytest.raises(TranscriptError, match="not found"):
        load_transcript(tmp_path / "nope.srt")
    assert issubclass(TranscriptError, InputError)


def test_cp1252_file_is_read(tmp_path):
    tr = load_transcript(write(tmp_path, "w.srt", "1\n00:00:01,000 --> 00:00:02,000\ncaf\u00e9 na\u00efve\n",
                               encoding="cp1252"))
    assert tr.segments[0].text == "caf\u00e9 na\u00efve"


def test_json_list_and_dict_forms(tmp_path):
    segs = [{"start": 0.5, "end": 2, "text": "Hello &amp; welcome"}, {"start": 2, "end": 3.25, "text": "  "},
            {"start": 3, "end": 4, "text": "second", "words": [{"start": 3, "end": 3.5, "word": " second",
                                                                  "probability": 0.9}]}]
    tr = load_transcript(write(tmp_path, "s.json", json.dumps(segs)))
    assert spans(tr) == [(0.5, 2.0, "Hello & welcome"), (3.0, 4.0, "second")]
    assert tr.segments[1].words[0].word == "second"
    tr2 = load_transcript(write(tmp_path, "t.json", json.dumps({"language": "fr", "segments": segs})))
    assert tr2.language == "fr" and len(tr2.segments) == 2


@pytest.mark.parametrize("payload,fragment", [
    ("[{\"start\": 1, \"end\": 2, \"text\": \"a\"},\n{oops}]", "t.json:2: invalid JSON"),
    ("[{\"start\": -1, \"end\": 2, \"text\": \"a\"}]", "segment #1: start must be"),
    ("[{\"end\": 2, \"text\": \"a\"}]", "segment #1 needs 'start'"),
    ("{\"foo\": 1}", "expected a list"),
])
def test_json_errors(tmp_path, payload, fragment):
    with pytest.raises(TranscriptError, match=fragment.replace("#", r"\#")):
        load_transcript(write(tmp_path, "t.json", payload))


def test_devset_style_segments_json(tmp_path):
    segs = [{"start": 13.0, "end": 15.5, "text": "Prof: Good morning."}, {"start": 15.5, "end": 19.0,
                                                                           "text": "Today, bioimaging."}]
    tr = load_transcript(write(tmp_path, "segments.json", json.dumps(segs, indent=1)))
    assert tr.text == "Prof: Good morning. Today, bioimaging."


def test_txt_with_timestamps(tmp_path):
    text = ("00:00:01.000 First line\n[00:05] second\ncontinued\n1:02\nyoutube style\n# end 00:01:10.000\n")
    tr = load_transcript(write(tmp_path, "t.txt", text))
    assert spans(tr) == [(1.0, 5.0, "First line"), (5.0, 62.0, "second continued"), (62.0, 70.0, "youtube style")]


def test_txt_last_cue_end_estimated(tmp_path):
    tr = load_transcript(write(tmp_path, "t.txt", "00:00:10 one two three four five six seven eight nine ten\n"))
    assert tr.segments[0].start == 10.0 and tr.segments[0].end == pytest.approx(14.0)


def test_untimed_txt_raises_with_fix(tmp_path):
    with pytest.raises(TranscriptError) as err:
        load_transcript(write(tmp_path, "plain.txt", "\nJust some lecture text.\nNo times.\n"))
    assert str(err.value).startswith("plain.txt:2:") and ".srt or .vtt" in str(err.value)


def test_unknown_suffix(tmp_path):
    with pytest.raises(TranscriptError, match="unsupported transcript type"):
        load_transcript(write(tmp_path, "x.doc", "hello"))


def test_parse_timestamp_forms():
    assert parse_timestamp("01:02:03.004") == pytest.approx(3723.004)
    assert parse_timestamp("02:03,5") == pytest.approx(123.5)
    assert parse_timestamp("2:03") == 123.0
    with pytest.raises(ValueError):
        parse_timestamp("1:99")


CUES = [(0.0, 1.5, "Hello world"), (1.5, 3.0, "Fish & chips, x < y, a --> b"),
        (3.0, 3.0, "zero-length"), (3661.25, 3662.999, "over an hour")]


@pytest.mark.parametrize("fmt,suffix", [(format_srt, ".srt"), (format_vtt, ".vtt")])
def test_round_trip(tmp_path, fmt, suffix):
    text = fmt(CUES)
    tr = load_transcript(write(tmp_path, "rt" + suffix, text))
    got = [(s.start, s.end, s.text) for s in tr.segments]
    assert got == [(0.0, 1.5, "Hello world"), (1.5, 3.0, "Fish & chips, x < y, a -> b"), (3.0, 3.0, "zero-length"),
                   (3661.25, 3662.999, "over an hour")]


def test_format_sanitises_text_and_times():
    srt = format_srt([(-1, 2, "line one\n\n\nline two"), (5, 4, "backwards"), (6, 7, "  \n "),
                      Segment(8.0, 9.0, "a segment")])
    assert srt == ("1\n00:00:00,000 --> 00:00:02,000\nline one\nline two\n\n"
                   "2\n00:00:05,000 --> 00:00:05,000\nbackwards\n\n"
                   "3\n00:00:08,000 --> 00:00:09,000\na segment\n")
    vtt = format_vtt([(0.0004, 1.0006, "<b>&</b>")])
    assert vtt == "WEBVTT\n\n00:00:00.000 --> 00:00:01.001\n&lt;b&gt;&amp;&lt;/b&gt;\n"


def test_round_trip_segments_of_loaded_file(tmp_path):
    tr = load_transcript(write(tmp_path, "a.srt", SRT))
    again = load_transcript(write(tmp_path, "b.vtt", format_vtt(tr.segments)))
    assert spans(again) == spans(tr)


# ---------------------------------------------------------------------------------------------- speakers


def test_vtt_voice_spans_give_each_cue_its_speaker(tmp_path):
    text = """WEBVTT

00:00.000 --> 00:03.000
<v Roger Bingham>We are in New York City

00:03.000 --> 00:06.000
<v.loud Neil deGrasse Tyson>and we're actually at the planetarium</v>

00:06.000 --> 00:09.000
that the museum built in 2000.
"""
    tr = load_transcript(write(tmp_path, "v.vtt", text))
    assert [(s.speaker, s.text) for s in tr.segments] == [
        ("Roger Bingham", "We are in New York City"),
        ("Neil deGrasse Tyson", "and we're actually at the planetarium"),
        ("Neil deGrasse Tyson", "that the museum built in 2000.")]  # no new voice: the same speaker goes on


def test_srt_speaker_tags_carry_over_until_the_next_one(tmp_path):
    text = """1
00:00:01,000 --> 00:00:03,000
PROFESSOR: Today we look at enzymes.

2
00:00:03,000 --> 00:00:05,000
They speed reactions up.

3
00:00:05,000 --> 00:00:07,000
>> STUDENT: Do they get used up?

4
00:00:07,000 --> 00:00:09,000
>> No, they are not consumed.

5
00:00:09,000 --> 00:00:11,000
It is 10:30, time for a break.
"""
    tr = load_transcript(write(tmp_path, "t.srt", text))
    assert [s.speaker for s in tr.segments] == ["PROFESSOR", "PROFESSOR", "STUDENT", "", ""]
    assert tr.segments[0].text == "PROFESSOR: Today we look at enzymes."  # text as before; notes drop the tag


def test_json_speaker_field_is_kept_and_round_trips_through_notes_json(tmp_path):
    from dataclasses import replace

    from lecture_notes.core.serialize import notes_from_dict, notes_to_dict
    from lecture_notes.core.types import LectureNotes, SourceInfo

    segs = [{"start": 0, "end": 2, "text": "OK, we're on.", "speaker": "Grad A"},
            {"start": 2, "end": 5, "text": "The disks arrived.", "speaker": " Professor  B "},
            {"start": 5, "end": 6, "text": "Good."}]
    tr = load_transcript(write(tmp_path, "segments.json", json.dumps(segs)))
    assert [s.speaker for s in tr.segments] == ["Grad A", "Professor B", ""]
    notes = LectureNotes("t", SourceInfo("x", 6.0, ""), "", (), (), (), tr)
    d = notes_to_dict(notes)
    assert [s.get("speaker") for s in d["transcript"]] == ["Grad A", "Professor B", None]
    assert notes_from_dict(d).transcript == tr
    # notes.json written before speakers existed still loads (no speaker = unknown)
    for s in d["transcript"]:
        s.pop("speaker", None)
    assert notes_from_dict(d).transcript == replace(tr, segments=tuple(replace(s, speaker="") for s in tr.segments))


def test_sentences_end_at_a_change_of_speaker_and_keep_it():
    from lecture_notes.core.types import Transcript
    from lecture_notes.stages.chunking import split_sentences

    tr = Transcript((Segment(0, 1, "So", speaker="Project Manager"),
                     Segment(1, 4, "I think rubber is the better material.", speaker="Industrial Designer"),
                     Segment(4, 7, "and the budget allows it", speaker="Industrial Designer")))
    got = [(s.speaker, s.text) for s in split_sentences(tr)]
    # (a lower-case word after a full stop does not start a sentence: the designer's two segments stay one)
    assert got == [("Project Manager", "So"),
                   ("Industrial Designer", "I think rubber is the better material. and the budget allows it")]
    no_speakers = Transcript(tuple(Segment(s.start, s.end, s.text) for s in tr.segments))
    assert split_sentences(no_speakers)[0].text.startswith("So I think rubber")
