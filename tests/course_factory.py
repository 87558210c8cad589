"""Course fixtures: notes.json lecture folders written directly (fast), fake media course folders, and a
fake ``build_fn`` for batch tests that behaves like pipeline.build_notes (atomic folder + manifest).

Fake media files are text: ``CORRUPT`` makes the fake build fail like a corrupt file; a
``.crash`` / ``.killparent`` marker beside the input makes the worker die / kill the batch process; with a
``.hang`` marker the first attempt appends its pid to ``<input>.pid`` and sleeps (for a test to kill it).
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from pathlib import Path
from types import SimpleNamespace
from typing import List, Optional

EVIL = "<script>alert(1)</script> ]]> & \"q\" {1:x} }} ::"

TOPICS = [
    ("Sorting Algorithms", [("Merge sort", "Merge sort splits the list in halves, sorts them and merges them."),
                            ("Stable sort", "A stable sort keeps equal keys in their original order.")]),
    ("Hash Tables", [("Hash table", "A hash table maps keys to buckets with a hash function."),
                     ("Collision", "A collision happens when two keys hash to the same bucket.")]),
    ("Graphs", [("Graph", "A graph is a set of vertices joined by edges."),
                ("Hash tables", "Hash tables store adjacency lists for fast neighbour lookup.")]),
]


def tiny_jpeg(path: Path, shade: int = 128) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 12), (shade, 200 - shade // 2, 90)).save(path, "JPEG")


def make_notes(title: str, terms, *, sha: Optional[str] = None, inject: bool = False,
               duration: float = 600.0) -> dict:
    """A notes.json dict (schema_version 1) with two chapters, slides, Q&A of every kind and a glossary."""
    x = (lambda s: f"{s} {EVIL}") if inject else (lambda s: s)
    (t1, d1), (t2, d2) = terms
    qa1 = [{"question": x(f"What is {t1.lower()}?"), "answer": x(d1), "kind": "definition", "start": 30.0,
            "end": 40.0},
           {"question": x(f"Why does {title.lower()} matter?"), "answer": x(f"Because {d1[0].lower()}{d1[1:]}"),
            "kind": "why", "start": 60.0, "end": 75.0}]
    qa2 = [{"question": x(f"What is {t2.lower()}?"), "answer": x(d2), "kind": "definition", "start": 330.0,
            "end": 345.0},
           {"question": x(f"{d2.split(' ')[0]} ____ {' '.join(d2.split(' ')[2:])}"), "answer": x(d2.split(" ")[1]),
            "kind": "cloze", "start": 350.0, "end": 360.0},
           {"question": x(f"How is {t2.lower()} used in practice?"), "answer": x(f"It is used whenever {d2[0].lower()}"
                                                                                 f"{d2[1:]}"),
            "kind": "how", "start": 400.0, "end": 410.0}]
    chapters = [
        {"start": 0.0, "end": 300.0, "title": x(f"{title}: basics"), "summary": x(f"Basics of {title}."),
         "key_points": [{"text": x(d1), "start": 30.0, "end": 40.0}], "qa": qa1,
         "slides": [{"start": 0.0, "end": 300.0, "image": "slides/slide-001.jpg", "text": x(t1)}]},
        {"start": 300.0, "end": duration, "title": x(f"{title}: more"), "summary": x(f"More on {title}."),
         "key_points": [{"text": x(d2), "start": 330.0, "end": 345.0}], "qa": qa2,
         "slides": [{"start": 300.0, "end": duration, "image": "slides/slide-002.jpg", "text": x(t2)}]},
    ]
    return {"schema_version": 1, "title": x(title),
            "source": {"path": f"{title}.mp4", "duration": duration,
                       "sha256": sha if sha is not None else hashlib.sha256(title.encode()).hexdigest()},
            "summary": x(f"This lecture covers {title.lower()}."), "chapters": chapters,
            "chunks": [{"start": c["start"], "end": c["end"], "summary": [], "key_points": c["key_points"],
                        "qa": c["qa"]} for c in chapters],
            "glossary": [{"term": x(t1), "definition": x(d1), "start": 30.0},
                         {"term": x(t2), "definition": x(d2), "start": 330.0}],
            "transcript": [{"start": 0.0, "end": 5.0, "text": x("Welcome.")}]}


def write_lecture(folder: Path, notes: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "notes.json").write_text(json.dumps(notes), encoding="utf-8")
    (folder / "notes.html").write_text("<html><body>notes</body></html>", encoding="utf-8")
    (folder / "notes.md").write_text("# notes\n", encoding="utf-8")
    tiny_jpeg(folder / "slides" / "slide-001.jpg", 40)
    tiny_jpeg(folder / "slides" / "slide-002.jpg", 160)
    return folder


def make_course_output(root: Path, *, inject: bool = False, title: str = "Algorithms 101") -> Path:
    """A batch output folder with three lectures (and batch.json), as `lecture-notes batch` writes it."""
    entries = []
    for i, (name, terms) in enumerate(TOPICS, 1):
        slug = f"lecture-{i:02d}-{name.lower().replace(' ', '-')}"
        write_lecture(root / slug, make_notes(name, terms, inject=inject))
        entries.append({"rel": f"{slug}.mp4", "slug": slug, "status": "built", "error": ""})
    (root / "batch.json").write_text(json.dumps({"course_title": title, "lectures": entries}), encoding="utf-8")
    return root


def make_media_course(root: Path) -> List[str]:
    """A course folder of fake media files (text), with the clutter a real folder has."""
    files = {"Lecture 1 - Sorting.mp4": "Sorting Algorithms", "Lecture 2 - Hashing.mp4": "Hash Tables",
             "Lecture 10 - Graphs.mkv": "Graphs", "week 2/Lecture 3 - Audio only.mp3": "Sorting Algorithms",
             "Lecture 4 - Broken.mp4": "CORRUPT"}
    for rel, content in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(content, encoding="utf-8")
    for junk in (".hidden.mp4", "._Lecture 1 - Sorting.mp4", "Lecture 5.mp4.partial", "Lecture 6.mp4~",
                 "draft.tmp", "notes.txt", ".trash/old.mp4"):
        (root / junk).parent.mkdir(parents=True, exist_ok=True)
        (root / junk).write_text("junk", encoding="utf-8")
    return list(files)


def fake_build(config, progress=None):
    """Stand-in for pipeline.build_notes: reads the fake media file, writes notes atomically + manifest."""
    from lecture_notes.core.errors import InputError
    from lecture_notes.runtime.output import StagingDir, check_target

    src = Path(config.input)
    text = src.read_text(encoding="utf-8")
    if text.startswith("CORRUPT"):
        raise InputError(f"{src.name} is corrupt or not a media file (moov atom not found); re-encode it")
    out = config.output_dir
    check_target(out, config.force)
    staging = StagingDir(out)
    for stage in ("slides", "transcript", "notes", "render"):
        if progress:
            progress(stage, 1, 1)
    name = text.strip()
    terms = dict(TOPICS)[name]
    sha = hashlib.sha256(src.read_bytes()).hexdigest()
    notes = make_notes(name, terms, sha=sha)
    write_lecture(staging.path, notes)
    if src.with_name(src.name + ".killparent").exists():
        # Simulate `kill -9` of the batch mid-write: the lecture is half written in staging.
        os.kill(os.getppid(), signal.SIGKILL)
        time.sleep(0.3)
        os._exit(9)
    slow = src.with_name(src.name + ".slow")
    if slow.exists():
        # A long lecture: say where we are (pid), then take a while before publishing.
        slow.with_name(slow.name + ".pid").write_text(str(os.getpid()))
        time.sleep(float(slow.read_text() or 4.0))
    if src.with_name(src.name + ".crash").exists():
        os._exit(3)
    hang = src.with_name(src.name + ".hang")
    if hang.exists():
        # The first attempt records its pid (for a test to kill it) and waits, half written in staging.
        pids = src.with_name(src.name + ".pid")
        first = not pids.exists()
        with open(pids, "a") as f:
            f.write(f"{os.getpid()}\n")
        if first:
            time.sleep(float(hang.read_text() or 120))
    files = sorted(p.relative_to(staging.path).as_posix() for p in staging.path.rglob("*") if p.is_file())
    staging.commit({"tool": "lecture-notes", "input": str(src), "sha256": sha, "options": config.to_dict(),
                    "files": files, "timings": {"notes": 0.01}, "cache_hits": {"notes": False}})
    return SimpleNamespace(out_dir=out, notes=None, files=[out / f for f in files],
                           cache_hits={"notes": False}, timings={"notes": 0.01})


REAL_SRT = ("1\n00:00:00,500 --> 00:00:06,000\nToday we learn what a hash table is.\n\n"
            "2\n00:00:06,500 --> 00:00:14,000\nA hash table maps keys to buckets using a hash function.\n\n"
            "3\n00:00:14,500 --> 00:00:19,500\nA collision happens when two keys land in the same bucket.\n")
REAL_SLIDES = {"hash table": [("Hash Tables", ["keys and buckets"]), ("Collisions", ["chaining", "probing"])],
               "heap": [("Heaps", ["a tree in an array"]), ("Heap sort", ["build", "sift down"])]}


def make_real_course(media, course: Path, lectures) -> None:
    """A course folder of real 20-s media for the real pipeline: ``lectures`` is a list of
    ``(file stem, kind, topic)``, kind ``"slides"`` (a slide video with sound; topic a key of REAL_SLIDES),
    ``"audio"`` (a WAV tone) or ``"broken"`` (an .mp4 that is not a video); each good lecture gets an .srt
    sidecar about ``topic``, so no ASR model runs."""
    course.mkdir(parents=True)
    for stem, kind, topic in lectures:
        if kind == "broken":
            (course / f"{stem}.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42 this is not a video" * 10)
            continue
        if kind == "slides":
            media.slide_video(course / f"{stem}.mp4", seconds_per_slide=10.0, audio=True,
                              slides=REAL_SLIDES[topic])
        else:
            media.write_audio(course / f"{stem}.wav", media.tone(20.0))
        (course / f"{stem}.srt").write_text(REAL_SRT.replace("hash table", topic))

