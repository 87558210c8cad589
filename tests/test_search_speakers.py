"""Speakers the way a user meets them: build notes from a meeting transcript that says who speaks (segments.json
``speaker``), then `lecture-notes search` a question that names a speaker and get that speaker's moment."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from lecture_notes.cli.build import main

pytestmark = pytest.mark.slow  # builds notes and loads the bundled MiniLM

# (speaker, text): the budget comes up twice, at length by the industrial designer and briefly by marketing.
TURNS = [
    ("Project Manager", "Good morning everyone. Today we decide the materials and the budget for the new remote "
                        "control, and we go through the presentations one by one."),
    ("Industrial Designer", "Let me start with the budget. The budget is twelve euros and fifty cents per unit. "
                            "The budget has to cover the case, the chip, the battery and the buttons."),
    ("Industrial Designer", "If the budget grows we lose our margin, so the budget has to stay fixed. I checked "
                            "the numbers with the factory twice and the budget is really tight."),
    ("Project Manager", "Thank you. Let us move on to the look of the device. What colours do we have?"),
    ("User Interface", "I would like a bright yellow case with large round buttons, because older users find "
                       "small buttons hard to press and they lose dark remotes on dark sofas."),
    ("User Interface", "The menu should have only four entries, and the volume button should sit where the "
                       "thumb rests. A scroll wheel like on the iPod would make the channel list quick."),
    ("Project Manager", "Good. Now the user survey. What do our users actually want from a remote?"),
    ("Marketing", "Our survey of one hundred people shows they want fancy looks first and easy use second. "
                  "Young people would pay a little more for a remote that looks trendy."),
    ("Marketing", "Given our budget, I would drop the touch screen completely: it costs far too much for "
                  "us and nobody in the survey asked for it. Spend it on a rubber case instead."),
    ("Project Manager", "Fine. Let us also talk about the batteries and the charging station."),
    ("Industrial Designer", "A kinetic battery recharges when you shake the remote, so no charging station is "
                            "needed. The solar cell option does not work well indoors."),
    ("Project Manager", "Then that is decided. I will send the minutes this afternoon. Thank you all."),
]


def _transcript(path: Path) -> Path:
    segs, t = [], 0.0
    for speaker, text in TURNS:
        dur = max(8.0, len(text.split()) / 2.5)
        segs.append({"start": round(t, 2), "end": round(t + dur, 2), "text": text, "speaker": speaker})
        t += dur + 1.0
    path.write_text(json.dumps(segs, indent=1))
    return path


@pytest.fixture(scope="module")
def meeting(tmp_path_factory):
    work = tmp_path_factory.mktemp("speakers")
    env = {"LECTURE_NOTES_CACHE": str(work / "cache")}
    out = work / "meeting-notes"
    result = CliRunner().invoke(main, ["build", str(_transcript(work / "meeting.json")), "-o", str(out), "-q"],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return out


def _search(folder: Path, query: str) -> dict:
    result = CliRunner().invoke(main, ["search", str(folder), query, "-k", "3", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_notes_and_index_keep_the_speakers(meeting):
    notes = json.loads((meeting / "notes.json").read_text())
    assert [s.get("speaker") for s in notes["transcript"]] == [sp for sp, _ in TURNS]
    index = json.loads((meeting / "search" / "index.json").read_text())
    assert set(index["sentence_speakers"]) == {sp for sp, _ in TURNS}
    windows = [u for u in index["units"] if u["kind"] == "window"]
    assert all(u["speakers"] for u in windows) and any(len(u["speakers"]) > 1 for u in windows)


def test_what_did_a_speaker_say_about_returns_their_moment(meeting):
    out = _search(meeting, "What did the marketing say about the budget?")
    top = out["results"][0]
    assert top["speakers"][0] == "Marketing", out  # (a moment is at least 20 s: the next turn may join it)
    assert "touch screen" in top["text"]
    assert set(top) >= {"lecture", "start", "end", "score", "text"}  # the contract, plus "speakers"
    # the same question without naming anyone finds the long budget talk
    plain = _search(meeting, "What was said about the budget?")["results"][0]
    assert "Industrial Designer" in plain["speakers"] and "twelve euros" in plain["text"]


def test_human_output_names_the_speakers(meeting):
    result = CliRunner().invoke(main, ["search", str(meeting), "Which battery did the industrial designer "
                                                               "suggest?", "-k", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert first.startswith("1. [") and "Industrial Designer" in first, result.output
    assert "kinetic battery" in result.output
