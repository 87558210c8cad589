"""Speech recognition with any Whisper checkpoint through transformers (local folder or HF cache, never downloads).

Long audio uses Whisper's sequential long-form decoding (``generate`` with timestamps on the whole block),
fed in blocks of ``block_seconds`` so progress can be reported and memory stays bounded. With ``batch_size``
(default 8 on a GPU, 0 = sequential on the CPU) each block is cut at quiet moments into pieces of at most 30 s
that are decoded together, ``batch_size`` pieces per ``generate`` call: on a GPU that keeps the device busy.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable, List, Optional

import numpy as np

from lecture_notes.core.errors import BackendError
from lecture_notes.core.types import Segment, Transcript
from lecture_notes.backends.base import Transcriber, option
from lecture_notes.backends.model_files import LocalModelBackend
from lecture_notes.backends.llm_common import pick_device, pick_dtype, resolve_model_path

log = logging.getLogger(__name__)
SR = 16000


@dataclass(frozen=True)
class TransformersWhisperOptions:
    """Options of the transformers Whisper backend."""

    model: str = option("", "Whisper model folder or Hugging Face id in the HF cache, e.g. openai/whisper-small "
                            "(required)")
    device: str = option("auto", "auto, cpu, cuda, cuda:N or mps (default auto)")
    dtype: str = option("auto", "auto, float16, bfloat16 or float32")
    language: Optional[str] = option(None, "default language code (e.g. en, de); empty = detect per file on "
                                           "multilingual models")
    task: str = option("transcribe", "transcribe (default) or translate (to English)")
    num_beams: int = option(1, "beam size (default 1 = greedy)")
    max_new_tokens: Optional[int] = option(None, "tokens per 30 s window (default: the model's limit)")
    block_seconds: float = option(600.0, "audio seconds decoded per generate call (default 600)")
    threads: int = option(0, "torch CPU threads (0 = default)")
    batch_size: Optional[int] = option(None, "30-s pieces decoded per generate call (default 8 on a GPU, 0 = "
                                             "sequential long-form on CPU)")
PIECE = 30 * SR  # Whisper's window
_SEARCH = 5 * SR  # a piece ends at the quietest moment of its last 5 s


class TransformersWhisperTranscriber(LocalModelBackend, Transcriber):
    """Whisper (WhisperForConditionalGeneration + processor) with segment timestamps and language detection."""

    name = "transformers"
    word_timestamps = False
    Options = TransformersWhisperOptions
    cache_modules = ("lecture_notes.backends.llm_common",)

    def __init__(self, model: str = "", *, device: str = "auto", dtype: str = "auto", language: Optional[str] = None,
                 task: str = "transcribe", num_beams: int = 1, max_new_tokens: Optional[int] = None,
                 block_seconds: float = 600.0, threads: int = 0, batch_size: Optional[int] = None) -> None:
        import torch
        from transformers import AutoProcessor, WhisperForConditionalGeneration

        path = resolve_model_path(model, what="Whisper model")
        self.device = pick_device(device)
        self.dtype = pick_dtype(dtype, self.device)
        if threads:
            torch.set_num_threads(int(threads))
        try:
            self.processor = AutoProcessor.from_pretrained(str(path), local_files_only=True)
            self.model = WhisperForConditionalGeneration.from_pretrained(str(path), local_files_only=True,
                                                                         dtype=self.dtype).to(self.device).eval()
        except Exception as exc:
            raise BackendError(f"cannot load a Whisper model from {path}: {exc}; run `lecture-notes doctor` "
                               f"to check the folder") from exc
        if task not in ("transcribe", "translate"):
            raise BackendError(f"unknown Whisper task {task!r}; use transcribe or translate")
        gen = self.model.generation_config
        self.multilingual = bool(getattr(gen, "is_multilingual", False) and getattr(gen, "lang_to_id", None))
        self.language = language or None
        self.task = task
        self.num_beams = int(num_beams)
        self.max_new_tokens = max_new_tokens
        self.block_seconds = max(30.0, float(block_seconds))
        if batch_size is not None and int(batch_size) < 0:
            raise BackendError(f"batch_size must be 0 (sequential) or more, got {batch_size}")
        self.batch_size = int(batch_size) if batch_size is not None else (0 if self.device == "cpu" else 8)
        self.model_path = path
        self._torch = torch
        self._ts_begin = int(gen.no_timestamps_token_id) + 1
        self._id_to_lang = {v: k.strip("<|>") for k, v in (getattr(gen, "lang_to_id", None) or {}).items()}

    def detect_language(self, audio: np.ndarray) -> str:
        """Language code detected on the first 30 s (English-only models return "en")."""
        if not self.multilingual:
            return "en"
        feats = self._features(audio[: 30 * SR])["input_features"]
        with self._torch.inference_mode():
            ids = self.model.detect_language(feats)
        return self._id_to_lang.get(int(ids[0]), "en")

    def transcribe(self, audio: Any, *, language: Optional[str] = None, initial_prompt: Optional[str] = None,
                   progress: Optional[Callable[[float], None]] = None) -> Transcript:
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        duration = len(audio) / SR
        if len(audio) < SR // 10:
            return Transcript((), language=language or self.language or "en", source=f"asr:{self.model_path.name}")
        lang = language or self.language
        if lang and not self.multilingual and lang != "en":
            raise BackendError(f"{self.model_path.name} is an English-only Whisper model; use a multilingual "
                               f"checkpoint for language {lang!r}")
        if not lang:
            lang = self.detect_language(audio)
            log.info("detected language: %s", lang)
        segments: List[Segment] = []
        block = int(self.block_seconds * SR)
        for b0 in range(0, len(audio), block):
            piece = audio[b0:b0 + block]
            if len(piece) < SR // 10:
                break
            prompt = initial_prompt if b0 == 0 else None
            decode = self._decode_batched if self.batch_size else self._decode_block
            segments += decode(piece, b0 / SR, lang, prompt)
            if progress is not None:
                progress(min(duration, (b0 + len(piece)) / SR))
        return Transcript(tuple(segments), language=lang, source=f"asr:{self.model_path.name}")

    def _features(self, piece: np.ndarray) -> dict:
        fe = self.processor.feature_extractor
        if len(piece) <= 30 * SR:
            out = fe(piece, sampling_rate=SR, return_tensors="pt", return_attention_mask=True)
        else:  # long-form: keep every frame, Whisper's generate walks through it window by window
            out = fe(piece, sampling_rate=SR, return_tensors="pt", truncation=False, padding="longest",
                     return_attention_mask=True)
        return {k: v.to(self.device) for k, v in out.items() if k in ("input_features", "attention_mask")}

    def _decode_block(self, piece: np.ndarray, offset: float, lang: str, prompt: Optional[str]) -> List[Segment]:
        torch = self._torch
        inputs = self._features(piece)
        inputs["input_features"] = inputs["input_features"].to(self.dtype)
        kw: dict = {"return_timestamps": True, "return_segments": True, "return_dict_in_generate": True,
                    "num_beams": self.num_beams, "task": self.task}
        if self.multilingual:
            kw["language"] = lang
        if self.max_new_tokens:
            kw["max_new_tokens"] = int(self.max_new_tokens)
        if prompt:
            kw["prompt_ids"] = torch.as_tensor(self.processor.get_prompt_ids(prompt.strip()[-600:]),
                                               device=self.device)
        with torch.inference_mode():
            out = self.model.generate(**inputs, **kw)
        length = len(piece) / SR
        result: List[Segment] = []
        raw = out["segments"][0] if isinstance(out, dict) and out.get("segments") else []
        if not raw:  # no timestamps came back: one segment for the block
            text = self._text(out["sequences"][0] if isinstance(out, dict) else out[0])
            return [Segment(offset, offset + length, text)] if text else []
        last_end = 0.0
        for seg in raw:
            start, end = float(seg["start"]), float(seg["end"])
            if start >= length - 0.05:
                continue  # timestamps past the audio: padding hallucination
            start = max(start, last_end)
            end = min(max(end, start + 0.02), length)
            text = self._text(seg["tokens"])
            if not text or end <= start:
                continue
            result.append(Segment(round(offset + start, 3), round(offset + end, 3), text))
            last_end = end
        return result

    def _generate_kwargs(self, lang: str, prompt: Optional[str]) -> dict:
        kw: dict = {"return_timestamps": True, "num_beams": self.num_beams, "task": self.task}
        if self.multilingual:
            kw["language"] = lang
        if self.max_new_tokens:
            kw["max_new_tokens"] = int(self.max_new_tokens)
        if prompt:
            kw["prompt_ids"] = self._torch.as_tensor(self.processor.get_prompt_ids(prompt.strip()[-600:]),
                                                     device=self.device)
        return kw

    def _decode_batched(self, block: np.ndarray, offset: float, lang: str, prompt: Optional[str]) -> List[Segment]:
        """Cut ``block`` into pieces of at most 30 s at quiet moments and decode ``batch_size`` of them per
        ``generate`` call (short-form, with timestamps); segments come back in time order."""
        torch = self._torch
        bounds = quiet_pieces(block)
        kw = self._generate_kwargs(lang, prompt)
        fe = self.processor.feature_extractor
        result: List[Segment] = []
        for i in range(0, len(bounds), self.batch_size):
            group = bounds[i:i + self.batch_size]
            feats = fe([block[a:b] for a, b in group], sampling_rate=SR, return_tensors="pt",
                       return_attention_mask=True)
            inputs = {"input_features": feats["input_features"].to(self.device, self.dtype),
                      "attention_mask": feats["attention_mask"].to(self.device)}
            with torch.inference_mode():
                out = self.model.generate(**inputs, **kw)
            seqs = out.sequences if hasattr(out, "sequences") else out
            for (a, b), ids in zip(group, seqs):
                last = result[-1].end - offset if result else 0.0
                for start, end, text in self._timed_pieces([int(t) for t in ids], (b - a) / SR):
                    start = max(start + a / SR, last)
                    end = min(max(end + a / SR, start + 0.02), b / SR)
                    if end > start:
                        result.append(Segment(round(offset + start, 3), round(offset + end, 3), text))
                        last = end
        return result

    def _timed_pieces(self, ids: List[int], length: float) -> List[tuple]:
        """(start, end, text) from one piece's generated ids: text between timestamp tokens; text without
        timestamps spans the piece; timestamps past the audio (padding hallucinations) are dropped."""
        eot = int(self.model.generation_config.eos_token_id if not isinstance(
            self.model.generation_config.eos_token_id, list) else self.model.generation_config.eos_token_id[0])
        out: List[tuple] = []
        start: Optional[float] = None
        tokens: List[int] = []

        def emit(end: float) -> None:
            text = self._text(tokens)
            s = 0.0 if start is None else start
            if text and s < length - 0.05:
                out.append((s, min(end, length), text))

        for t in ids:
            if t >= self._ts_begin:
                time = (t - self._ts_begin) * 0.02
                if tokens:
                    emit(time)
                    tokens, start = [], None
                else:
                    start = time
            elif t < eot:
                tokens.append(t)
        if tokens:
            emit(length)
        return out

    def _text(self, tokens: Any) -> str:
        ids = [int(t) for t in tokens if int(t) < self._ts_begin]
        return " ".join(self.processor.tokenizer.decode(ids, skip_special_tokens=True).split())

    def close(self) -> None:
        self.model = None


def quiet_pieces(block: np.ndarray, size: int = PIECE, search: int = _SEARCH) -> List[tuple]:
    """(start, end) sample ranges of at most ``size`` covering ``block``; each piece but the last ends at the
    quietest 0.1 s of its last ``search`` samples, so words are rarely cut in two."""
    n = len(block)
    hop = SR // 10
    bounds: List[tuple] = []
    a = 0
    while n - a > size:
        lo = a + size - search
        frames = search // hop
        seg = np.asarray(block[lo:lo + frames * hop], dtype=np.float32).reshape(frames, hop)
        cut = lo + int(np.argmin(np.einsum("ij,ij->i", seg, seg))) * hop + hop // 2
        bounds.append((a, cut))
        a = cut
    if n - a >= SR // 10 or not bounds:
        bounds.append((a, n))
    else:
        bounds[-1] = (bounds[-1][0], n)
    return bounds
