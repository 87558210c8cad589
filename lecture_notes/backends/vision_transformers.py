"""Slide figure descriptions with a vision-language model through transformers (local folder or HF cache).

Works with models that load as ``AutoModelForImageTextToText`` with an ``AutoProcessor`` chat template
(Qwen2-VL/Qwen2.5-VL, LLaVA, LLaVA-OneVision, SmolVLM, Idefics3, Gemma 3, ...). Models with custom code
(e.g. InternVideo2/InternVL-style) need ``trust_remote_code=True``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from lecture_notes.core.errors import BackendError
from lecture_notes.backends.base import VisionDescriber, option
from lecture_notes.backends.model_files import LocalModelBackend
from lecture_notes.backends.llm_common import PromptLibrary, pick_device, pick_dtype, quantization_config, resolve_model_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TransformersVisionOptions:
    """Options of the transformers vision backend."""

    model: str = option("", "VLM folder or Hugging Face id in the HF cache, e.g. Qwen/Qwen2.5-VL-3B-Instruct "
                            "(required)")
    device: str = option("auto", "auto, cpu, cuda, cuda:N or mps (default auto)")
    dtype: str = option("auto", "auto, float16, bfloat16 or float32")
    load_in_8bit: bool = option(False, "quantize with bitsandbytes to 8 bit (CUDA only)")
    load_in_4bit: bool = option(False, "quantize with bitsandbytes to 4 bit (CUDA only)")
    max_new_tokens: int = option(96, "tokens per description (default 96)")
    max_sentences: int = option(2, "sentences asked for (default 2)")
    max_side: int = option(896, "longest image side in pixels fed to the model (default 896)")
    trust_remote_code: bool = option(False, "allow custom model code from the model folder (InternVideo2/"
                                            "InternVL-style models)")
    prompt_dir: Optional[str] = option(None, "folder with a vision.j2 overriding the built-in prompt")
    threads: int = option(0, "torch CPU threads (0 = default)")


class TransformersVisionDescriber(LocalModelBackend, VisionDescriber):
    """Describes a slide keyframe in a sentence or two with a local VLM."""

    name = "transformers"
    Options = TransformersVisionOptions
    cache_modules = ("lecture_notes.backends.llm_common", "lecture_notes.prompts")

    def __init__(self, model: str = "", *, device: str = "auto", dtype: str = "auto", load_in_8bit: bool = False,
                 load_in_4bit: bool = False, max_new_tokens: int = 96, max_sentences: int = 2, max_side: int = 896,
                 trust_remote_code: bool = False, prompt_dir: Optional[str] = None, threads: int = 0) -> None:
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        path = resolve_model_path(model, what="vision model")
        self.device = pick_device(device)
        torch_dtype = pick_dtype(dtype, self.device)
        quant = quantization_config(bool(load_in_8bit), bool(load_in_4bit), torch_dtype)
        if threads:
            torch.set_num_threads(int(threads))
        kw: dict = {"local_files_only": True, "trust_remote_code": trust_remote_code, "dtype": torch_dtype}
        if quant is not None:
            kw.update(quantization_config=quant, device_map=self.device)
        try:
            self.processor = AutoProcessor.from_pretrained(str(path), local_files_only=True,
                                                           trust_remote_code=trust_remote_code)
            try:
                self.model = AutoModelForImageTextToText.from_pretrained(str(path), **kw)
            except ValueError:
                if not trust_remote_code:
                    raise
                # Remote-code VLMs often register only AutoModelForCausalLM / AutoModel.
                from transformers import AutoModelForCausalLM

                self.model = AutoModelForCausalLM.from_pretrained(str(path), **kw)
        except Exception as exc:
            hint = "" if trust_remote_code else " (models with custom code need trust_remote_code=true)"
            raise BackendError(f"cannot load a vision-language model from {path}: {exc}{hint}; run "
                               f"`lecture-notes doctor` to check the folder") from exc
        if quant is None:
            self.model.to(self.device)
        self.model.eval()
        self._torch = torch
        self.prompts = PromptLibrary(prompt_dir)
        self.max_new_tokens = int(max_new_tokens)
        self.max_sentences = int(max_sentences)
        self.max_side = int(max_side)
        self.model_path = path

    def build_messages(self, ocr_text: str = "") -> list:
        """The chat messages sent with the image (one user turn: image + instruction)."""
        ocr = " ".join(ocr_text.split())[:500]
        text = self.prompts.render("vision.j2", ocr_text=ocr, max_sentences=self.max_sentences)
        return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]

    def describe(self, image: Any, *, ocr_text: str = "") -> str:
        from PIL import Image

        img = Image.fromarray(np.asarray(image, dtype=np.uint8)).convert("RGB") if not isinstance(
            image, Image.Image) else image.convert("RGB")
        if max(img.size) > self.max_side:
            img.thumbnail((self.max_side, self.max_side))
        prompt = self.processor.apply_chat_template(self.build_messages(ocr_text), add_generation_prompt=True,
                                                    tokenize=False)
        inputs = self.processor(images=[img], text=[prompt], return_tensors="pt")
        inputs = {k: (v.to(self.model.device) if hasattr(v, "to") else v) for k, v in inputs.items()}
        if "pixel_values" in inputs and inputs["pixel_values"].is_floating_point():
            inputs["pixel_values"] = inputs["pixel_values"].to(self.model.dtype)
        tok = getattr(self.processor, "tokenizer", self.processor)
        with self._torch.inference_mode():
            ids = self.model.generate(**inputs, max_new_tokens=self.max_new_tokens, do_sample=False,
                                      pad_token_id=tok.pad_token_id if tok.pad_token_id is not None
                                      else tok.eos_token_id)
        text = tok.decode(ids[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
        return _clip_sentences(" ".join(text.split()), self.max_sentences)

    def close(self) -> None:
        self.model = None


def _clip_sentences(text: str, n: int) -> str:
    """At most ``n`` sentences, so a rambling model cannot flood the notes."""
    out, count = [], 0
    for part in text.replace("? ", "?\n").replace("! ", "!\n").replace(". ", ".\n").split("\n"):
        if part.strip():
            out.append(part.strip())
            count += 1
        if count >= n:
            break
    return " ".join(out)[:600]
