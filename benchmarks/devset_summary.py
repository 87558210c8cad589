#!/usr/bin/env python3
"""Score the extractive note writer + merge stage on the devset lectures (human captions, human overviews).

    python benchmarks/devset_summary.py [--devset /work/shared/devset] [--out /tmp/devset_notes] [--no-lead]

For each lecture: captions -> Transcript -> sentences (chunking.split_sentences when present) -> 5-minute chunks
(chunking.make_chunks when present) -> ExtractiveNoteWriter -> merge_notes (chapters from chunking.find_chapters when
present, else fixed 5-minute spans) -> notes.json -> tools/score.py. Prints summary ROUGE-L vs the best of
lead/TextRank/LexRank at the same length, and groundedness of key points and answers.
"""
from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lecture_notes.backends.extractive import ExtractiveNoteWriter  # noqa: E402
from lecture_notes.backends.minilm import MiniLMEmbedder  # noqa: E402
from lecture_notes.stages.merge import merge_notes  # noqa: E402
from lecture_notes.stages.notes import write_notes  # noqa: E402
from lecture_notes.core.types import ChapterSpan, Chunk, Segment, Sentence, SourceInfo, Transcript  # noqa: E402

try:
    from lecture_notes.stages import chunking  # type: ignore
except Exception:  # chunking.py not written yet: the simple fallbacks below are used
    chunking = None

_SENT_END = re.compile(r"(?<=[.?!])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")


def fallback_sentences(tr: Transcript) -> List[Sentence]:
    """Split the joined cue text at sentence ends; times by linear interpolation inside each cue."""
    text, marks = "", []
    for seg in tr.segments:
        t = seg.text.strip()
        if not t:
            continue
        if text:
            text += " "
        marks.append((len(text), len(text) + len(t), seg.start, seg.end))
        text += t

    def at(pos: int) -> float:
        for a, b, s, e in marks:
            if a <= pos <= b:
                return s + (e - s) * (pos - a) / max(b - a, 1)
        return marks[-1][3]

    out, start = [], 0
    for m in list(_SENT_END.finditer(text)) + [None]:
        stop = m.start() if m else len(text)
        piece = text[start:stop].strip()
        if piece:
            out.append(Sentence(round(at(start), 3), round(at(stop - 1), 3), piece))
        if m:
            start = m.end()
    return out


def fallback_chunks(sentences: List[Sentence], window: float = 300.0) -> List[Chunk]:
    chunks, cur = [], []
    for s in sentences:
        if cur and s.end - cur[0].start > window:
            chunks.append(Chunk(len(chunks), cur[0].start, cur[-1].end, tuple(cur)))
            cur = []
        cur.append(s)
    if cur:
        chunks.append(Chunk(len(chunks), cur[0].start, cur[-1].end, tuple(cur)))
    return chunks


