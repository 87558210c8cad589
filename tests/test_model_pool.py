"""runtime.model_pool: a batch worker loads each model once and reuses it across lectures."""
from __future__ import annotations

import threading

from lecture_notes.backends import registry
from lecture_notes.backends.base import Embedder
from lecture_notes.runtime.model_pool import ModelPool, activated, active


class _Counting(Embedder):
    made = 0

    def __init__(self, size: int = 1) -> None:
        type(self).made += 1
        self.size, self.closed = size, False

    def embed(self, texts):
        assert not self.closed, "a pooled model was used after close()"
        return [[1.0]] * len(texts)

    def close(self) -> None:
        self.closed = True


def test_pool_reuses_models_and_keeps_them_open_across_lectures():
    registry.register("embedder", "pool-test", _Counting)
    registry.register("notes", "pool-test", lambda **kw: _Counting())
    pool = ModelPool()
    with activated(pool):
        assert active() is pool
        for _ in range(3):  # three "lectures", each creating and closing its backend like the pipeline does
            emb = registry.create("embedder", "pool-test", size=1)
            assert isinstance(emb, Embedder)
            emb.embed(["a"])
            emb.close()
        other = registry.create("embedder", "pool-test", size=2)  # other options: another model
        registry.create("notes", "pool-test").close()  # note writers are never pooled
        registry.create("notes", "pool-test")
    assert active() is None
    assert other is not emb and not emb.closed
    assert pool.stats() == {"loads": {"embedder": 2}, "uses": {"embedder": 4}}
    outside = registry.create("embedder", "pool-test", size=1)
    assert outside is not emb  # without a pool every create loads
    pool.close()
    assert emb.closed and other.closed


def test_pool_is_thread_safe():
    registry.register("embedder", "pool-test-threads", _Counting)
    pool = ModelPool()
    got = []
    with activated(pool):
        threads = [threading.Thread(target=lambda: got.append(registry.create("embedder", "pool-test-threads")))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert len({id(g) for g in got}) == 1 and pool.loads["embedder"] == 1
