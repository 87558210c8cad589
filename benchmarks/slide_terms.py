"""Does the slide vocabulary fix ASR errors on slide terms without hurting the rest? Term error rate and WER.

    python benchmarks/slide_terms.py CLIPS_DIR [--asr-cache DIR] [--ocr] [--tuned NAME ...] [--json OUT]

CLIPS_DIR holds videos made by ``../shared/devset/tools/make_video.py LECTURE X.mp4 --variant slides`` with their
``X.truth.json``. Each clip is transcribed with the default recogniser (faster-whisper tiny.en, greedy; the
transcript is cached in ``--asr-cache``), then corrected by ``stages.vocab`` against the slides: the slides the
video shows as OCR reads them (``--ocr``: slide detection + RapidOCR, as a build does) or the truth file's slide
text (perfect OCR, the default: fast).

Slide-term error rate: every reference word of 4+ letters spoken while a slide is on screen that is written on
that slide (title or bullets; stopwords left out) is a slide-term occurrence; it is an error when the jiwer
alignment of the whole clip does not match it exactly. WER is over the whole clip (lower-case, hyphens split,
punctuation dropped). Clips named with ``--tuned`` were used to choose the stage's thresholds; the others are
held out and reported separately.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lecture_notes.core.serialize import _segment, _segment_from  # noqa: E402
from lecture_notes.core.types import Slide, Transcript  # noqa: E402
from lecture_notes.stages import vocab  # noqa: E402

STOP = set("""about above after again against also because been before being below between both could does doing
down during each from further have having here into itself just more most other over same should some such than
that their them then there these they this those through under until very what when where which while with would
your cont""".split())


def norm_words(text: str):
    text = text.lower().replace("-", " ").replace("’", "'")
    return re.sub(r"[^a-z0-9' ]+", " ", text).split()


def transcribe(clip: Path, cache: Path) -> Transcript:
    out = cache / (clip.stem + ".asr.json")
    if out.exists():
        d = json.loads(out.read_text())
        return Transcript(tuple(_segment_from(s) for s in d["segments"]), source=d["source"])
    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber
    from lecture_notes.stages import transcribe as tr
    from lecture_notes.stages.audio import load_audio

    backend = FasterWhisperTranscriber("tiny.en")
    try:
        t = tr.transcribe(load_audio(clip), backend)
    finally:
        backend.close()
    out.write_text(json.dumps({"source": t.source, "segments": [_segment(s) for s in t.segments]}))
    return t


def truth_slides(truth: dict):
    sl = truth["slides"]
    out = []
    for i, s in enumerate(sl):
        end = sl[i + 1]["t"] if i + 1 < len(sl) else truth["duration_s"]
        out.append(Slide(s["t"], end, "", "\n".join([s["title"]] + s["bullets"]), s["title"], 1.0))
    return out


def ocr_slides(clip: Path, cache: Path):
    import tempfile

    from lecture_notes.backends import registry
    from lecture_notes.stages import media, ocr
    from lecture_notes.stages import slides as slides_mod

    info = media.probe(clip)
    spans = slides_mod.detect_slides(media.iter_frames(clip, fps=0.5, max_side=640), duration=info.duration)
    engine = registry.create("ocr", "rapidocr")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            return list(ocr.read_slides(spans, engine, Path(tmp)))
    finally:
        engine.close()


def score(truth: dict, transcript: Transcript) -> dict:
    import jiwer

    ref, times = [], []
    for seg in truth["segments"]:
        ws = norm_words(seg["text_clean"])
        for k, w in enumerate(ws):
            ref.append(w)
            times.append(seg["start"] + (seg["end"] - seg["start"]) * k / max(1, len(ws)))
    hyp = [w for s in transcript.segments for w in norm_words(s.text)]
    o = jiwer.process_words(" ".join(ref), " ".join(hyp))
    ok = [False] * len(ref)
    for a in o.alignments[0]:
        if a.type == "equal":
            for i in range(a.ref_start_idx, a.ref_end_idx):
                ok[i] = True
    slides = truth["slides"]
    n_terms = n_err = 0
    missed = []
    for i, (w, t) in enumerate(zip(ref, times)):
        k = max([j for j, s in enumerate(slides) if s["t"] <= t] or [0])
        s = slides[k]
        on_slide = {x for x in norm_words(" ".join([s["title"]] + s["bullets"])) if len(x) >= 4 and x not in STOP}
        if w in on_slide:
            n_terms += 1
            if not ok[i]:
                n_err += 1
                missed.append(w)
    return {"wer": o.wer, "words": len(ref), "terms": n_terms, "term_errors": n_err, "missed": missed}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("clips", type=Path)
    ap.add_argument("--asr-cache", type=Path, default=None)
    ap.add_argument("--ocr", action="store_true", help="read the slides with slide detection + OCR")
    ap.add_argument("--tuned", nargs="*", default=[], help="clip names used to choose the thresholds")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    cache = args.asr_cache or args.clips
    cache.mkdir(parents=True, exist_ok=True)
    rows = []
    for clip in sorted(args.clips.glob("*.mp4")):
        truth_path = clip.with_suffix(".truth.json")
        if not truth_path.exists():
            continue
        truth = json.loads(truth_path.read_text())
        transcript = transcribe(clip, cache)
        slides = ocr_slides(clip, cache) if args.ocr else truth_slides(truth)
        fixed, n = vocab.correct_transcript(transcript, slides)
        before, after = score(truth, transcript), score(truth, fixed)
        group = "tuned" if any(clip.stem.startswith(t) for t in args.tuned) else "held-out"
        rows.append({"clip": clip.stem, "group": group, "before": before, "after": after, "corrections": n,
                     "pairs": vocab.corrections(fixed)})
        print(f"{clip.stem[:40]:40s} {group:8s} words {before['words']:5d} terms {before['terms']:4d} "
              f"term err {before['term_errors']:3d} -> {after['term_errors']:3d}  WER {before['wer']:.2%} -> "
              f"{after['wer']:.2%}  fixes {n} {vocab.corrections(fixed)}", flush=True)
    for group in ("tuned", "held-out", "all"):
        rs = [r for r in rows if group == "all" or r["group"] == group]
        if not rs:
            continue
        terms = sum(r["before"]["terms"] for r in rs)
        eb = sum(r["before"]["term_errors"] for r in rs)
        ea = sum(r["after"]["term_errors"] for r in rs)
        words = sum(r["before"]["words"] for r in rs)
        wb = sum(r["before"]["wer"] * r["before"]["words"] for r in rs) / max(1, words)
        wa = sum(r["after"]["wer"] * r["after"]["words"] for r in rs) / max(1, words)
        print(f"{group:8s} {len(rs):2d} clips, {words} words, {terms} slide-term occurrences: term error "
              f"{eb / max(1, terms):.2%} -> {ea / max(1, terms):.2%}, WER {wb:.2%} -> {wa:.2%}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
