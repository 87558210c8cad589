"""Shared machinery of the generative note writers: prompts, JSON schema validation, grounding, model lookup.

The writer loop itself (repair retry, fallback, map-reduce) lives in ``llm_writer.LLMNoteWriter``; the
transformers and OpenAI-compatible backends only implement text generation and token counting.
"""
from __future__ import annotations

import json
import logging
import math
import re
import threading
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from lecture_notes.core.errors import BackendError
from lecture_notes.core.types import Chunk, Sentence

log = logging.getLogger(__name__)

PROMPT_DIR = Path(__file__).resolve().parent.parent / "prompts"

_SPAN = {"start": {"type": "number"}, "end": {"type": "number"}}
TIMED_ITEM = {"type": "object", "required": ["text", "start", "end"],
              "properties": {"text": {"type": "string", "minLength": 1}, **_SPAN}}
CHUNK_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "required": ["summary", "key_points", "qa"],
    "properties": {
        "summary": {"type": "array", "items": TIMED_ITEM, "maxItems": 20},
        "key_points": {"type": "array", "items": TIMED_ITEM, "maxItems": 30},
        "qa": {"type": "array", "maxItems": 30, "items": {
            "type": "object", "required": ["question", "answer", "start", "end"],
            "properties": {"question": {"type": "string", "minLength": 1},
                           "answer": {"type": "string", "minLength": 1},
                           "kind": {"type": "string"}, **_SPAN}}},
    },
}
CHAPTER_SCHEMA: Dict[str, Any] = {
    "type": "object",
    "required": ["title", "summary"],
    "properties": {
        "title": {"type": "string", "minLength": 1},
        "summary": {"type": "string", "minLength": 1},
        "glossary": {"type": "array", "maxItems": 30, "items": {
            "type": "object", "required": ["term", "definition"],
            "properties": {"term": {"type": "string", "minLength": 1},
                           "definition": {"type": "string", "minLength": 1},
                           "start": {"type": "number"}}}},
    },
}
SUMMARY_SCHEMA: Dict[str, Any] = {"type": "object", "required": ["summary"],
                                  "properties": {"summary": {"type": "string", "minLength": 1}}}

_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


class SchemaError(ValueError):
    """A model reply is not valid JSON or does not match the expected schema; the message is the repair hint."""


def validate(obj: Any, schema: Dict[str, Any], path: str = "$") -> None:
    """Check ``obj`` against a small JSON-Schema subset; raise SchemaError naming the first bad path."""
    typ = schema.get("type")
    if typ == "number":
        if isinstance(obj, bool) or not isinstance(obj, (int, float)) or not math.isfinite(obj):
            raise SchemaError(f"{path}: expected a number, got {_kind(obj)}")
    elif typ == "integer":
        if isinstance(obj, bool) or not isinstance(obj, int):
            raise SchemaError(f"{path}: expected an integer, got {_kind(obj)}")
    elif typ is not None and not isinstance(obj, _TYPES[typ]):
        raise SchemaError(f"{path}: expected {'an' if typ[0] in 'ao' else 'a'} {typ}, got {_kind(obj)}")
    if "enum" in schema and obj not in schema["enum"]:
        raise SchemaError(f"{path}: {obj!r} is not one of {schema['enum']}")
    if isinstance(obj, str) and len(obj.strip()) < schema.get("minLength", 0):
        raise SchemaError(f"{path}: must not be empty")
    if isinstance(obj, dict):
        missing = [k for k in schema.get("required", ()) if k not in obj]
        if missing:
            raise SchemaError(f"{path}: missing key(s) {', '.join(repr(k) for k in missing)}")
        for key, sub in schema.get("properties", {}).items():
            if key in obj:
                validate(obj[key], sub, f"{path}.{key}")
    if isinstance(obj, list):
        if len(obj) > schema.get("maxItems", len(obj)):
            raise SchemaError(f"{path}: at most {schema['maxItems']} items allowed, got {len(obj)}")
        if len(obj) < schema.get("minItems", 0):
            raise SchemaError(f"{path}: at least {schema['minItems']} items required")
        if "items" in schema:
            for i, item in enumerate(obj):
                validate(item, schema["items"], f"{path}[{i}]")


def _kind(obj: Any) -> str:
    if obj is None:
        return "null"
    return {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}.get(type(obj), type(obj).__name__)


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.S)


def extract_json(text: str) -> Any:
    """The first JSON object in a model reply (tolerates code fences and chatter around it)."""
    if not text or not text.strip():
        raise SchemaError("the reply was empty; reply with one JSON object")
    candidates = [m.group(1) for m in _FENCE.finditer(text)] + [text]
    last_err = "no JSON object found; reply with one JSON object and nothing else"
    for cand in candidates:
        start = cand.find("{")
        while start != -1:
            try:
                obj, _ = json.JSONDecoder().raw_decode(cand[start:])
                if isinstance(obj, dict):
                    return obj
            except json.JSONDecodeError as exc:
                last_err = f"invalid JSON ({exc.msg} at character {exc.pos}); reply with one valid JSON object"
            start = cand.find("{", start + 1)
    raise SchemaError(last_err)


