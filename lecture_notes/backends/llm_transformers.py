"""Note writer on any Hugging Face causal LM loaded from a local folder or the HF cache (never downloads)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple

from lecture_notes.core.errors import BackendError
from lecture_notes.backends.llm_common import pick_device, pick_dtype, quantization_config, resolve_model_path
from lecture_notes.backends.base import option
from lecture_notes.backends.llm_writer import LLMNoteWriter, LLMWriterOptions, Messages
from lecture_notes.backends.model_files import LocalModelBackend
from lecture_notes.runtime import model_pool

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransformersLLMOptions(LLMWriterOptions):
    """Options of the transformers note writer."""

    model: str = option("", "model folder or Hugging Face id already in the HF cache (required)")
    device: str = option("auto", "auto, cpu, cuda, cuda:N or mps (default auto)")
    dtype: str = option("auto", "auto, float16, bfloat16 or float32 (default auto: bf16/fp16 on GPU, fp32 on CPU)")
    load_in_8bit: bool = option(False, "quantize with bitsandbytes to 8 bit (CUDA only)")
    load_in_4bit: bool = option(False, "quantize with bitsandbytes to 4 bit NF4 (CUDA only)")
    temperature: float = option(0.0, "0 for greedy decoding (default), >0 to sample")
    batch_size: Optional[int] = option(None, "chunks generated together (default 1 on CPU, 4 on GPU)")
    trust_remote_code: bool = option(False, "allow custom model code shipped in the model folder (default false)")
    threads: int = option(0, "torch CPU threads (0 = default)")


class TransformersNoteWriter(LocalModelBackend, LLMNoteWriter):
    """Chunk notes from a local causal LM via transformers, with the tokenizer's chat template."""

    name = "transformers"
    Options = TransformersLLMOptions

    def __init__(self, model: str = "", *, device: str = "auto", dtype: str = "auto", load_in_8bit: bool = False,
                 load_in_4bit: bool = False, max_new_tokens: int = 768, temperature: float = 0.0,
                 batch_size: Optional[int] = None, context_length: Optional[int] = None,
                 trust_remote_code: bool = False, threads: int = 0, **kwargs: Any) -> None:
        import torch

        path = resolve_model_path(model, what="LLM")
        self.device = pick_device(device)
        torch_dtype = pick_dtype(dtype, self.device)
        quant = quantization_config(bool(load_in_8bit), bool(load_in_4bit), torch_dtype)
        if threads:
            torch.set_num_threads(int(threads))
        key = json.dumps([str(path), self.device, str(torch_dtype), bool(load_in_8bit), bool(load_in_4bit),
                          bool(trust_remote_code)])
        # A batch worker's model pool keeps the weights across lectures; this writer only borrows them.
        (self.tokenizer, self.model), self._pooled = model_pool.shared(
            "llm", key, lambda: _load(path, self.device, torch_dtype, quant, trust_remote_code), _release)
        self._torch = torch
        self.temperature = float(temperature)
        self.batch_size = int(batch_size) if batch_size else (1 if self.device == "cpu" else 4)
        self.model_path = path
        if context_length is None:
            context_length = _model_context(self.model.config, self.tokenizer)
        super().__init__(max_new_tokens=max_new_tokens, context_length=context_length, **kwargs)
        log.info("loaded LLM %s on %s (%s, context %d tokens)", path, self.device, torch_dtype, self.context_length)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    def count_message_tokens(self, messages: Messages) -> int:
        return len(self._ids(messages))

    def render_chat(self, messages: Messages) -> str:
        """The exact prompt text the model sees for ``messages`` (chat template applied)."""
        try:
            return self.tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        except Exception:
            # Some templates (e.g. Gemma) reject a system role: fold it into the first user turn.
            if messages and messages[0]["role"] == "system" and len(messages) > 1:
                merged = [{"role": messages[1]["role"],
                           "content": messages[0]["content"] + "\n\n" + messages[1]["content"]}] + list(messages[2:])
                return self.tokenizer.apply_chat_template(merged, tokenize=False, add_generation_prompt=True)
            raise

    def _ids(self, messages: Messages) -> List[int]:
        return self.tokenizer(self.render_chat(messages), add_special_tokens=False)["input_ids"]

    def _generate(self, conversations: Sequence[Messages], *, max_new_tokens: int,
                  json_mode: bool = True) -> List[Any]:
        torch = self._torch
        out: List[Any] = []
        for b in range(0, len(conversations), self.batch_size):
            batch = [self.render_chat(m) for m in conversations[b:b + self.batch_size]]
            try:
                enc = self.tokenizer(batch, return_tensors="pt", padding=True, add_special_tokens=False)
                enc = {k: v.to(self.model.device) for k, v in enc.items()}
                gen: dict = {"max_new_tokens": max_new_tokens, "pad_token_id": self.tokenizer.pad_token_id}
                if self.temperature > 0:
                    gen.update(do_sample=True, temperature=self.temperature, top_p=0.95)
                else:
                    gen.update(do_sample=False, temperature=None, top_p=None, top_k=None)
                with torch.inference_mode():
                    ids = self.model.generate(**enc, **gen)
                new = ids[:, enc["input_ids"].shape[1]:]
                out += self.tokenizer.batch_decode(new, skip_special_tokens=True)
            except Exception as exc:  # e.g. CUDA out of memory: those chunks fall back, the others continue
                log.error("generation failed for a batch of %d chunks: %s", len(batch), exc)
                out += [exc] * len(batch)
        return out

    def close(self) -> None:
        model, self.model = self.model, None
        if model is not None and not self._pooled:  # pooled weights are freed by the pool, after the last lecture
            _release((self.tokenizer, model))


def _load(path: Any, device: str, torch_dtype: Any, quant: Any, trust_remote_code: bool) -> Tuple[Any, Any]:
    """(tokenizer, model) from a local folder, ready for left-padded batched generation."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True, trust_remote_code=trust_remote_code)
    except Exception as exc:
        raise BackendError(f"cannot load the tokenizer from {path}: {exc}; run `lecture-notes doctor` to see "
                           f"which files the folder is missing") from exc
    if not getattr(tokenizer, "chat_template", None):
        raise BackendError(f"the tokenizer in {path} has no chat template; use an instruction-tuned (chat) "
                           f"model or add a chat_template to its tokenizer_config.json")
    kw: dict = {"local_files_only": True, "trust_remote_code": trust_remote_code, "dtype": torch_dtype}
    if quant is not None:
        kw["quantization_config"] = quant
        kw["device_map"] = device if device != "cpu" else None
    try:
        model = AutoModelForCausalLM.from_pretrained(str(path), **kw)
    except Exception as exc:
        raise BackendError(f"cannot load the LLM from {path}: {exc}; run `lecture-notes doctor` to check the "
                           f"folder") from exc
    if quant is None:
        model.to(device)
    model.eval()
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "left"  # decoder-only batches must pad on the left
    return tokenizer, model


def _release(loaded: Tuple[Any, Any]) -> None:
    """Drop the weights and give CUDA memory back."""
    import torch

    del loaded
    if torch.cuda.is_available():
        torch.cuda.empty_cache()


def _model_context(config: Any, tokenizer: Any) -> int:
    cfg = getattr(config, "get_text_config", lambda: config)()
    for attr in ("max_position_embeddings", "n_positions", "seq_length", "max_sequence_length"):
        v = getattr(cfg, attr, None)
        if isinstance(v, int) and v > 0:
            return min(v, 131072)
    v = getattr(tokenizer, "model_max_length", 0)
    return v if isinstance(v, int) and 0 < v < 10 ** 7 else 4096
