"""The one registry every backend (built-in or plugin) registers in.

A plugin is a ``Backend`` subclass (see ``backends.base``) named in the ``lecture_notes.backends`` entry-point
group as ``"KIND.NAME" = "module:Class"``; the built-ins are declared the same way (pyproject.toml, and
``backends.builtin`` for source checkouts). ``register`` is also callable directly (tests, notebooks), with a
class or a plain ``factory(**options) -> backend``. Nothing outside this module compares backend names: the
pipeline, config files, ``doctor`` and ``models`` read what each class declares.
"""
from __future__ import annotations

import importlib
import logging
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from lecture_notes.backends.base import Backend
from lecture_notes.core.errors import BackendError

log = logging.getLogger(__name__)

KINDS = ("asr", "ocr", "embedder", "notes", "vision", "reranker")
ENTRY_POINT_GROUP = "lecture_notes.backends"


@dataclass(frozen=True)
class BackendInfo:
    """A registered backend: ``cls`` is its Backend subclass, or None for a plain factory."""

    kind: str
    name: str
    factory: Callable[..., Backend]
    description: str = ""
    cls: Optional[type] = None

    @property
    def options(self) -> Dict[str, str]:
        """Option name -> help (empty for a plain factory, which declares none)."""
        return self.cls.option_help() if self.cls is not None else {}


_REGISTRY: Dict[Tuple[str, str], BackendInfo] = {}
_LOADED = False


def register(kind: str, name: str, factory: Callable[..., Backend], description: str = "") -> None:
    """Register ``factory`` (a Backend subclass, or a callable returning a backend) as ``name`` of ``kind``."""
    if kind not in KINDS:
        raise BackendError(f"unknown backend kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    cls = factory if isinstance(factory, type) and issubclass(factory, Backend) else None
    if cls is not None and cls.kind and cls.kind != kind:
        raise BackendError(f"{cls.__name__} is a {cls.kind} backend, not {kind}")
    if not description:
        doc = (getattr(factory, "__doc__", "") or "").strip().splitlines()
        description = doc[0] if doc else ""
    _REGISTRY[(kind, name)] = BackendInfo(kind, name, factory, description, cls)


def _register_reference(key: str, load: Callable[[], Any], origin: str) -> None:
    kind, _, name = key.partition(".")  # "asr.faster-whisper"
    if (kind, name) in _REGISTRY:
        return
    try:
        register(kind, name, load())
    except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the others
        log.warning("backend %s from %s could not be loaded: %s", key, origin, exc)


def _load_reference(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(importlib.import_module(module), attr)


def _ensure_loaded() -> None:
    global _LOADED
    if _LOADED:
        return
    _LOADED = True
    from importlib.metadata import entry_points

    for ep in entry_points(group=ENTRY_POINT_GROUP):
        _register_reference(ep.name, ep.load, f"entry point {ep.value}")
    from lecture_notes.backends.builtin import BUILTINS

    for key, ref in BUILTINS.items():  # a source checkout has no entry points
        _register_reference(key, lambda ref=ref: _load_reference(ref), ref)


def available(kind: str) -> List[BackendInfo]:
    """All registered backends of ``kind``, sorted by name."""
    _ensure_loaded()
    return sorted((b for (k, _), b in _REGISTRY.items() if k == kind), key=lambda b: b.name)


def lookup(kind: str, name: str) -> BackendInfo:
    """The registered backend ``name`` of ``kind``; unknown names raise BackendError listing the valid ones."""
    _ensure_loaded()
    info = _REGISTRY.get((kind, name))
    if info is None:
        valid = ", ".join(b.name for b in available(kind)) or "(none)"
        raise BackendError(f"unknown {kind} backend {name!r}; valid names: {valid}")
    return info


def create(kind: str, name: str, **options: Any) -> Backend:
    """Instantiate backend ``name`` of ``kind`` with ``options`` (checked against its ``Options`` first)."""
    info = lookup(kind, name)
    if info.cls is not None:
        info.cls.validate_options(options)
    from lecture_notes.runtime import model_pool

    pool = model_pool.active()  # a batch worker reuses loaded models across lectures
    if pool is not None:
        return pool.get(kind, name, options, info.factory)
    return info.factory(**options)


def configured(config: Any, kind: str) -> Tuple[BackendInfo, Dict[str, Any]]:
    """The backend a BuildConfig chooses for ``kind``, and the options to create it with: the build settings
    the backend declares it takes (its ``config_fields``, e.g. faster-whisper's model from ``--asr-model``;
    ``cpu_threads``; ``cache_dir``), then the options configured for it."""
    info = lookup(kind, getattr(config, f"{kind}_backend"))
    opts: Dict[str, Any] = {}
    declared = info.options
    for opt, field_name in (info.cls.config_fields.items() if info.cls is not None else ()):
        if opt in declared:
            opts[opt] = getattr(config, field_name)
    if "cpu_threads" in declared:
        opts["cpu_threads"] = config.cpu_threads
    opts.update(config.options_for(kind))
    if "cache_dir" in declared:
        opts.setdefault("cache_dir", str(config.cache_dir))
    return info, opts
