"""Output folders that never lose a user's file.

Everything is written to a temporary sibling folder first. A new (or empty) output folder is then swapped
into place with one rename; an existing notes folder is updated file by file. Ownership is recorded in the
manifest ``.lecture-notes.json`` (written last), whose ``files`` list names every file the product wrote.
Replacing existing notes (``--force``) touches only the files listed in the old manifest and the new ones,
never the input recording or transcript, and never any other file: a folder without our manifest is not
ours, and a new file whose name is taken by a file we did not write stops the build before anything moves.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path, PurePosixPath
from typing import Any, Callable, Dict, Iterable, List, Optional, Set

from lecture_notes.core.errors import OutputError

log = logging.getLogger(__name__)

MANIFEST = ".lecture-notes.json"
TOOL = "lecture-notes"
_TMP_PREFIX = ".lecture-notes-tmp-"
_OLD_PREFIX = ".lecture-notes-old-"

# A callable that raises OutputError when this process must no longer publish output (a batch worker
# whose batch has gone); checked just before anything is moved into place.
_publish_guard: Optional[Callable[[], None]] = None
_active_lock = threading.Lock()
_active: Set["StagingDir"] = set()


def set_publish_guard(guard: Optional[Callable[[], None]]) -> None:
    """Install ``guard()`` (raises OutputError to veto) to be called before every commit in this process."""
    global _publish_guard
    _publish_guard = guard


def user_umask() -> int:
    """The process umask, read without changing it where the platform allows."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def safe_relpath(name: Any) -> Optional[str]:
    """``name`` as a relative POSIX path inside a folder, or None when it is absolute or climbs out."""
    if not isinstance(name, str) or not name or "\\" in name or "\0" in name:
        return None
    p = PurePosixPath(name)
    if p.is_absolute() or any(part in ("..", ".", "") for part in p.parts) or name.endswith("/"):
        return None
    return p.as_posix()


