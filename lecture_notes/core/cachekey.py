"""Cache keys: a stable hash of a stage's inputs, its options and the code that computes it.

Each stage module declares its own ``cache_key(...)`` next to its code, naming the modules it runs
(``code_hash``) and the backends it used (``backend_code``: the modules of the backend class actually
created, not a fixed list), so a change to any of them recomputes that stage and nothing else.
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

# Bump when a stage's output format or algorithm changes so old entries are ignored.
CACHE_VERSION = 1
_PACKAGE = "lecture_notes"
_ROOT = Path(__file__).resolve().parent.parent
_HASHES: Dict[Tuple[str, ...], str] = {}


def _files(name: str) -> List[Path]:
    """Source files of a module (``lecture_notes.stages.ocr``), or every file of a package or data folder
    (``lecture_notes.text``, ``lecture_notes.prompts``)."""
    if name == _PACKAGE or name.startswith(_PACKAGE + "."):
        base = _ROOT.joinpath(*name.split(".")[1:])
        if base.with_suffix(".py").is_file():
            return [base.with_suffix(".py")]
        if base.is_dir():
            return sorted(p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
        raise ValueError(f"no module or folder {name} in {_ROOT}")
    module = sys.modules.get(name)
    origin = getattr(module, "__file__", None) if module is not None else None
    if origin is None:
        spec = importlib.util.find_spec(name)
        origin = spec.origin if spec is not None else None
    return [Path(origin)] if origin and Path(origin).is_file() else []


def code_hash(*modules: str) -> str:
    """Hash of the source of the named modules/packages (dotted names), so a cached result is recomputed when
    the code that made it changes, not only on a new release."""
    key = tuple(sorted(set(modules)))
    if key not in _HASHES:
        h = hashlib.sha256()
        for name in key:
            for path in _files(name):
                h.update(path.name.encode())
                h.update(path.read_bytes())
        _HASHES[key] = h.hexdigest()[:16]
    return _HASHES[key]


def backend_code(backend: Any) -> str:
    """Hash of the code of a backend class (or plain factory): every module of its class hierarchy plus the
    modules it lists in ``cache_modules`` (prompt templates, shared helpers)."""
    if backend is None:
        return ""
    if isinstance(backend, type):
        modules = {c.__module__ for c in backend.__mro__ if c.__module__ not in ("builtins", "abc")}
        modules |= set(getattr(backend, "cache_modules", ()))
    else:
        modules = {getattr(backend, "__module__", "")} - {""}
    return code_hash(*modules)


def backend_key(info: Optional[Any]) -> List[str]:
    """[name, code hash] of a registered backend (a ``registry.BackendInfo``), or [] for none."""
    if info is None:
        return []
    return [info.name, backend_code(info.cls if info.cls is not None else info.factory)]


def make_key(*parts: Any) -> str:
    """Stable hex key from JSON-able parts (stage options, input hash, code hashes)."""
    from lecture_notes.core.version import __version__

    # The package version is part of every key: a new release may change any stage's output.
    blob = json.dumps([CACHE_VERSION, __version__, *parts], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32]