def build(lecture: Path, embedder, writer, lead: bool, chapters: str = "auto") -> dict:
    segs = json.loads((lecture / "segments.json").read_text(encoding="utf-8"))
    tr = Transcript(tuple(Segment(float(s["start"]), float(s["end"]), s["text"]) for s in segs), source="file:captions")
    duration = max(s.end for s in tr.segments)
    use = chunking is not None and hasattr(chunking, "split_sentences")
    sentences = chunking.split_sentences(tr) if use else fallback_sentences(tr)
    chunks = (chunking.make_chunks(sentences, [], 300.0) if use and hasattr(chunking, "make_chunks")
              else fallback_chunks(sentences))
    spans = []
    if use and chapters == "auto" and hasattr(chunking, "find_chapters"):
        try:
            spans = chunking.find_chapters(sentences, [], embedder, duration=duration)
        except Exception as exc:  # the chapter stage is someone else's work in progress
            print(f"find_chapters failed ({exc!r}); using 5-minute chapters", file=sys.stderr)
    if not spans:
        spans = [ChapterSpan(float(t), float(min(t + 300, duration)), "") for t in range(0, int(duration), 300)]
    t0 = time.time()
    cn = write_notes(chunks, writer)
    notes = merge_notes(cn, spans, sentences, [], embedder, title=lecture.name,
                        source=SourceInfo(str(lecture), duration, ""), transcript=tr, lead=lead)
    secs = time.time() - t0

    def kp(x):
        return {"text": x.text, "start": x.start, "end": x.end}

    def qa(x):
        return {"question": x.question, "answer": x.answer, "kind": x.kind, "start": x.start, "end": x.end}

    # Key points and questions live in the chapters; chunks carry only their summaries so score.py does not
    # count every item twice.
    return {"summary": notes.summary, "seconds": secs, "sentences": len(sentences), "chunks_n": len(chunks),
            "chapters": [{"start": c.start, "end": c.end, "title": c.title, "summary": c.summary,
                          "key_points": [kp(k) for k in c.key_points], "qa": [qa(q) for q in c.qa]}
                         for c in notes.chapters],
            "chunks": [{"start": c.start, "end": c.end, "summary": c.summary_text} for c in notes.chunks],
            "glossary": [{"term": g.term, "definition": g.definition, "start": g.start} for g in notes.glossary],
            "transcript": [{"start": s.start, "end": s.end, "text": s.text} for s in tr.segments]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--devset", default="/work/shared/devset")
    ap.add_argument("--out", default="/tmp/devset_notes")
    ap.add_argument("--no-lead", action="store_true", help="plain extractive summary instead of the templated overview")
    ap.add_argument("--chapters", choices=("auto", "fixed"), default="auto",
                    help="auto: chunking.find_chapters when available; fixed: 5-minute chapters")
    ap.add_argument("--only", default="", help="substring of the lecture folder names to run")
    args = ap.parse_args()
    devset, out = Path(args.devset), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    embedder = MiniLMEmbedder()
    writer = ExtractiveNoteWriter(embedder=embedder)
    rows = []
    for lec in sorted(p for p in devset.iterdir() if (p / "reference.json").exists() and args.only in p.name):
        notes = build(lec, embedder, writer, lead=not args.no_lead, chapters=args.chapters)
        nf, jf = out / f"{lec.name}.notes.json", out / f"{lec.name}.score.json"
        nf.write_text(json.dumps(notes, indent=1, ensure_ascii=False), encoding="utf-8")
        subprocess.run([sys.executable, str(devset / "tools" / "score.py"), "--ref", str(lec), "--notes", str(nf),
                        "--json", str(jf)], check=True, stdout=subprocess.DEVNULL)
        r = json.loads(jf.read_text(encoding="utf-8"))
        s = r["summary"]
        base = {k: s["baselines"][k]["rougeL"] for k in ("lead", "textrank", "lexrank")}
        best_name = max(base, key=base.get)
        g = r["groundedness"]
        rows.append((lec.name, s["n_words"], s["tested"]["rougeL"], best_name, base[best_name],
                     s["tested"]["rougeL"] / max(base[best_name], 1e-9), s["tested"]["rouge1"],
                     g["key_points"]["grounded_frac"], g["qa"]["grounded_frac"], r["counts"]["key_points"],
                     r["counts"]["qa"], r["counts"]["dup_questions_all"], notes["seconds"]))
        print(f"\n{lec.name}: {notes['summary']}", flush=True)
    hdr = ("lecture", "words", "rougeL", "best base", "base RL", "ratio", "rouge1", "kp grnd", "qa grnd", "#kp",
           "#qa", "dupQ", "secs")
    print("\n" + " | ".join(hdr))
    for r in rows:
        print(" | ".join([r[0][:38], str(r[1]), f"{r[2]:.4f}", r[3], f"{r[4]:.4f}", f"{r[5]:.2f}x", f"{r[6]:.4f}",
                          f"{r[7]:.3f}", f"{r[8]:.3f}", str(r[9]), str(r[10]), str(r[11]), f"{r[12]:.1f}"]))
    if rows:
        print(f"min ratio {min(r[5] for r in rows):.2f}x  mean ratio {sum(r[5] for r in rows) / len(rows):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