def read_manifest(folder: Path) -> Optional[Dict[str, Any]]:
    """The manifest of a folder this product wrote, or None (missing, unreadable, or not ours)."""
    try:
        data = json.loads((Path(folder) / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("files"), list):
        return None
    if data.get("tool", TOOL) != TOOL:
        return None
    return data


def owned_files(folder: Path) -> Optional[Set[str]]:
    """Relative paths the manifest says we wrote (unsafe entries dropped), or None when not ours."""
    m = read_manifest(folder)
    if m is None:
        return None
    return {p for p in (safe_relpath(f) for f in m["files"]) if p is not None and p != MANIFEST}


def is_our_output(path: Path) -> bool:
    """True when ``path`` holds our manifest. A ``notes.json`` alone proves nothing: it may be the user's."""
    return read_manifest(path) is not None


def check_target(out_dir: Path, force: bool) -> None:
    """Refuse existing outputs unless ``force``; never replace a folder that isn't ours."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputError(f"output path {out_dir} is a file; choose a folder with -o")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        if not is_our_output(out_dir):
            raise OutputError(f"output folder {out_dir} already exists and holds other files; "
                              f"choose an empty or new folder with -o")
        if not force:
            raise OutputError(f"notes already exist in {out_dir}; use --force to replace them "
                              f"or -o to write elsewhere")


def clean_stale(parent: Path, max_age_s: float = 0.0) -> None:
    """Remove temporary folders left by killed runs (older than ``max_age_s``)."""
    if not parent.is_dir():
        return
    now = time.time()
    for p in parent.iterdir():
        if p.name.startswith((_TMP_PREFIX, _OLD_PREFIX)) and p.is_dir() and not p.is_symlink():
            try:
                if now - p.stat().st_mtime >= max_age_s:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass


def _write_json(path: Path, data: Dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def _inside(path: Path, root: Path) -> bool:
    try:
        path.resolve().relative_to(root.resolve())
        return True
    except (ValueError, OSError):
        return False


class StagingDir:
    """A temporary folder beside the final output folder (same filesystem, so the final move is a rename)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        parent = self.out_dir.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX + self.out_dir.name + "-", dir=parent))
            # mkdtemp makes 0700; the notes folder gets the user's usual permissions.
            os.chmod(self.path, 0o777 & ~user_umask())
        except OSError as exc:
            raise OutputError(f"cannot write to {parent} ({exc.strerror or exc}); "
                              f"choose a writable folder with -o") from exc
        with _active_lock:
            _active.add(self)

    def commit(self, manifest: Dict[str, Any], protect: Iterable[Path] = ()) -> Path:
        """Move the staged files into place and write the manifest last.

        ``manifest["files"]`` lists the staged files (relative paths). ``protect``: paths that must never be
        replaced or removed (the input recording, the transcript), whatever an old manifest says.
        """
        with _active_lock:
            if self not in _active:
                raise OutputError("the build was cancelled; nothing was written")
            if _publish_guard is not None:
                _publish_guard()
            manifest = dict(manifest)
            manifest.setdefault("tool", TOOL)
            new = [p for p in (safe_relpath(f) for f in manifest.get("files", [])) if p and p != MANIFEST]
            manifest["files"] = sorted(set(new))
            guarded = {_resolved(p) for p in protect}
            try:
                if not self.out_dir.exists() or (self.out_dir.is_dir() and not any(self.out_dir.iterdir())):
                    _write_json(self.path / MANIFEST, manifest)
                    os.replace(self.path, self.out_dir)  # rename(2) also replaces an empty folder
                else:
                    self._update(manifest, guarded)
                    shutil.rmtree(self.path, ignore_errors=True)
            except OSError as exc:
                raise OutputError(f"cannot write notes into {self.out_dir} ({exc.strerror or exc}); "
                                  f"check the folder is writable") from exc
            _active.discard(self)
        return self.out_dir

    def _update(self, manifest: Dict[str, Any], guarded: Set[Path]) -> None:
        """Replace our files in an existing notes folder; every other file stays as it is."""
        out = self.out_dir
        old = owned_files(out)
        if old is None:
            raise OutputError(f"output folder {out} already exists and holds other files; "
                              f"choose an empty or new folder with -o")
        new: List[str] = manifest["files"]
        for rel in new:
            target = out / rel
            if _resolved(target) in guarded or not _inside(target.parent, out):
                raise OutputError(f"{target} is an input of this build; choose another output folder with -o")
            if (target.exists() or target.is_symlink()) and (rel not in old or target.is_dir()):
                raise OutputError(f"{target} was not written by lecture-notes; move it away or choose "
                                  f"another output folder with -o (nothing was changed)")
        # A run killed between here and the final manifest leaves a folder whose manifest lists every file
        # that may be ours (old and new), so a later --force can still clean up, and never more than that.
        _write_json(out / MANIFEST, {**manifest, "files": sorted(old | set(new)), "complete": False})
        for rel in new:
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path / rel, target)
        _write_json(out / MANIFEST, manifest)
        for rel in sorted(old - set(new)):
            target = out / rel
            if _resolved(target) in guarded or not _inside(target.parent, out) or target.is_dir():
                continue
            try:
                target.unlink()
            except FileNotFoundError:
                pass
            _prune_empty(target.parent, out)

    def discard(self) -> None:
        with _active_lock:
            _active.discard(self)
        shutil.rmtree(self.path, ignore_errors=True)


def _resolved(path: Path) -> Path:
    try:
        return Path(path).resolve()
    except OSError:
        return Path(os.path.abspath(path))


def _prune_empty(folder: Path, root: Path) -> None:
    """Remove ``folder`` and its parents up to (not including) ``root`` while they are empty."""
    folder, root = Path(folder), Path(root)
    while folder != root and _inside(folder, root):
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def discard_active() -> int:
    """Remove every staging folder of this process that has not been committed (on Ctrl-C). Waits for a
    commit in progress to finish. Returns how many were removed."""
    with _active_lock:
        pending = list(_active)
        _active.clear()
    for st in pending:
        shutil.rmtree(st.path, ignore_errors=True)
    return len(pending)
