"""Does slide vocabulary help Whisper? WER and real-time factor with and without a slide prompt.

Runs the real faster-whisper backend on ``samples/lecture.mp4`` against ``samples/lecture.truth.json`` (its
script and slide titles/bullets, used as perfect OCR) for each model, beam size and prompt mode:

    python benchmarks/asr_prompt.py                       # tiny.en and base, beam 1, none/initial_prompt/hotwords
    python benchmarks/asr_prompt.py --beams 1 5 --models tiny.en --noise-snr 10 --json out.json

``--noise-snr`` adds white noise at that SNR (dB) to make the clean synthetic speech harder, which is where a
vocabulary prompt could matter. WER uses jiwer after lower-casing, splitting hyphens and dropping punctuation.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber  # noqa: E402
from lecture_notes.stages.audio import load_audio  # noqa: E402
from lecture_notes.stages.transcribe import slide_prompt, transcribe  # noqa: E402
from lecture_notes.core.types import Slide  # noqa: E402


def normalise(text: str) -> str:
    text = text.lower().replace("-", " ").replace("’", "'")
    text = re.sub(r"[^a-z0-9' ]+", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def wer(reference: str, hypothesis: str) -> float:
    import jiwer

    return jiwer.wer(normalise(reference), normalise(hypothesis))


def term_recall(terms, hypothesis: str) -> float:
    """Share of the slides' distinctive words that appear in the transcript."""
    hyp = set(normalise(hypothesis).split())
    return sum(t in hyp for t in terms) / max(1, len(terms))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--video", type=Path, default=ROOT / "samples" / "lecture.mp4")
    ap.add_argument("--truth", type=Path, default=ROOT / "samples" / "lecture.truth.json")
    ap.add_argument("--models", nargs="+", default=["tiny.en", "base"])
    ap.add_argument("--beams", nargs="+", type=int, default=[1])
    ap.add_argument("--modes", nargs="+", default=["none", "initial_prompt", "hotwords"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--noise-snr", type=float, default=None)
    ap.add_argument("--max-seconds", type=float, default=None)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)

    truth = json.loads(args.truth.read_text(encoding="utf-8"))
    audio = load_audio(args.video)
    reference = truth["script"]
    if args.max_seconds:
        audio = audio[: int(args.max_seconds * 16000)]
        reference = " ".join(s["text"] for s in truth["sentences"] if s["end"] <= args.max_seconds)
    if args.noise_snr is not None:
        rng = np.random.default_rng(0)
        power = float(np.mean(audio ** 2))
        audio = (audio + rng.normal(0, np.sqrt(power / 10 ** (args.noise_snr / 10)), len(audio))).astype(np.float32)
    duration = len(audio) / 16000
    slides = [Slide(s["start"], s["end"], "", "\n".join(s["bullets"]), s["title"], 1.0) for s in truth["slides"]]
    prompt = slide_prompt(slides)
    stop = {"the", "and", "are", "for", "can", "our", "who", "old", "one", "two", "its", "but", "not", "of", "a"}
    slide_words = {w for s in truth["slides"] for w in normalise(s["title"] + " " + " ".join(s["bullets"])).split()}
    terms = sorted(w for w in slide_words if len(w) >= 6 and w not in stop)
    print(f"audio {duration:.1f} s, reference {len(reference.split())} words, noise SNR {args.noise_snr}")
    print(f"prompt ({len(prompt)} chars): {prompt}\n")
    print(f"{'model':8} {'beam':>4} {'prompt':15} {'WER':>7} {'terms':>6} {'RTF':>6} {'load s':>6}")
    rows = []
    for model in args.models:
        t0 = time.perf_counter()
        for beam in args.beams:
            for mode in args.modes:
                backend = FasterWhisperTranscriber(model, cpu_threads=args.threads, beam_size=beam,
                                                   prompt_mode=mode if mode != "none" else "initial_prompt")
                load_s = time.perf_counter() - t0
                t1 = time.perf_counter()
                tr = transcribe(audio, backend, initial_prompt=None if mode == "none" else prompt)
                secs = time.perf_counter() - t1
                backend.close()
                row = {"model": model, "beam": beam, "prompt": mode, "wer": wer(reference, tr.text),
                       "term_recall": term_recall(terms, tr.text), "rtf": secs / duration, "load_s": load_s,
                       "seconds": secs, "text": tr.text}
                rows.append(row)
                print(f"{model:8} {beam:>4} {mode:15} {row['wer']:7.2%} {row['term_recall']:6.2f} "
                      f"{row['rtf']:6.3f} {load_s:6.1f}", flush=True)
                t0 = time.perf_counter()
    if args.json:
        args.json.write_text(json.dumps({"duration": duration, "prompt": prompt, "noise_snr": args.noise_snr,
                                         "rows": rows}, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
