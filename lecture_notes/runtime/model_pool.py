"""Keep models loaded in a long-lived worker process so it converts many lectures with one model load.

The pipeline creates each backend through ``backends.registry.create`` and closes it after its stage (which frees
memory in a one-shot ``build``). A batch worker (a Ray actor, see ``course/ray_engine.py``) instead activates
a :class:`ModelPool`: while it is active, ``create`` returns the pool's instance for the same kind, name and
options, loading it only the first time, and the stage's ``close()`` keeps it loaded. ``ModelPool.close``
frees everything when the worker ends.

Only kinds whose backends hold no per-lecture state are pooled whole (ASR, OCR, embedder, vision). Note writers
keep per-lecture statistics and take other backends as arguments, so the writer is created per lecture, but an
LLM writer asks the pool for its heavy part (tokenizer and weights) through :func:`shared`, under the kind
``"llm"``: a worker then loads a transformers LLM once for all its lectures (an LLM served by vLLM is a URL).
"""
from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections import Counter
from typing import Any, Callable, Dict, Iterator, Optional, Tuple

log = logging.getLogger(__name__)

POOLED_KINDS = ("asr", "ocr", "embedder", "vision", "llm")


def _key(kind: str, name: str, options: Dict[str, Any]) -> Tuple[str, str, str]:
    return kind, name, json.dumps(options, sort_keys=True, default=repr)


def _keep_open(backend: Any) -> None:
    """Make the stage's ``close()`` a no-op on this instance (the pool closes it at the end)."""
    try:
        backend.close = lambda: None
    except AttributeError:  # __slots__ backends: they are then closed and reloaded per lecture
        pass


class ModelPool:
    """Backends loaded once and reused. Thread-safe (the pipeline runs slides beside ASR)."""

    def __init__(self, kinds: Tuple[str, ...] = POOLED_KINDS) -> None:
        self.kinds = tuple(kinds)
        self.loads: Counter = Counter()  # kind -> models loaded (1 per kind and option set when reused)
        self.uses: Counter = Counter()  # kind -> times handed out
        self._items: Dict[Tuple[str, str, str], Any] = {}
        self._lock = threading.Lock()

    def get(self, kind: str, name: str, options: Dict[str, Any], factory: Callable[..., Any]) -> Any:
        """The pooled backend for (kind, name, options), created with ``factory(**options)`` the first time."""
        if kind not in self.kinds:
            return factory(**options)
        key = _key(kind, name, options)
        with self._lock:
            backend = self._items.get(key)
            if backend is None:
                backend = factory(**options)
                _keep_open(backend)
                self._items[key] = backend
                self.loads[kind] += 1
                log.debug("model pool: loaded %s/%s", kind, name)
            self.uses[kind] += 1
            return backend

    def resource(self, kind: str, key: str, loader: Callable[[], Any], release: Callable[[Any], None]) -> Any:
        """A heavy resource a per-lecture backend shares (e.g. an LLM's weights), loaded by ``loader()`` once.

        ``release(resource)`` frees it when the pool closes. Kinds the pool does not keep are loaded every time.
        """
        if kind not in self.kinds:
            return loader()
        full = (kind, "resource", key)
        with self._lock:
            item = self._items.get(full)
            if item is None:
                item = _Resource(loader(), release)
                self._items[full] = item
                self.loads[kind] += 1
                log.debug("model pool: loaded %s resource %s", kind, key)
            self.uses[kind] += 1
            return item.value

    def stats(self) -> Dict[str, Dict[str, int]]:
        return {"loads": dict(self.loads), "uses": dict(self.uses)}

    def close(self) -> None:
        """Free every pooled model."""
        with self._lock:
            items, self._items = list(self._items.values()), {}
        for backend in items:
            try:
                type(backend).close(backend)
            except Exception as exc:  # noqa: BLE001 - freeing memory must never fail the worker
                log.debug("closing %r failed: %s", backend, exc)


class _Resource:
    """A pooled resource and how to free it (closed by ``ModelPool.close`` like a backend)."""

    def __init__(self, value: Any, release: Callable[[Any], None]) -> None:
        self.value, self._release = value, release

    def close(self) -> None:
        value, self.value = self.value, None
        if value is not None:
            self._release(value)


_ACTIVE: Optional[ModelPool] = None


def active() -> Optional[ModelPool]:
    """The pool ``backends.registry.create`` uses now, if any."""
    return _ACTIVE


def shared(kind: str, key: str, loader: Callable[[], Any],
           release: Callable[[Any], None] = lambda value: None) -> Tuple[Any, bool]:
    """``(resource, pooled)``: from the active pool when one keeps ``kind``, else freshly loaded (caller frees it)."""
    pool = _ACTIVE
    if pool is not None and kind in pool.kinds:
        return pool.resource(kind, key, loader, release), True
    return loader(), False


@contextlib.contextmanager
def activated(pool: ModelPool) -> Iterator[ModelPool]:
    """Route ``backends.registry.create`` through ``pool`` inside the block (one process-wide pool)."""
    global _ACTIVE
    previous, _ACTIVE = _ACTIVE, pool
    try:
        yield pool
    finally:
        _ACTIVE = previous
