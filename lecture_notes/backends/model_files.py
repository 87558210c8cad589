"""Checks of Hugging Face model folders for ``doctor``: complete files, parameter count, whether it fits memory.

Used by the transformers backends' ``check()`` and by the bundled-model checks.
"""
from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from lecture_notes.backends.llm_common import resolve_model_path
from lecture_notes.core.checks import Check
from lecture_notes.core.errors import BackendError
from lecture_notes.core.fsutil import available_memory

TOKENIZER_SETS = (("tokenizer.json",), ("tokenizer.model",), ("vocab.json", "merges.txt"), ("vocab.txt",),
                  ("spiece.model",), ("sentencepiece.bpe.model",))
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack")
PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json")
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
                "F8_E4M3": 1, "F8_E5M2": 1}


def weight_files(folder: Path) -> List[Path]:
    """Weight files of a model folder (safetensors/bin/gguf/...), index files excluded."""
    return sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(WEIGHT_SUFFIXES)
                  and not p.name.endswith(".index.json") and "training_args" not in p.name)


def _missing_shards(folder: Path) -> List[str]:
    missing = []
    for index in folder.glob("*.index.json"):
        try:
            shards = set(json.loads(index.read_text())["weight_map"].values())
        except (OSError, ValueError, KeyError, TypeError):
            missing.append(f"{index.name} (unreadable)")
            continue
        missing += sorted(s for s in shards if not (folder / s).is_file())
    return missing


def check_model_folder(spec: str, kind: str, *, name: Optional[str] = None,
                       fix_missing: Optional[str] = None) -> List[Check]:
    """Checks for a Hugging Face model folder (or cached id) used by ``kind`` (notes, asr, vision, embedder)."""
    name = name or f"{kind} model"
    try:
        folder = resolve_model_path(spec, what=f"{kind} model")
    except BackendError as exc:
        return [Check(name, False, str(exc).split(";")[0], fix_missing or str(exc).split(";", 1)[-1].strip())]
    found = sorted(p.name for p in folder.iterdir())
    listing = ", ".join(found) or "nothing"
    checks = []
    if not (folder / "config.json").is_file():
        checks.append(Check(f"{name} config", False, f"{folder} has no config.json (found: {listing})",
                            fix_missing or "copy the complete model folder (config.json, tokenizer and weights)"))
    tok_sets = [s for s in TOKENIZER_SETS if all((folder / f).is_file() for f in s)]
    if not tok_sets:
        expected = " or ".join("+".join(s) for s in TOKENIZER_SETS[:4])
        checks.append(Check(f"{name} tokenizer", False, f"{folder} has no tokenizer files: expected {expected} "
                            f"(found: {listing})", fix_missing or "copy the tokenizer files from the original "
                            "model repository into the folder"))
    weights = weight_files(folder)
    missing = _missing_shards(folder)
    if not weights:
        checks.append(Check(f"{name} weights", False, f"{folder} has no weight files: expected model.safetensors, "
                            f"model-0000X-of-0000N.safetensors (+ .index.json) or pytorch_model.bin "
                            f"(found: {listing})", fix_missing or "download the weights completely into the folder"))
    elif missing:
        checks.append(Check(f"{name} weights", False, f"{folder} is missing shard(s) {', '.join(missing)} listed in "
                            f"its index (found: {listing})", fix_missing or "download the missing shards"))
    if kind in ("asr", "vision") and not any((folder / f).is_file() for f in PROCESSOR_FILES):
        checks.append(Check(f"{name} processor", False, f"{folder} has no {' or '.join(PROCESSOR_FILES)} "
                            f"(found: {listing})", fix_missing or "copy the processor config from the original "
                            "model repository"))
    if kind in ("notes", "vision") and not checks and not _has_chat_template(folder):
        checks.append(Check(f"{name} chat template", False, f"{folder} has no chat template (looked in "
                            f"tokenizer_config.json, chat_template.jinja, chat_template.json)",
                            "use an instruction-tuned model, or add a chat_template"))
    if checks:
        return checks
    size = estimate_model_bytes(folder)
    return [Check(name, True, f"{folder} complete ({', '.join(p.name for p in weights[:3])}"
                  f"{', ...' if len(weights) > 3 else ''}; ~{size['params'] / 1e6:.1f}M parameters)")]


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    for cfg in ("tokenizer_config.json", "processor_config.json"):
        try:
            if json.loads((folder / cfg).read_text()).get("chat_template"):
                return True
        except (OSError, ValueError, AttributeError):
            continue
    return False


