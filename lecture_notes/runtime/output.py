"""Atomic output folders: everything is written to a temporary sibling folder and moved into place only
when complete, so a failed or killed build never leaves half-written notes and never half-overwrites."""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Dict

from lecture_notes.core.errors import OutputError

log = logging.getLogger(__name__)

MANIFEST = ".lecture-notes.json"
_TMP_PREFIX = ".lecture-notes-tmp-"
_OLD_PREFIX = ".lecture-notes-old-"


def is_our_output(path: Path) -> bool:
    return (path / MANIFEST).is_file() or (path / "notes.json").is_file()


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
        if p.name.startswith((_TMP_PREFIX, _OLD_PREFIX)) and p.is_dir():
            try:
                if now - p.stat().st_mtime >= max_age_s:
                    shutil.rmtree(p, ignore_errors=True)
            except OSError:
                pass


class StagingDir:
    """A temporary folder beside the final output folder (same filesystem, so the final move is a rename)."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = Path(out_dir)
        parent = self.out_dir.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            self.path = Path(tempfile.mkdtemp(prefix=_TMP_PREFIX + self.out_dir.name + "-", dir=parent))
        except OSError as exc:
            raise OutputError(f"cannot write to {parent} ({exc.strerror or exc}); "
                              f"choose a writable folder with -o") from exc

    def commit(self, manifest: Dict[str, Any]) -> Path:
        """Write the manifest last, then swap the staging folder into place."""
        (self.path / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        old = None
        if self.out_dir.exists():
            old = self.out_dir.with_name(_OLD_PREFIX + self.out_dir.name + f"-{os.getpid()}")
            os.replace(self.out_dir, old)
        try:
            os.replace(self.path, self.out_dir)
        except OSError:
            if old is not None:
                os.replace(old, self.out_dir)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return self.out_dir

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)
