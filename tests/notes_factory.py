"""Builds a realistic LectureNotes (a 3-chapter information-theory lecture) for render/serialize tests.

``make_notes(inject=True)`` puts hostile strings (script tags, onerror images, javascript: links, Markdown and
YAML breakers) into every text field that comes from ASR, OCR or a model.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from lecture_notes.core.types import (Chapter, ChunkNotes, GlossaryEntry, LectureNotes, QAPair, Segment, Slide,
                                 SourceInfo, TimedText, Transcript, Word)

SCRIPT = "<script>window.pwned=1</script>"
IMG = '<img src=x onerror="window.pwned=2">'
JSLINK = "[click me](javascript:window.pwned=3)"
ATTR = '" onmouseover="window.pwned=4" x="'
EVIL = f"{SCRIPT} {IMG} {JSLINK} {ATTR}"

_SPEECH = [
    "Welcome back everyone, today we start with the question of what information actually is.",
    "Claude Shannon proposed in 1948 that information is the resolution of uncertainty.",
    "If I flip a fair coin, the outcome carries exactly one bit of information.",
    "A message that you could predict perfectly tells you nothing new at all.",
    "So information is tied to surprise, and surprise is tied to probability.",
    "Let's make that precise with the idea of self-information, minus log of p.",
    "Entropy is the expected self-information of a random variable.",
    "For a fair coin the entropy is one bit, for a biased coin it is less.",
    "The entropy is largest when all outcomes are equally likely.",
    "Entropy gives a lower bound on the average length of any lossless code.",
    "Now let's see how to actually build a code that gets close to that bound.",
    "Huffman coding repeatedly merges the two least probable symbols.",
    "The result is a prefix code, so no codeword is the start of another.",
    "Its average length is within one bit of the entropy.",
    "For next week, please read chapter five and try the exercises on arithmetic coding.",
]


def _words(start: float, end: float, text: str) -> Tuple[Word, ...]:
    parts = text.split()
    step = (end - start) / max(1, len(parts))
    return tuple(Word(round(start + i * step, 2), round(start + (i + 1) * step, 2), " " + w, 0.9)
                 for i, w in enumerate(parts))


def make_transcript(inject: bool = False) -> Transcript:
    segs: List[Segment] = []
    t = 2.0
    for i, text in enumerate(_SPEECH):
        if inject and i == 3:
            text = f"{text} {EVIL} | pipe `tick` *star* _under_ # not a heading"
        end = round(t + 6.0 + (i % 3) * 1.5, 2)
        segs.append(Segment(round(t, 2), end, text, _words(t, end, text) if i < 4 else ()))
        t = end + 0.5 + (i % 2) * 40.0  # gaps: the real lecture has much more speech in between
    return Transcript(tuple(segs), language="en", source="asr:tiny.en")


def make_notes(*, inject: bool = False, title: Optional[str] = None) -> LectureNotes:
    """A realistic LectureNotes; ``inject`` adds hostile text everywhere text comes from ASR/OCR/models."""
    x = (lambda s: f"{s} {EVIL}") if inject else (lambda s: s)
    transcript = make_transcript(inject)
    ch1_slides = (
        Slide(0.0, 95.5, "slides/slide-001.jpg", x("Information Theory\nLecture 3 - Prof. Ada Example"),
              x("Information Theory"), 0.97),
        Slide(95.5, 180.0, "slides/slide-002.jpg", x("What is information?\n- resolution of uncertainty\n"
                                                      "- I(x) = -log2 p(x)"), x("What is information?"), 0.91,
              description=x("A slide with a coin and a formula")),
    )
    ch2_slides = (Slide(180.0, 410.25, "slides/slide-003.jpg", x("Entropy\nH(X) = -sum p log p"), x("Entropy"), 0.88),)
    ch3_slides = (Slide(410.25, 700.0, "slides/slide-004.jpg", x("Huffman coding\nmerge two least probable"),
                        "", 0.42),)
    chapters = (
        Chapter(0.0, 180.0, x("What is information?"),
                x("Information is the resolution of uncertainty; a fair coin flip carries one bit. "
                  "Predictable messages carry **no** information."),
                key_points=(TimedText(x("Information is tied to surprise, and surprise to probability."), 30.5, 38.0),
                            TimedText("Self-information of an outcome is `-log2 p(x)` bits.", 95.5, 103.0),
                            TimedText("A fair coin flip carries exactly 1 bit.", 17.0, 23.5)),
                qa=(QAPair(x("What is information, according to Shannon?"),
                           x("The resolution of uncertainty."), "definition", 9.0, 16.5),
                    QAPair("Why does a predictable message carry no information?",
                           "Because it does not reduce your uncertainty: you already knew the outcome.", "why",
                           24.0, 30.0)),
                slides=ch1_slides),
        Chapter(180.0, 410.25, x("Entropy"),
                "Entropy is the expected self-information; it is largest for uniform distributions and bounds "
                "the average code length.",
                key_points=(TimedText("Entropy H(X) is the expected self-information.", 181.0, 187.0),
                            TimedText(x("Uniform distributions maximise entropy."), 240.0, 247.5)),
                qa=(QAPair("How does a biased coin's entropy compare to a fair coin's?",
                           "It is lower than one bit.", "how", 188.0, 195.0),
                    QAPair("Entropy gives a ____ on the average length of a lossless code.", "lower bound",
                           "cloze", 248.0, 255.0)),
                slides=ch2_slides),
        Chapter(410.25, 700.0, "Huffman coding",
                x("Huffman coding merges the two least probable symbols until one tree remains."),
                key_points=(TimedText("Huffman codes are prefix codes.", 420.0, 426.0),
                            TimedText("Average length is within one bit of the entropy.", 470.0, 476.0)),
                qa=(QAPair("What property makes Huffman codes decodable without separators?",
                           "They are prefix codes: no codeword is a prefix of another.", "concept", 420.0, 426.0),),
                slides=ch3_slides),
    )
    chunks = tuple(ChunkNotes(c.start, c.end, (TimedText(c.summary, c.start, min(c.end, c.start + 20.0)),),
                              c.key_points, c.qa, backend="extractive") for c in chapters)
    glossary = (
        GlossaryEntry("entropy", x("Expected self-information of a random variable, in bits."), 181.0, 187.0),
        GlossaryEntry(x("prefix code"), "A code in which no codeword is the start of another | ever.", 420.0, 426.0),
        GlossaryEntry("self-information", "Minus the log of an outcome's probability.", 95.5, 103.0),
    )
    return LectureNotes(
        title=title if title is not None else x("Lecture 3: Information Theory"),
        source=SourceInfo("/home/student/lectures/it-lecture-3.mp4", 700.0, "ab" * 32),
        summary=x("Shannon defined information as the resolution of uncertainty. Entropy measures the average "
                  "information of a source and bounds lossless compression; Huffman coding comes within one bit."),
        chapters=chapters, chunks=chunks, glossary=glossary, transcript=transcript,
        created="2024-03-05T10:15:00+00:00", tags=("information-theory", x("week-3")),
        stats=(("llm_fallbacks", 0), ("asr_model", "tiny.en"), ("windows", (300, 300, 100))),
    )


def write_slide_images(image_root: Path, notes: LectureNotes) -> List[Path]:
    """Draw a simple JPEG for every slide of ``notes`` under ``image_root`` (as ocr.read_slides would)."""
    from PIL import Image, ImageDraw

    paths = []
    for i, s in enumerate(notes.slides):
        p = Path(image_root) / s.image_path
        p.parent.mkdir(parents=True, exist_ok=True)
        img = Image.new("RGB", (640, 360), (250, 250, 245))
        d = ImageDraw.Draw(img)
        d.rectangle((0, 0, 640, 60), fill=(40, 70, 140))
        d.text((20, 20), f"Slide {i + 1}: {s.title[:40]}", fill=(255, 255, 255))
        for j, line in enumerate(s.text.splitlines()[1:4]):
            d.text((40, 100 + 40 * j), line[:60], fill=(20, 20, 20))
        img.save(p, quality=85)
        paths.append(p)
    return paths
