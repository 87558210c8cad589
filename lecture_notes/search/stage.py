"""The build's search stage: the index beside notes.json (``search/``), cached on the notes' content."""
from __future__ import annotations

import json
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any, Dict, List, Tuple

from lecture_notes.core.cachekey import code_hash, make_key
from lecture_notes.core.types import LectureNotes

log = logging.getLogger(__name__)

CODE = ("lecture_notes.search", "lecture_notes.stages.chunking")
FILES = ("index.json", "sentences.npy", "units.npy")


def cache_key(notes: LectureNotes, *, embedder: str, embedder_options: Dict[str, Any]) -> str:
    """Key of the search stage: the notes' content (not their creation time), the embedder and the code."""
    from lecture_notes.core.serialize import notes_to_dict

    return make_key("search", code_hash(*CODE), embedder, embedder_options,
                    notes_to_dict(replace(notes, created="")))


def _restamp(path: Path, sha: str) -> None:
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta["notes_sha256"] = sha
    path.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")


def write_search_index(notes: LectureNotes, folder: Path, cache: Any, *, embedder: str = "minilm",
                       embedder_options: Dict[str, Any] = None, model: Any = None) -> Tuple[List[Path], bool]:
    """Write ``folder/search/`` for the notes.json already in ``folder``. Returns (files, cache hit); nothing
    when the build writes no notes.json (the index records which notes it was made from).

    ``model``: the notes stage's embedder, still open (its cache holds the sentences' vectors); this function
    closes it. Without one, an embedder is loaded only on a cache miss."""
    from lecture_notes.search.course import default_embedder
    from lecture_notes.search.index import INDEX_DIR, compute_index, copy_index_files, notes_sha256, write_index

    folder = Path(folder)
    if not (folder / "notes.json").is_file():
        if model is not None:
            model.close()
        return [], False
    key = cache_key(notes, embedder=embedder, embedder_options=embedder_options or {})
    sha = notes_sha256(folder / "notes.json")
    hit, _ = cache.get("search", key)
    if hit:
        try:
            copy_index_files(cache.entry_dir("search", key), folder / INDEX_DIR)
            _restamp(folder / INDEX_DIR / "index.json", sha)
        except (OSError, ValueError) as exc:
            log.warning("cached search index unusable (%s); rebuilding it", exc)
            hit = False
    try:
        if not hit:
            model = model or default_embedder(embedder)
            data = compute_index(notes, model)
    finally:
        if model is not None:
            model.close()
    if not hit:
        write_index(folder, data, sha)
        cache.put("search", key, {"notes_sha256": sha},
                  write_files=lambda entry: copy_index_files(folder / INDEX_DIR, entry))
    return [folder / INDEX_DIR / n for n in FILES], hit
