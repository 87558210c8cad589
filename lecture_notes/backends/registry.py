"""The one registry every backend (built-in or plugin) registers in.

Built-ins register through the ``lecture_notes.backends`` entry-point group exactly as third-party
plugins do (see pyproject.toml); ``register`` is also callable directly (tests, notebooks).
An entry point's value is a ``module:attr`` factory: a callable ``factory(**options) -> backend``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Tuple

from lecture_notes.backends.base import Backend
from lecture_notes.core.errors import BackendError

log = logging.getLogger(__name__)

KINDS = ("asr", "ocr", "embedder", "notes", "vision")
ENTRY_POINT_GROUP = "lecture_notes.backends"


@dataclass(frozen=True)
class BackendInfo:
    kind: str
    name: str
    factory: Callable[..., Backend]
    description: str = ""


_REGISTRY: Dict[Tuple[str, str], BackendInfo] = {}
_ENTRY_POINTS_LOADED = False
_BUILTINS_LOADED = False


def register(kind: str, name: str, factory: Callable[..., Backend], description: str = "") -> None:
    """Register ``factory`` as backend ``name`` of ``kind`` (one of KINDS)."""
    if kind not in KINDS:
        raise BackendError(f"unknown backend kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    _REGISTRY[(kind, name)] = BackendInfo(kind, name, factory, description)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    _ENTRY_POINTS_LOADED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        # Entry point names are "kind.name", e.g. "asr.faster-whisper".
        kind, _, name = ep.name.partition(".")
        if (kind, name) in _REGISTRY:
            continue
        try:
            factory = ep.load()
        except Exception as exc:  # a broken plugin must not break the others
            log.warning("backend plugin %s could not be loaded: %s", ep.name, exc)
            continue
        doc = (getattr(factory, "__doc__", "") or "").strip().splitlines()
        register(kind, name, factory, doc[0] if doc else "")


def _ensure_builtins() -> None:
    # The built-ins register even when the package is not installed (running from a source checkout),
    # so entry points are an addition, never a requirement.
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from lecture_notes.backends.builtin import BUILTINS

        for kind, name, factory in BUILTINS:
            if (kind, name) not in _REGISTRY:
                register(kind, name, factory, (factory.__doc__ or "").strip())
    _load_entry_points()


def available(kind: str) -> List[BackendInfo]:
    """All registered backends of ``kind``, sorted by name."""
    _ensure_builtins()
    return sorted((b for (k, _), b in _REGISTRY.items() if k == kind), key=lambda b: b.name)


def create(kind: str, name: str, **options: Any) -> Backend:
    """Instantiate backend ``name`` of ``kind``; unknown names list the valid ones."""
    _ensure_builtins()
    info = _REGISTRY.get((kind, name))
    if info is None:
        valid = ", ".join(b.name for b in available(kind)) or "(none)"
        raise BackendError(f"unknown {kind} backend {name!r}; valid names: {valid}")
    from lecture_notes.runtime import model_pool

    pool = model_pool.active()  # a batch worker reuses loaded models across lectures
    if pool is not None:
        return pool.get(kind, name, options, info.factory)
    return info.factory(**options)
