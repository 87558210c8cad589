"""Small filesystem helpers shared by every stage: atomic writes, file hashing, natural sort, free memory."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional, Tuple, Union


@contextmanager
def atomic_path(dest: Union[str, Path], *, mode: Optional[int] = 0o644) -> Iterator[Path]:
    """Yield a temporary path beside ``dest``; when the block succeeds it is renamed to ``dest`` in one step.

    On any error (or Ctrl-C) the temporary file is removed and ``dest`` is left as it was, so a reader never
    sees a half-written file. ``mode``: permissions of the result (``mkstemp`` creates 0600).
    """
    dest = Path(dest)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".partial", dir=dest.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, dest)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(dest: Union[str, Path], data: Union[str, bytes], *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text or bytes) to ``dest`` via a temporary file and a rename; returns ``dest``."""
    with atomic_path(dest) as tmp:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding=encoding)
    return Path(dest)


@contextmanager
def atomic_dir(dest: Union[str, Path], *, replace: bool = True) -> Iterator[Path]:
    """Yield a fresh temporary folder beside ``dest``; on success it is renamed to ``dest``.

    ``replace``: an existing ``dest`` is removed first (else the rename fails with OSError when it is not
    empty). On error the temporary folder is removed.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        yield tmp
        if replace and dest.exists():
            shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def sha256_file(path: Union[str, Path], chunk_size: int = 1 << 20) -> str:
    """Hex SHA-256 of the file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(chunk_size), b""):
            h.update(block)
    return h.hexdigest()


def natural_key(text: str) -> Tuple:
    """Sort key with numbers compared as numbers: "lecture 2" < "lecture 10"."""
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in re.split(r"(\d+)", str(text).casefold()) if p)


def available_memory() -> Optional[int]:
    """Bytes of memory available to a new process (MemAvailable on Linux), or None when unknown."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None
