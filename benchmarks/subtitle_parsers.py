"""Compare the project's SRT/VTT reader with the maintained parsers `webvtt-py` and `srt` on the inputs users hit.

    pip install webvtt-py srt && python benchmarks/subtitle_parsers.py

For each case it prints what each parser does: ``ok N`` (N cues read), ``ERR: message`` (rejected) or
``ok N !`` when it accepted the file but lost or invented text/times (checked against the case's expected
cues). The verdict in docs/third-party.md is drawn from this table.
"""
from __future__ import annotations

import io
import sys
import tempfile
from pathlib import Path

GOOD_VTT = "WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nHello there.\n\n00:00:03.000 --> 00:00:04.000\nSecond cue.\n"
GOOD_SRT = "1\n00:00:01,000 --> 00:00:02,500\nHello there.\n\n2\n00:00:03,000 --> 00:00:04,000\nSecond cue.\n"
TWO = [(1.0, 2.5, "Hello there."), (3.0, 4.0, "Second cue.")]

# name, suffix, text, expected cues (None: must be rejected)
CASES = [
    ("vtt: good", ".vtt", GOOD_VTT, TWO),
    ("vtt: BOM + CRLF", ".vtt", "\ufeff" + GOOD_VTT.replace("\n", "\r\n"), TWO),
    ("vtt: mm:ss.ttt (no hours)", ".vtt", GOOD_VTT.replace("00:00:0", "00:0"), TWO),
    ("vtt: cue ids, settings, tags, NOTE", ".vtt",
     "WEBVTT\nKind: captions\nLanguage: en\n\nNOTE a comment\n\nid1\n00:00:01.000 --> 00:00:02.500 align:start\n"
     "<v Ann>Hello</v> <c.x>there.</c>\n\n00:00:03.000 --> 00:00:04.000\nSecond cue.\n", TWO),
    ("vtt: header missing", ".vtt", GOOD_VTT.replace("WEBVTT\n\n", ""), None),
    ("vtt: malformed timing '00:00:01.000 -> ...'", ".vtt", GOOD_VTT.replace("01.000 -->", "01.000 ->"), None),
    ("vtt: minutes out of range 00:61:00.000", ".vtt", GOOD_VTT.replace("00:00:03.000", "00:61:03.000"), None),
    ("vtt: garbage timing 'aa:bb'", ".vtt", GOOD_VTT.replace("00:00:03.000 --> 00:00:04.000", "aa:bb --> cc"),
     None),
    ("vtt: no blank line between cues", ".vtt", GOOD_VTT.replace("there.\n\n", "there.\n"), TWO),
    ("srt: good", ".srt", GOOD_SRT, TWO),
    ("srt: BOM + CRLF", ".srt", "\ufeff" + GOOD_SRT.replace("\n", "\r\n"), TWO),
    ("srt: '.' millis", ".srt", GOOD_SRT.replace(",", "."), TWO),
    ("srt: no index lines", ".srt", GOOD_SRT.replace("1\n", "", 1).replace("2\n", "", 1), TWO),
    ("srt: blank line inside a cue", ".srt", GOOD_SRT.replace("Hello there.", "Hello\n\nthere."), TWO),
    ("srt: malformed timing '00:00:01,000 -> ...'", ".srt", GOOD_SRT.replace("01,000 -->", "01,000 ->"), None),
    ("srt: minutes out of range 00:61:00,000", ".srt", GOOD_SRT.replace("00:00:03,000", "00:61:03,000"), None),
    # Ambiguous: a block without a timing after a cue. All three read it as more text of that cue (ours does so
    # on purpose: hand-edited SRT often has a blank line inside a cue).
    ("srt: text block without timing", ".srt", GOOD_SRT + "\n3\nthis is not a timing\nText.\n",
     TWO[:1] + [(3.0, 4.0, "Second cue. 3 this is not a timing Text.")]),
    ("srt: a stray line before the first cue", ".srt", "Subtitles by someone\n\n" + GOOD_SRT, None),
]


def _close(got, want) -> bool:
    return len(got) == len(want) and all(abs(a - c) < 1e-3 and abs(b - d) < 1e-3 and t == u
                                         for (a, b, t), (c, d, u) in zip(got, want))


def ours(path: Path):
    from lecture_notes.stages.subtitles import load_transcript

    return [(s.start, s.end, s.text) for s in load_transcript(path).segments]


def webvtt_py(path: Path):
    import webvtt

    reader = webvtt.from_srt if path.suffix == ".srt" else webvtt.read
    return [(_secs(c.start), _secs(c.end), " ".join(c.text.split())) for c in reader(str(path))]


def _secs(ts: str) -> float:
    parts = ts.replace(",", ".").split(":")
    return sum(float(p) * 60 ** i for i, p in enumerate(reversed(parts)))


def srt_lib(path: Path):
    import srt

    text = path.read_text(encoding="utf-8-sig")
    return [(s.start.total_seconds(), s.end.total_seconds(), " ".join(s.content.split()))
            for s in srt.parse(text)]


def run(fn, path: Path, want) -> str:
    try:
        got = fn(path)
    except Exception as exc:  # noqa: BLE001 - we report whatever the library raises
        msg = " ".join(str(exc).split())[:70]
        return f"ERR {type(exc).__name__}: {msg}" + ("" if want is None else "  (!! rejected a file players read)")
    if want is None:
        return f"ok {len(got)}  (!! accepted a broken file)"
    import re

    clean = [(a, b, re.sub(r"<[^>]+>", "", t)) for a, b, t in got]
    return f"ok {len(got)}" + ("" if _close(clean, want) else f"  (!! read {clean[:3]})")


def main() -> int:
    parsers = [("lecture_notes", ours)]
    for name, fn, mod in (("webvtt-py", webvtt_py, "webvtt"), ("srt", srt_lib, "srt")):
        try:
            __import__(mod)
            parsers.append((name, fn))
        except ImportError:
            print(f"({name} not installed: pip install {name})", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        for case, suffix, text, want in CASES:
            path = Path(tmp) / f"case{suffix}"
            path.write_bytes(text.encode("utf-8"))
            print(f"\n{case}")
            for name, fn in parsers:
                if name == "srt" and suffix != ".srt":
                    continue
                print(f"  {name:<14} {run(fn, path, want)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
