"""Cross-encoder reranker through transformers (e.g. cross-encoder/ms-marco-MiniLM-L-6-v2; local folder or HF cache).

Any ``AutoModelForSequenceClassification`` that scores a (query, passage) pair works; with one output label the
logit is the score, with two the positive class's logit minus the negative's.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import List, Sequence

from lecture_notes.backends.base import Reranker, option
from lecture_notes.backends.llm_common import pick_device, resolve_model_path
from lecture_notes.core.errors import BackendError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransformersRerankerOptions:
    """Options of the transformers reranker."""

    model: str = option("", "cross-encoder folder or Hugging Face id in the HF cache, e.g. "
                            "cross-encoder/ms-marco-MiniLM-L-6-v2 (required)")
    device: str = option("auto", "auto, cpu, cuda, cuda:N or mps (default auto)")
    batch_size: int = option(16, "pairs scored per forward pass (default 16)")
    max_length: int = option(384, "tokens per pair (default 384)")
    threads: int = option(0, "torch CPU threads (0 = default)")


class TransformersReranker(Reranker):
    """Scores (query, passage) pairs with a sequence-classification cross-encoder."""

    name = "transformers"
    Options = TransformersRerankerOptions
    requires = ("torch", "transformers")
    install = "pip install torch transformers"
    takes_device = True

    def __init__(self, model: str = "", *, device: str = "auto", batch_size: int = 16, max_length: int = 384,
                 threads: int = 0) -> None:
        if not model:
            raise BackendError("the transformers reranker needs a model: --reranker transformers:PATH_OR_ID")
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        path = resolve_model_path(model, what="reranker model")
        if threads:
            torch.set_num_threads(int(threads))
        self._torch = torch
        self.device = pick_device(device)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
            self.model = AutoModelForSequenceClassification.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot load the reranker from {path} ({exc}); point --reranker at a "
                               f"cross-encoder folder") from None
        self.model = self.model.to(self.device).eval()
        self.batch_size = max(1, int(batch_size))
        self.max_length = int(max_length)

    def score(self, query: str, passages: Sequence[str]) -> List[float]:
        torch = self._torch
        out: List[float] = []
        for b in range(0, len(passages), self.batch_size):
            batch = list(passages[b:b + self.batch_size])
            enc = self.tokenizer([query] * len(batch), batch, padding=True, truncation=True,
                                 max_length=self.max_length, return_tensors="pt").to(self.device)
            with torch.inference_mode():
                logits = self.model(**enc).logits.float().cpu().numpy()
            if logits.shape[1] == 1:
                out.extend(float(x) for x in logits[:, 0])
            else:
                out.extend(float(x) for x in logits[:, -1] - logits[:, 0])
        return out

    def close(self) -> None:
        self.model = None