def parse_reply(text: str, schema: Dict[str, Any]) -> Dict[str, Any]:
    """``extract_json`` + ``validate``; raises SchemaError with a message suitable for the repair prompt."""
    obj = extract_json(text)
    validate(obj, schema)
    return obj


class PromptLibrary:
    """Jinja2 prompt templates from ``lecture_notes/prompts`` (or a user folder that overrides some of them)."""

    def __init__(self, prompt_dir: Optional[Path] = None) -> None:
        import jinja2

        dirs = [str(p) for p in (prompt_dir, PROMPT_DIR) if p]
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(dirs), undefined=jinja2.StrictUndefined,
                                      trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False)
        self.env.filters["ts"] = lambda t: f"{float(t):.1f}"
        self.env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False)

    def render(self, name: str, **variables: Any) -> str:
        """Render ``name`` (e.g. "chunk_user.j2") with ``variables``."""
        return self.env.get_template(name).render(**variables).strip()


# --- grounding -------------------------------------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset("""a an the and or but if of to in on at by for with from as is are was were be been being it its
this that these those there here which who whom what when where why how not no so than then too very can could will
would should may might must do does did has have had we you they he she i me my our your their them us his her about
into over under also just only more most some any such each other all both one two lets let well okay now""".split())


def content_tokens(text: str) -> set:
    """Lower-cased content words with a crude plural strip: the unit of lexical support."""
    out = set()
    for w in _WORD.findall(text.lower()):
        if w in _STOP or len(w) < 3:
            continue
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w)
    return out


class Grounder:
    """Checks that a generated item is supported by the chunk sentences its span cites, and re-anchors it if not.

    Support is the cosine similarity of embeddings when an ``Embedder`` is given, else the share of the
    item's content words found in the cited sentences. Unsupported items move to the best-matching
    sentence of the chunk, or are rejected when nothing in the chunk supports them.
    """

    def __init__(self, embedder: Any = None, *, min_overlap: float = 0.3, min_cosine: float = 0.45,
                 tolerance: float = 1.0, max_span_sentences: int = 4, margin: float = 0.25) -> None:
        self.embedder = embedder
        self.min_overlap = min_overlap
        self.min_cosine = min_cosine
        self.tolerance = tolerance
        self.max_span_sentences = max_span_sentences
        self.margin = margin
        self.counts = {"ok": 0, "reanchored": 0, "rejected": 0}
        self._lock = threading.Lock()

    def _scores(self, text: str, sentences: Sequence[Sentence]) -> List[float]:
        if self.embedder is not None:
            try:
                vecs = self.embedder.embed([text] + [s.text for s in sentences])
                return [float(v) for v in vecs[1:] @ vecs[0]]
            except Exception as exc:  # fall back to words; grounding must never crash a build
                log.warning("embedding grounding failed (%s); using word overlap", exc)
                self.embedder = None
        toks = content_tokens(text)
        if not toks:
            return [0.0 for _ in sentences]
        return [len(toks & content_tokens(s.text)) / len(toks) for s in sentences]

    def _supported(self, text: str, sentences: Sequence[Sentence]) -> Tuple[bool, List[float]]:
        scores = self._scores(text, sentences)
        if self.embedder is not None:
            return (max(scores, default=0.0) >= self.min_cosine), scores
        joined = Sentence(sentences[0].start, sentences[-1].end, " ".join(s.text for s in sentences))
        union = self._scores(text, [joined])[0] if sentences else 0.0
        return union >= self.min_overlap, scores

    def ground(self, text: str, start: Any, end: Any, chunk: Chunk) -> Optional[Tuple[float, float]]:
        """Return the (start, end) to cite for ``text``, or None when the chunk does not support it."""
        sents = list(chunk.sentences)
        if not sents or not text.strip():
            return self._count("rejected", None)
        tol = self.tolerance
        cited: List[Sentence] = []
        try:
            s0, e0 = float(start), float(end)
            if math.isfinite(s0) and math.isfinite(e0) and s0 <= e0 + tol and s0 >= chunk.start - tol \
                    and e0 <= chunk.end + tol:
                eps = 0.05  # touching a sentence boundary is not citing that sentence
                cited = [s for s in sents if s.end > s0 + eps and s.start < e0 - eps] or \
                    [s for s in sents if s.start - eps <= s0 <= s.end + eps][:1]
        except (TypeError, ValueError):
            cited = []
        all_scores = self._scores(text, sents)
        best_i = max(range(len(sents)), key=all_scores.__getitem__)
        if cited:
            ok, scores = self._supported(text, cited)
            # A clearly better sentence elsewhere in the chunk means the model cited the wrong line.
            elsewhere = sents[best_i] not in cited and all_scores[best_i] >= max(scores) + self.margin
            if ok and not elsewhere:
                if len(cited) > self.max_span_sentences:  # a span of the whole chunk cites nothing useful
                    best = cited[max(range(len(cited)), key=scores.__getitem__)]
                    return self._count("ok", (best.start, best.end))
                return self._count("ok", (max(cited[0].start, chunk.start), min(cited[-1].end, chunk.end)))
        threshold = self.min_cosine if self.embedder is not None else self.min_overlap
        if all_scores[best_i] >= threshold:
            return self._count("reanchored", (sents[best_i].start, sents[best_i].end))
        return self._count("rejected", None)

    def _count(self, key: str, value: Any) -> Any:
        with self._lock:
            self.counts[key] += 1
        return value


# --- model lookup ------------------------------------------------------------------------------------------

def resolve_model_path(spec: str, *, what: str = "model") -> Path:
    """A local model folder for ``spec`` (a folder path or a Hugging Face id already in the HF cache).

    Never downloads. Raises BackendError saying how to get the model when it is not available locally.
    """
    if not spec:
        raise BackendError(f"no {what} given; pass a model folder or a Hugging Face id (e.g. --llm transformers:PATH)")
    p = Path(spec).expanduser()
    if p.is_dir():
        return p
    if p.exists():
        raise BackendError(f"{what} {spec} is a file; give the folder that holds config.json and the weights")
    looks_like_id = re.fullmatch(r"[\w.\-]+/[\w.\-]+", spec) is not None and not spec.startswith((".", "/", "~"))
    if looks_like_id:
        try:
            from huggingface_hub import snapshot_download

            return Path(snapshot_download(spec, local_files_only=True))
        except Exception as exc:
            log.debug("HF cache lookup of %s failed: %s", spec, exc)
        raise BackendError(f"{what} {spec!r} is not in the Hugging Face cache ({hf_cache_dir()}) and downloads are "
                           f"off; fetch it once with `huggingface-cli download {spec}` on a connected machine, "
                           f"or pass a local folder")
    raise BackendError(f"{what} folder {spec} does not exist; pass an existing folder or a Hugging Face id")


def hf_cache_dir() -> Path:
    """The Hugging Face hub cache folder this process would use."""
    try:
        from huggingface_hub import constants

        return Path(constants.HF_HUB_CACHE)
    except Exception:  # very old hub versions
        return Path.home() / ".cache" / "huggingface" / "hub"


def pick_device(device: str = "auto") -> str:
    """Resolve auto/cpu/cuda/mps to an available torch device string; raise BackendError for unavailable ones."""
    import torch

    device = (device or "auto").lower()
    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise BackendError("device cuda was requested but torch sees no CUDA GPU; use --device cpu or install a "
                           "CUDA build of torch")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise BackendError("device mps was requested but is not available; use --device cpu")
    if device not in ("cpu", "mps") and not device.startswith("cuda"):
        raise BackendError(f"unknown device {device!r}; use auto, cpu, cuda, cuda:N or mps")
    return device


def pick_dtype(dtype: str, device: str) -> Any:
    """torch dtype for auto/float16/bfloat16/float32 (auto: bfloat16/float16 on GPUs, float32 on CPU)."""
    import torch

    dtype = (dtype or "auto").lower()
    table = {"float16": torch.float16, "fp16": torch.float16, "half": torch.float16, "bfloat16": torch.bfloat16,
             "bf16": torch.bfloat16, "float32": torch.float32, "fp32": torch.float32}
    if dtype == "auto":
        if device.startswith("cuda"):
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float16 if device == "mps" else torch.float32
    if dtype not in table:
        raise BackendError(f"unknown dtype {dtype!r}; use auto, float16, bfloat16 or float32")
    return table[dtype]


def quantization_config(load_in_8bit: bool, load_in_4bit: bool, dtype: Any) -> Any:
    """A BitsAndBytesConfig, or None; raises BackendError when bitsandbytes is missing."""
    if not (load_in_8bit or load_in_4bit):
        return None
    if load_in_8bit and load_in_4bit:
        raise BackendError("choose one of load_in_8bit and load_in_4bit, not both")
    try:
        import bitsandbytes  # noqa: F401
    except ImportError as exc:
        raise BackendError("8-bit/4-bit loading needs bitsandbytes and a CUDA GPU; `pip install bitsandbytes`, "
                           "or drop load_in_8bit/load_in_4bit") from exc
    from transformers import BitsAndBytesConfig

    if load_in_8bit:
        return BitsAndBytesConfig(load_in_8bit=True)
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_compute_dtype=dtype, bnb_4bit_quant_type="nf4")
