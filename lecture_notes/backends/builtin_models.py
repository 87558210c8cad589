"""Factories of the model backends (transformers LLM / Whisper / VLM, OpenAI-compatible endpoint).

Declared like ``builtin.py``; pyproject lists them under the ``lecture_notes.backends``
entry-point group. Heavy imports happen only when a factory is called. Unknown options raise ConfigError.
"""
from __future__ import annotations

from typing import Dict


_MODULES = {
    ("notes", "transformers"): "llm_transformers",
    ("notes", "openai"): "llm_openai",
    ("asr", "transformers"): "whisper_transformers",
    ("vision", "transformers"): "vision_transformers",
}

# The registry passes generic options to every backend of a kind (e.g. the pipeline passes ``embedder`` to
# note writers and ``device`` may come from [build]); these are accepted and ignored where meaningless.
_PASSTHROUGH = {"notes": ("embedder", "fallback", "device", "threads"), "asr": ("device", "threads"),
                "vision": ("device", "threads")}


def options_of(kind: str, name: str) -> Dict[str, str]:
    """Option name -> help text of a model backend (read from its module without loading a model)."""
    import importlib

    mod = importlib.import_module(f"{__package__}.{_MODULES[(kind, name)]}")
    return dict(mod.OPTIONS)


def _checked(kind: str, name: str, options: dict) -> dict:
    from lecture_notes.backends.llm_common import check_options

    valid = options_of(kind, name)
    opts = dict(options)
    for key in _PASSTHROUGH.get(kind, ()):
        if key in opts and key not in valid:
            opts.pop(key)
    check_options(kind, name, opts, list(valid))
    return opts


def transformers_llm(**options):
    """Local Hugging Face causal LM (folder or HF cache) writing structured, grounded chunk notes."""
    from lecture_notes.backends.llm_transformers import TransformersNoteWriter

    return TransformersNoteWriter(**_checked("notes", "transformers", options))


def openai_llm(**options):
    """OpenAI-compatible /v1/chat/completions endpoint (vLLM, llama.cpp, Ollama, hosted) writing chunk notes."""
    from lecture_notes.backends.llm_openai import OpenAINoteWriter

    return OpenAINoteWriter(**_checked("notes", "openai", options))


def transformers_whisper(**options):
    """Any Whisper checkpoint through transformers (local folder or HF cache), multilingual with detection."""
    from lecture_notes.backends.whisper_transformers import TransformersWhisperTranscriber

    return TransformersWhisperTranscriber(**_checked("asr", "transformers", options))


def transformers_vision(**options):
    """Vision-language model (Qwen2.5-VL, LLaVA-OneVision, ...) describing slide figures."""
    from lecture_notes.backends.vision_transformers import TransformersVisionDescriber

    return TransformersVisionDescriber(**_checked("vision", "transformers", options))


MODEL_BACKENDS = [
    ("notes", "transformers", transformers_llm),
    ("notes", "openai", openai_llm),
    ("asr", "transformers", transformers_whisper),
    ("vision", "transformers", transformers_vision),
]