def estimate_model_bytes(folder: Path) -> Dict[str, int]:
    """{"params": N, "bytes": stored size} from safetensors headers (exact) or file sizes (fallback)."""
    params = stored = 0
    files = weight_files(folder)
    for f in files:
        if f.suffix == ".safetensors":
            try:
                with open(f, "rb") as fh:
                    (n,) = struct.unpack("<Q", fh.read(8))
                    header = json.loads(fh.read(n))
                for key, t in header.items():
                    if key == "__metadata__":
                        continue
                    count = 1
                    for d in t["shape"]:
                        count *= d
                    params += count
                    stored += count * _DTYPE_BYTES.get(t["dtype"], 2)
                continue
            except (OSError, ValueError, KeyError, struct.error):
                pass
        size = f.stat().st_size
        stored += size
        params += size // 2  # unknown layout: assume 16-bit weights
    return {"params": params, "bytes": stored}


def check_memory(folder_spec: str, device: str = "auto", dtype: str = "auto", name: str = "model memory") -> Check:
    """Whether the model's weights fit the GPU (or RAM on CPU) at the dtype it will be loaded in."""
    try:
        folder = resolve_model_path(folder_spec)
    except Exception as exc:
        return Check(name, False, str(exc).split(";")[0], required=False)
    est = estimate_model_bytes(folder)
    try:
        import torch

        cuda = torch.cuda.is_available() and (device == "auto" or device.startswith("cuda"))
    except ImportError:
        cuda = False
    per = {"float32": 4, "float16": 2, "bfloat16": 2}.get(dtype, 2 if cuda else 4)
    need = int(est["params"] * per * 1.2)  # activations and KV cache need some room beyond the weights
    if cuda:
        free, _ = torch.cuda.mem_get_info()
        where, have = "GPU", free
    else:
        where, have = "RAM", available_memory() or 0
    msg = f"~{need / 2**30:.1f} GiB needed ({est['params'] / 1e6:.0f}M params), {have / 2**30:.1f} GiB {where} free"
    if have and need > have:
        fix = ("use a smaller model, load_in_4bit/load_in_8bit (bitsandbytes, CUDA)" if cuda
               else "use a smaller model or a GPU (--device cuda)")
        return Check(name, False, msg, fix, required=False)
    return Check(name, True, msg)


def check_model_backend(kind: str, options: Mapping[str, Any]) -> List[Check]:
    """A transformers backend's model: the folder is complete and its weights fit the device's memory."""
    model = options.get("model")
    if not model:
        flag = "llm" if kind == "notes" else kind
        return [Check(f"{kind} model", False, f"{kind} backend transformers has no model",
                      f"give one, e.g. --{flag} transformers:PATH")]
    found = check_model_folder(str(model), kind)
    if all(c.ok for c in found):
        found.append(check_memory(str(model), str(options.get("device", "auto")), str(options.get("dtype", "auto")),
                                  name=f"{kind} model memory"))
    return found


class LocalModelBackend:
    """Mixin of the backends that load a Hugging Face model folder (or cached id) with transformers: they need
    torch and transformers, take ``--device``, and ``doctor`` checks their folder and memory. List it first:
    ``class MyWriter(LocalModelBackend, LLMNoteWriter)``."""

    requires = ("torch", "transformers")
    install = "pip install torch transformers"
    takes_device = True

    @classmethod
    def check(cls, options: Mapping[str, Any], *, load: bool = True) -> List[Check]:
        """The dependencies, then the model folder is complete and fits the device."""
        checks = super().check(options, load=load)  # type: ignore[misc]
        return checks + check_model_backend(cls.kind, options) if checks[-1].ok else checks  # type: ignore[attr-defined]
