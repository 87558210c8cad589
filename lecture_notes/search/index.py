"""A lecture's search index: written by ``build`` into ``search/`` beside ``notes.json``, read by search/ask.

Files: ``search/index.json`` (sentences, units, the model and the sha256 of the notes.json it was made from; when
the transcript says who speaks, each sentence's speaker and each unit's speakers),
``search/sentences.npy`` and ``search/units.npy`` (MiniLM embeddings, float16, L2-normalised rows).
The lexical (BM25) side is rebuilt from the unit texts when loaded: it takes milliseconds and keeps the files
small and independent of any library's on-disk format.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import numpy as np

from lecture_notes.core.errors import InputError
from lecture_notes.core.types import LectureNotes
from lecture_notes.search.units import Unit, lecture_sentences, make_units, unit_to_dict

log = logging.getLogger(__name__)

INDEX_DIR = "search"
INDEX_VERSION = 2  # 2: sentence vectors of the cleaned sentence texts
EMBED_MAX_LENGTH = 256  # tokens: a 60 s window is about 150-200 tokens


class IndexError_(InputError):
    """A search index is missing, stale or unreadable."""


@dataclass
class LectureIndex:
    """One lecture's index in memory. ``sent_vecs``/``unit_vecs`` are float32 (N, dim)."""

    title: str
    slug: str
    href: str  # notes page (relative to where the index was opened) or media, for deep links
    duration: float
    sentences: List[tuple]  # (start, end, text)
    units: List[Unit]
    sent_vecs: np.ndarray
    unit_vecs: np.ndarray
    model: str = "minilm"
    sent_speakers: List[str] = field(default_factory=list)  # per sentence ('' unknown); empty list: none known


def notes_sha256(path: Path) -> str:
    """sha256 of a notes.json file (the index records which notes it was made from)."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def compute_index(notes: LectureNotes, embedder: Any) -> Dict[str, Any]:
    """Sentences, units and their embeddings for ``notes`` (what `write_index` stores).

    Sentences are embedded as the notes stage embeds them (cleaned: no speaker tags, fillers, stutters), so a
    build's embedder cache already holds them; units (windows, slides, chapters, ...) are embedded whole (mean
    sentence vectors instead of window vectors were measured worse: MRR@10 0.98x vs 1.06x of the baseline).
    """
    from lecture_notes.text.summarize import clean_sentence

    sentences = lecture_sentences(notes)
    units = make_units(notes, sentences)
    dim = getattr(embedder, "dim", 384)
    texts = [clean_sentence(s.text) or s.text for s in sentences]
    sent_vecs = np.asarray(embedder.embed(texts), np.float32) if texts else np.zeros((0, dim), np.float32)
    unit_vecs = np.asarray(embedder.embed([u.text for u in units]), np.float32) if units else \
        np.zeros((0, sent_vecs.shape[1] if len(sent_vecs) else dim), np.float32)
    data = {"title": notes.title, "duration": float(notes.source.duration),
            "sentences": [[round(s.start, 3), round(s.end, 3), s.text] for s in sentences],
            "units": [unit_to_dict(u) for u in units],
            "sent_vecs": sent_vecs, "unit_vecs": unit_vecs,
            "model": getattr(embedder, "name", "minilm")}
    if any(s.speaker for s in sentences):
        data["sentence_speakers"] = [s.speaker for s in sentences]
    return data


def write_index(folder: Path, data: Dict[str, Any], notes_sha: str) -> Path:
    """Write ``data`` (from `compute_index`) to ``folder/search/`` atomically; returns that folder."""
    folder = Path(folder)
    final = folder / INDEX_DIR
    tmp = Path(tempfile.mkdtemp(prefix=".search.", dir=folder))
    try:
        meta = {"index_version": INDEX_VERSION, "notes_sha256": notes_sha, "model": data["model"],
                "title": data["title"], "duration": data["duration"], "sentences": data["sentences"],
                "units": data["units"]}
        if data.get("sentence_speakers"):
            meta["sentence_speakers"] = data["sentence_speakers"]
        np.save(tmp / "sentences.npy", data["sent_vecs"].astype(np.float16))
        np.save(tmp / "units.npy", data["unit_vecs"].astype(np.float16))
        (tmp / "index.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def copy_index_files(src: Path, dest: Path) -> None:
    """Copy the three index files from a cache entry into ``dest`` (created)."""
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("index.json", "sentences.npy", "units.npy"):
        shutil.copy2(src / name, dest / name)


def index_is_current(folder: Path) -> bool:
    """True when ``folder/search`` exists and was made from the folder's current notes.json."""
    try:
        meta = json.loads((Path(folder) / INDEX_DIR / "index.json").read_text(encoding="utf-8"))
        return meta.get("index_version") == INDEX_VERSION and \
            meta.get("notes_sha256") == notes_sha256(Path(folder) / "notes.json")
    except (OSError, ValueError, AttributeError):
        return False


