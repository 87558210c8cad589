"""Planning a batch: which media files of a course folder are lectures, their output folder names, and
whether a lecture's output is complete and up to date (so a rerun skips it); the report and event types.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

from lecture_notes.core.config import MEDIA_EXTS, BuildConfig
from lecture_notes.core.errors import InputError
from lecture_notes.core.fsutil import available_memory, natural_key, sha256_file
from lecture_notes.core.slug import slugify

MANIFEST = ".lecture-notes.json"
REPORT = "batch.json"
LOCK = ".batch.lock"
WORKER_MEMORY = 1.5e9  # bytes one worker needs with tiny.en + OCR + MiniLM loaded
TEMP_SUFFIXES = (".partial", ".part", ".tmp", ".temp", ".crdownload", ".download", ".swp", "~")
LONE_TRANSCRIPT_EXTS = (".vtt", ".srt")  # a caption file with no recording beside it is a lecture
# Options that do not change what a build writes: changing them must not trigger a rebuild.
_NEUTRAL_OPTIONS = ("input", "out_dir", "force", "use_cache", "cache_dir", "cpu_threads")


@dataclass(frozen=True)
class LectureJob:
    source: Path  # absolute input path
    rel: str  # path relative to the course folder (POSIX)
    slug: str  # output folder name under OUT_DIR


@dataclass
class LectureResult:
    rel: str
    slug: str
    status: str = "pending"  # built | skipped | failed | pending
    error: str = ""
    timings: Dict[str, float] = field(default_factory=dict)
    cache_hits: Dict[str, bool] = field(default_factory=dict)
    elapsed: float = 0.0
    size: int = 0
    mtime_ns: int = 0
    sha256: str = ""


@dataclass
class BatchReport:
    course_dir: Path
    out_dir: Path
    jobs: int
    lectures: List[LectureResult]
    elapsed: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for r in self.lectures if r.status == status)

    @property
    def ok(self) -> bool:
        """True when every lecture was built or skipped."""
        return all(r.status in ("built", "skipped") for r in self.lectures)

    def to_dict(self) -> Dict[str, Any]:
        return {"report_version": 1, "course_dir": str(self.course_dir), "course_title": self.course_dir.name,
                "out_dir": str(self.out_dir), "jobs": self.jobs, "elapsed": round(self.elapsed, 3),
                "counts": {s: self.count(s) for s in ("built", "skipped", "failed", "pending")},
                "lectures": [asdict(r) for r in self.lectures]}


@dataclass(frozen=True)
class BatchEvent:
    """Progress for the CLI. kind: "plan" (total known), "start", "stage" (stage/done/stage_total), "done"."""

    kind: str
    lecture: str = ""
    total: int = 0
    stage: str = ""
    done: float = 0.0
    stage_total: float = 0.0
    result: Optional[LectureResult] = None


BatchProgress = Callable[[BatchEvent], None]


def is_temporary(name: str) -> bool:
    low = name.lower()
    return name.startswith((".", "~$")) or low.endswith(TEMP_SUFFIXES)


def _lone_transcripts(names: List[str]) -> List[str]:
    """``.vtt``/``.srt`` files with no media file of the same name beside them (those are sidecars): one per
    lecture name, preferring an untagged file, then English, then ``.vtt``."""
    from lecture_notes.runtime.inputs import lecture_stem

    media_stems = {Path(n).stem for n in names if Path(n).suffix.lower() in MEDIA_EXTS}
    best: Dict[str, Tuple[int, int, str]] = {}
    for n in names:
        ext, stem = Path(n).suffix.lower(), lecture_stem(n)
        if ext not in LONE_TRANSCRIPT_EXTS or Path(n).stem in media_stems or stem in media_stems:
            continue
        tag = Path(n).stem[len(stem):].lower()
        rank = (0 if not tag else 1 if tag.startswith(".en") else 2, LONE_TRANSCRIPT_EXTS.index(ext), n)
        if stem not in best or rank < best[stem]:
            best[stem] = rank
    return [r[2] for r in best.values()]


def find_media(course_dir: Path, exclude: Optional[Path] = None) -> List[Path]:
    """Lecture files under ``course_dir`` (media, and ``.vtt``/``.srt`` transcripts that stand alone) in natural
    order of their relative path, skipping hidden and temporary files/folders and anything inside ``exclude``
    (the output folder)."""
    course_dir = Path(course_dir)
    if not course_dir.is_dir():
        raise InputError(f"course folder {course_dir} does not exist or is not a folder; pass the folder "
                         f"that holds the lecture videos")
    ex = Path(exclude).resolve() if exclude is not None else None
    found = []
    for root, dirs, files in os.walk(course_dir):
        rootp = Path(root)
        dirs[:] = [d for d in dirs if not is_temporary(d) and not (ex and (rootp / d).resolve() == ex)]
        names = [n for n in files if not is_temporary(n)]
        found += [rootp / n for n in names if Path(n).suffix.lower() in MEDIA_EXTS]
        found += [rootp / n for n in _lone_transcripts(names)]
    return sorted(found, key=lambda p: natural_key(p.relative_to(course_dir).as_posix()))


def plan_lectures(course_dir: Path, out_dir: Path) -> List[LectureJob]:
    """One job per media file, with a unique slug from its relative path without extension."""
    jobs, used = [], set()
    for src in find_media(course_dir, exclude=out_dir):
        rel = src.relative_to(course_dir).as_posix()
        base = slugify(rel.rsplit(".", 1)[0].replace("/", "-"))
        slug = base if base not in used else slugify(f"{base}-{src.suffix.lstrip('.')}")
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug)
        jobs.append(LectureJob(source=src.resolve(), rel=rel, slug=slug))
    return jobs


def default_jobs(n_lectures: int, cores: Optional[int] = None, memory: Optional[int] = None) -> int:
    """Workers that fit: at least 2 ASR threads and ~1.5 GB each, never more than the lectures."""
    cores = cores or os.cpu_count() or 1
    memory = memory if memory is not None else available_memory()
    by_mem = int(memory // WORKER_MEMORY) if memory else cores
    return max(1, min(cores // 2, by_mem, max(1, n_lectures)))


def comparable_options(options: Dict[str, Any]) -> Dict[str, Any]:
    """Build options that affect the output, JSON-normalised so a manifest compares with a config."""
    d = json.loads(json.dumps(options, default=str))
    return {k: v for k, v in d.items() if k not in _NEUTRAL_OPTIONS}


def read_manifest(folder: Path) -> Optional[Dict[str, Any]]:
    """The build manifest when the folder is complete (manifest present, every listed file exists)."""
    try:
        m = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = m.get("files") if isinstance(m, dict) else None
    if not isinstance(files, list) or not files or m.get("complete") is False \
            or not all((folder / f).is_file() for f in files):
        return None
    return m


def is_batch_output(out_dir: Path) -> bool:
    """True when ``out_dir`` is missing, empty, or written by `batch` (its batch.json, or only the lock and
    temporary folders a killed first run leaves): the index files there may be replaced."""
    try:
        names = [p.name for p in Path(out_dir).iterdir()]
    except (FileNotFoundError, NotADirectoryError):  # missing (or below a file: creating it says why it fails)
        return True
    except OSError:
        return False
    try:
        data = json.loads((Path(out_dir) / REPORT).read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("lectures"), list):
            return True
    except (OSError, ValueError, UnicodeDecodeError):
        pass
    return all(n == LOCK or n.startswith((".lecture-notes-tmp-", f".{REPORT}.")) for n in names)


def up_to_date(job: LectureJob, folder: Path, config: BuildConfig, previous: Optional[dict]) -> Tuple[bool, str]:
    """(skip?, sha256 if computed). Cheap checks first: manifest, options, then size+mtime, then sha256."""
    m = read_manifest(folder)
    if m is None or comparable_options(m.get("options") or {}) != comparable_options(config.to_dict()):
        return False, ""
    st = job.source.stat()
    if previous and previous.get("size") == st.st_size and previous.get("mtime_ns") == st.st_mtime_ns \
            and previous.get("sha256") and previous.get("sha256") == m.get("sha256"):
        return True, m["sha256"]
    sha = sha256_file(job.source)
    return sha == m.get("sha256"), sha
