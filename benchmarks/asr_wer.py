#!/usr/bin/env python3
"""WER of sequential vs batched faster-whisper on dev videos made by devset/tools/make_video.py.

    python benchmarks/asr_wer.py --videos DIR [--batch-sizes 0,8] [--limit N]

DIR holds ``<name>.mp4`` with ``<name>.truth.json`` beside it (the caption cues the speech was made from).
Each file is transcribed the way a build does it (audio.iter_audio_blocks + transcribe_blocks, tiny.en, greedy)
once per batch size; prints per-file and pooled WER (lowercase, punctuation stripped, speaker tags removed as
make_video.py does) and the ASR time per batch size. Batched decoding must not raise the WER.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import re
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAKE_VIDEO = ROOT.parent / "shared" / "devset" / "tools" / "make_video.py"


def _clean_caption():
    spec = importlib.util.spec_from_file_location("make_video", MAKE_VIDEO)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.clean_caption


def norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9']+", text.lower()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--videos", type=Path, required=True)
    ap.add_argument("--batch-sizes", default="0,8")
    ap.add_argument("--limit", type=int, default=0)
    args = ap.parse_args()
    import jiwer

    from lecture_notes.backends.faster_whisper_backend import FasterWhisperTranscriber
    from lecture_notes.stages.audio import iter_audio_blocks
    from lecture_notes.stages.transcribe import transcribe_blocks

    clean = _clean_caption()
    files = sorted(p for p in args.videos.glob("*.mp4") if p.with_suffix(".truth.json").exists())
    files = files[: args.limit] if args.limit else files
    sizes = [int(x) for x in args.batch_sizes.split(",")]
    refs, hyps = {}, {bs: {} for bs in sizes}
    seconds = {bs: 0.0 for bs in sizes}
    for bs in sizes:
        asr = FasterWhisperTranscriber("tiny.en", batch_size=bs)
        for f in files:
            truth = json.loads(f.with_suffix(".truth.json").read_text())
            cut = float(truth.get("cut_at_s") or 1e9)
            refs[f.name] = norm(" ".join(clean(s["text"]) for s in truth["segments"] if s["start"] < cut))
            t0 = time.perf_counter()
            tr = transcribe_blocks(iter_audio_blocks(f, asr.block_seconds), asr)
            seconds[bs] += time.perf_counter() - t0
            hyps[bs][f.name] = norm(tr.text)
        asr.close()
    print(f"{'file':<44}" + "".join(f"{'bs ' + str(bs):>10}" for bs in sizes))
    for name in refs:
        print(f"{name[:43]:<44}" + "".join(f"{jiwer.wer(refs[name], hyps[bs][name]):>10.2%}" for bs in sizes))
    names = list(refs)
    pooled = {bs: jiwer.wer([refs[n] for n in names], [hyps[bs][n] for n in names]) for bs in sizes}
    print(f"{'pooled WER':<44}" + "".join(f"{pooled[bs]:>10.2%}" for bs in sizes))
    print(f"{'ASR seconds':<44}" + "".join(f"{seconds[bs]:>10.1f}" for bs in sizes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
