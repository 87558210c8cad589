"""A BERT-style sentence encoder run by onnxruntime instead of torch, exported once into the user cache.

Why: importing torch and transformers and building the model costs about 3.5 s on 2 CPU cores before the first
sentence is embedded; that is a quarter of a short lecture's build and most of a `lecture-notes search` call.
onnxruntime is already loaded (speech detection and OCR use it), the tokenizer is the same Rust `tokenizers`
object that transformers wraps, and the exported graph gives the same vectors (cosine > 0.99999 to the torch
model, checked by the tests) about 10 % faster. The export itself needs torch and the ``onnx`` package once per
model (about 7 s for MiniLM); it is written into ``<models cache>/onnx-encoders/<key>/`` (``$LECTURE_NOTES_MODELS``, else
``<cache>/models``) through a temporary folder
and a rename, so a crash or a concurrent run never leaves half a model, and the weights are never downloaded.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
import warnings
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import numpy as np

from lecture_notes.core.config import models_cache_dir
from lecture_notes.core.errors import BackendError
from lecture_notes.core.fsutil import atomic_dir

log = logging.getLogger(__name__)

EXPORT_VERSION = 1  # bump when the exported graph changes
GRAPH = "encoder.onnx"
_WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


def model_key(path: Path) -> str:
    """Identity of a model folder's weights and config (path, sizes, modification times): a changed file gets a
    new export, without hashing 90 MB on every load."""
    h = hashlib.sha256(f"v{EXPORT_VERSION}".encode())
    for name in ("config.json", "tokenizer.json") + _WEIGHT_FILES:
        f = path / name
        if f.exists():
            st = f.stat()
            h.update(f"{f.resolve()}|{st.st_size}|{st.st_mtime_ns}".encode())
    return h.hexdigest()[:24]


def can_run(path: Path) -> bool:
    """True when this folder can be run by onnxruntime: a BERT-family config, a fast tokenizer file, and
    onnxruntime and tokenizers importable."""
    try:
        config = json.loads((path / "config.json").read_text())
    except (OSError, ValueError):
        return False
    if config.get("model_type") not in ("bert", "roberta", "xlm-roberta", "mpnet", "distilbert"):
        return False
    if not (path / "tokenizer.json").exists():
        return False
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


def exported_graph(path: Path, cache_root: Optional[Path] = None) -> Path:
    """The ONNX graph of the encoder in ``path``, exported on first use (needs torch and onnx then)."""
    root = (cache_root or models_cache_dir()) / "onnx-encoders"
    dest = root / model_key(path)
    graph = dest / GRAPH
    if graph.exists():
        return graph
    try:
        import onnx  # noqa: F401 - torch's exporter needs it
        import torch
        from transformers import AutoModel
    except ImportError as exc:
        raise BackendError(f"cannot export {path.name} for onnxruntime ({exc.name} is missing); "
                           f"install it with `pip install onnx torch transformers`, or use the torch engine") from exc
    t0 = time.perf_counter()
    log.info("preparing %s for onnxruntime (once per model)", path)
    model = AutoModel.from_pretrained(str(path), local_files_only=True).eval()

    class _Hidden(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "last_hidden_state": {0: "batch", 1: "tokens"}}
    try:
        with atomic_dir(dest) as tmp, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Hidden(model), (ids, mask), str(tmp / GRAPH), input_names=["input_ids", "attention_mask"],
                              output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
            (tmp / "source.json").write_text(json.dumps({"model": str(path), "exported_in_s": time.perf_counter() - t0}))
    except OSError as exc:
        raise BackendError(f"cannot write the model cache {root} ({exc.strerror}); free some space, fix its "
                           f"permissions, or set LECTURE_NOTES_MODELS to another folder") from None
    log.info("exported %s for onnxruntime in %.1f s", path.name, time.perf_counter() - t0)
    return graph


class OnnxEncoder:
    """Tokenizer plus onnxruntime session: ``encode(texts)`` gives (last hidden states, attention mask)."""

    def __init__(self, path: Path, *, max_length: int = 128, threads: int = 0,
                 cache_root: Optional[Path] = None) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        graph = exported_graph(path, cache_root)
        self.tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length)
        pad_id, pad_token = _pad(path, self.tokenizer)
        self.tokenizer.enable_padding(pad_id=pad_id, pad_token=pad_token)
        self._graph = graph
        self._threads = int(threads or 0)
        self._sessions: dict = {}
        self.dim = int(json.loads((path / "config.json").read_text())["hidden_size"])
        self._session(self._threads)  # fail now, not at the first sentence, if the cached graph is damaged

    def _session(self, threads: int):
        """The onnxruntime session running on ``threads`` intra-op threads (0: its default), made on first use."""
        if threads in self._sessions:
            return self._sessions[threads]
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        if threads:
            opts.intra_op_num_threads = threads
        opts.log_severity_level = 3
        try:
            session = ort.InferenceSession(str(self._graph), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # a damaged cache entry: export again next time
            import shutil

            shutil.rmtree(self._graph.parent, ignore_errors=True)
            raise BackendError(f"the cached onnxruntime copy of {self._graph.parent.name} could not be loaded "
                               f"({exc}); it was removed and is exported again on the next run") from None
        self._sessions[threads] = session
        return session

    def encode(self, texts: Sequence[str], *, threads: Optional[int] = None) -> Tuple[np.ndarray, np.ndarray]:
        """Last hidden states and attention mask; ``threads`` overrides the session's thread count (1 for one
        short query: too small to gain from threads, and slowed down by waiting for them on a busy machine)."""
        enc = self.tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in enc], dtype=np.int64)
        mask = np.array([e.attention_mask for e in enc], dtype=np.int64)
        session = self._session(self._threads if threads is None else threads)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        return hidden, mask

    def close(self) -> None:
        self._sessions.clear()


def _pad(path: Path, tokenizer) -> Tuple[int, str]:
    """The padding token of a tokenizer folder (special_tokens_map.json / tokenizer_config.json, else [PAD])."""
    names: List[str] = []
    for cfg in ("special_tokens_map.json", "tokenizer_config.json"):
        try:
            value = json.loads((path / cfg).read_text()).get("pad_token")
        except (OSError, ValueError):
            continue
        if isinstance(value, dict):
            value = value.get("content")
        if isinstance(value, str):
            names.append(value)
    for name in names + ["[PAD]", "<pad>"]:
        tid = tokenizer.token_to_id(name)
        if tid is not None:
            return int(tid), name
    return 0, "[PAD]"
