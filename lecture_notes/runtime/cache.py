"""Stage-result cache keyed by (input content hash, stage options).

Each entry is a folder ``ROOT/<stage>/<key>/`` holding ``value.json`` (stage results encoded from the frozen
dataclasses in ``types``; JSON, never pickle, so a cache folder can't execute code) plus any files the stage
wrote (slide keyframes). Entries are written to a temporary folder and renamed into place, so a killed run
never leaves a half-written entry.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable, List, Optional, Tuple

from lecture_notes.core import types as T
from lecture_notes.core.fsutil import write_atomic

log = logging.getLogger(__name__)

_TYPES = {name: obj for name, obj in vars(T).items() if dataclasses.is_dataclass(obj)}


def encode(obj: Any) -> Any:
    """Frozen dataclasses (and containers of them) -> JSON-able structures with a type tag."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        name = type(obj).__name__
        if name not in _TYPES:
            raise TypeError(f"cannot cache {name}")
        out = {"__type__": name}
        for f in dataclasses.fields(obj):
            out[f.name] = encode(getattr(obj, f.name))
        return out
    if isinstance(obj, (list, tuple)):
        return [encode(x) for x in obj]
    if isinstance(obj, dict):
        return {"__dict__": [[encode(k), encode(v)] for k, v in obj.items()]}
    if isinstance(obj, Path):
        return str(obj)
    if obj is None or isinstance(obj, (str, int, float, bool)):
        return obj
    raise TypeError(f"cannot cache value of type {type(obj).__name__}")


def decode(data: Any) -> Any:
    """Inverse of `encode`; lists come back as tuples (the dataclasses hold tuples)."""
    if isinstance(data, list):
        return tuple(decode(x) for x in data)
    if isinstance(data, dict):
        if "__dict__" in data:
            return {decode(k): decode(v) for k, v in data["__dict__"]}
        cls = _TYPES[data["__type__"]]
        kwargs = {k: decode(v) for k, v in data.items() if k != "__type__"}
        if cls is T.MediaInfo:
            kwargs["path"] = Path(kwargs["path"])
        return cls(**kwargs)
    return data


class StageCache:
    """A folder of cached stage results. ``enabled=False`` makes every lookup miss but still stores results.

    A cache that cannot be written (disk full, read-only, permission denied) never fails a build: the first
    failure logs one warning and the rest of the build runs uncached.
    """

    def __init__(self, root: Path, enabled: bool = True) -> None:
        self.root = Path(root)
        self.enabled = enabled
        self.writable = True
        self._scratch: List[Path] = []

    def entry_dir(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def get(self, stage: str, key: str) -> Tuple[bool, Any]:
        """(hit, value). A corrupt or unreadable entry counts as a miss (a corrupt one is removed)."""
        if not self.enabled:
            return False, None
        path = self.entry_dir(stage, key) / "value.json"
        try:
            if not path.is_file():
                return False, None
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            log.warning("ignoring unreadable cache entry %s (%s)", path, exc.strerror or exc)
            return False, None
        try:
            return True, decode(json.loads(text))
        except (ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring corrupt cache entry %s: %s", path, exc)
            shutil.rmtree(path.parent, ignore_errors=True)
            return False, None

    def _disable(self, exc: OSError) -> None:
        if self.writable:
            log.warning("cannot write the cache in %s (%s); this build goes on without caching (free space "
                        "or set LECTURE_NOTES_CACHE to a writable folder)", self.root, exc.strerror or exc)
        self.writable = False

    def put(self, stage: str, key: str, value: Any, write_files: Optional[Callable[[Path], None]] = None,
            undo_files: Optional[Callable[[Path], None]] = None) -> Optional[Path]:
        """Store ``value``; ``write_files(folder)`` may add files beside it. Returns the entry folder, or None
        when the cache cannot be written; then ``undo_files(folder)`` gets the chance to take its files back
        before the half-written entry is removed."""
        if not self.writable:
            return None
        final = self.entry_dir(stage, key)
        tmp: Optional[Path] = None
        try:
            final.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=final.parent))
            self._write_entry(tmp, value, write_files)
            if final.exists():
                shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
        except OSError as exc:
            if tmp is not None:
                if undo_files is not None:
                    try:
                        undo_files(tmp)
                    except OSError:
                        pass
                shutil.rmtree(tmp, ignore_errors=True)
            self._disable(exc)
            return None
        except BaseException:
            if tmp is not None:
                shutil.rmtree(tmp, ignore_errors=True)
            raise
        return final

    @staticmethod
    def _write_entry(tmp: Path, value: Any, write_files: Optional[Callable[[Path], None]]) -> None:
        (tmp / "value.json").write_text(json.dumps(encode(value)), encoding="utf-8")
        if write_files is not None:
            write_files(tmp)

    def stage_dir(self, stage: str, key: str) -> Path:
        """A fresh temporary folder for a stage to write files into before `put` (same filesystem when the
        cache is writable, else a system temporary folder; `cleanup` removes those)."""
        if self.writable:
            parent = self.root / stage
            try:
                parent.mkdir(parents=True, exist_ok=True)
                return Path(tempfile.mkdtemp(prefix=f".{key}.work.", dir=parent))
            except OSError as exc:
                self._disable(exc)
        return self.scratch_dir(stage)

    def scratch_dir(self, stage: str) -> Path:
        """A temporary folder outside the cache that lives until `cleanup` (for files an uncached build
        still needs until it has rendered its notes)."""
        path = Path(tempfile.mkdtemp(prefix=f"lecture-notes-{stage}-"))
        self._scratch.append(path)
        return path

    def keep(self, path: Path) -> Path:
        """Hand ``path`` (a `stage_dir` folder) to `cleanup` instead of removing it now."""
        if path not in self._scratch:
            self._scratch.append(path)
        return path

    def cleanup(self) -> None:
        """Remove the scratch folders of this build."""
        while self._scratch:
            shutil.rmtree(self._scratch.pop(), ignore_errors=True)


def file_fingerprint(path: Path) -> str:
    st = Path(path).stat()
    return f"{Path(path).resolve()}|{st.st_size}|{st.st_mtime_ns}"


def cached_sha256(path: Path, cache_root: Path, compute: Callable[[Path], str]) -> str:
    """sha256 of ``path``, remembered by (path, size, mtime) so a re-run doesn't re-read a 1 GB video."""
    fp = hashlib.sha256(file_fingerprint(path).encode()).hexdigest()[:32]
    memo = Path(cache_root) / "sha256" / fp
    try:
        value = memo.read_text().strip()
        if len(value) == 64:
            return value
    except OSError:
        pass
    digest = compute(path)
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(memo, digest)
    except OSError as exc:  # a read-only cache must not break the build
        log.debug("could not remember sha256: %s", exc)
    return digest