def load_index(folder: Path, *, slug: str = "", href: str = "") -> LectureIndex:
    """Read ``folder/search``; raises IndexError_ (one line) when it is missing or corrupt."""
    folder = Path(folder)
    d = folder / INDEX_DIR
    try:
        meta = json.loads((d / "index.json").read_text(encoding="utf-8"))
        sent_vecs = np.load(d / "sentences.npy", allow_pickle=False).astype(np.float32)
        unit_vecs = np.load(d / "units.npy", allow_pickle=False).astype(np.float32)
        sentences = [(float(a), float(b), str(t)) for a, b, t in meta["sentences"]]
        units = [Unit(str(u["kind"]), float(u["start"]), float(u["end"]), str(u["text"]), int(u["s0"]),
                      int(u["s1"]), tuple(str(x) for x in u.get("speakers") or ())) for u in meta["units"]]
        speakers = [str(x or "") for x in meta.get("sentence_speakers") or ()]
    except FileNotFoundError:
        raise IndexError_(f"{folder} has no search index; run `lecture-notes search {folder} QUERY` once to add "
                          f"it, or rebuild the notes") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise IndexError_(f"the search index in {d} is unreadable ({type(exc).__name__}); delete that folder "
                          f"and search again to rebuild it") from None
    if sent_vecs.ndim != 2 or unit_vecs.ndim != 2 or len(sent_vecs) != len(sentences) \
            or len(unit_vecs) != len(units) or any(not (0 <= u.s0 <= u.s1 <= len(sentences)) for u in units) \
            or (speakers and len(speakers) != len(sentences)):
        raise IndexError_(f"the search index in {d} is inconsistent; delete that folder and search again to "
                          f"rebuild it")
    return LectureIndex(title=str(meta.get("title") or folder.name), slug=slug or folder.name, href=href,
                        duration=float(meta.get("duration") or 0.0), sentences=sentences, units=units,
                        sent_vecs=sent_vecs, unit_vecs=unit_vecs, model=str(meta.get("model") or "minilm"),
                        sent_speakers=speakers)


def ensure_index(folder: Path, embedder_factory: Any) -> bool:
    """Add (or refresh) the index of an existing notes folder from its notes.json. Returns True if (re)built.

    ``embedder_factory()`` is called only when work is needed.
    """
    folder = Path(folder)
    if index_is_current(folder):
        return False
    path = folder / "notes.json"
    if not path.is_file():
        raise InputError(f"{folder} has no notes.json; pass a folder written by `lecture-notes build` (or a "
                         f"batch output folder)")
    from lecture_notes.core.serialize import notes_from_dict

    try:
        notes = notes_from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{path} is unreadable ({exc}); rebuild the notes") from None
    log.info("adding a search index to %s", folder)
    data = compute_index(notes, embedder_factory())
    try:
        write_index(folder, data, notes_sha256(path))
    except OSError as exc:
        raise InputError(f"cannot write the search index into {folder} ({exc.strerror or exc}); make the folder "
                         f"writable") from None
    return True


def lecture_ids(index: LectureIndex) -> Optional[str]:
    return index.slug
