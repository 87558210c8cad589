"""Typed build options, validated once at the boundary (CLI, batch, or library callers)."""
from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from lecture_notes.core.errors import ConfigError

FORMATS = ("md", "html", "json")
ASR_MODELS = ("tiny.en", "base")
AUDIO_EXTS = (".mp3", ".m4a", ".wav", ".flac", ".ogg", ".opus", ".aac", ".wma")
VIDEO_EXTS = (".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts")
MEDIA_EXTS = AUDIO_EXTS + VIDEO_EXTS
TRANSCRIPT_EXTS = (".srt", ".vtt", ".json")  # a transcript alone is a lecture too (notes from the captions)


def default_cache_dir() -> Path:
    """``$LECTURE_NOTES_CACHE``, else ``$XDG_CACHE_HOME/lecture-notes``, else ``~/.cache/lecture-notes``."""
    env = os.environ.get("LECTURE_NOTES_CACHE")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "lecture-notes"


def models_cache_dir() -> Path:
    """Where models prepared from installed weights are kept: ``$LECTURE_NOTES_MODELS``, else ``<cache>/models``."""
    env = os.environ.get("LECTURE_NOTES_MODELS")
    return Path(env) if env else default_cache_dir() / "models"


@dataclass(frozen=True)
class BuildConfig:
    """Everything `build_notes` needs. Construct it, then call `validated()`."""

    input: Path
    out_dir: Optional[Path] = None  # default: "<input stem>_notes" beside the input
    formats: Tuple[str, ...] = FORMATS
    window: float = 300.0
    transcript: Optional[Path] = None
    sidecar: bool = True  # use a subtitle file found beside the input when no --transcript is given
    video: Optional[str] = None  # where timestamps link to: an http(s) URL or a path relative to the output folder
    asr_model: str = "tiny.en"
    language: Optional[str] = None
    template_dir: Optional[Path] = None
    use_cache: bool = True
    force: bool = False
    cache_dir: Path = field(default_factory=default_cache_dir)
    title: Optional[str] = None
    # Stage tuning (rarely changed; part of the cache keys of the stages that use them).
    frame_rate: float = 0.5  # sampled frames per second for slide detection
    frame_max_side: int = 640
    # Feeding slide vocabulary to Whisper's initial prompt was measured on the sample (benchmarks/asr_prompt.py):
    # it raised tiny.en's WER (4.3% -> 9.8%, and dropped passages on noisy audio), so it is off by default.
    slide_prompt: bool = False
    cpu_threads: int = 0  # 0 = let the backend decide
    # Backend names in the registry, and their options.
    asr_backend: str = "faster-whisper"
    ocr_backend: str = "rapidocr"
    embedder_backend: str = "minilm"
    notes_backend: str = "extractive"
    vision_backend: str = ""  # empty: no slide descriptions
    device: str = "auto"  # for model backends that take one (transformers)
    backend_options: Tuple[Tuple[str, Tuple[Tuple[str, Any], ...]], ...] = ()

    def options_for(self, kind: str) -> Dict[str, Any]:
        """Extra keyword options configured for backend ``kind``."""
        for k, opts in self.backend_options:
            if k == kind:
                return dict(opts)
        return {}

    @property
    def output_dir(self) -> Path:
        if self.out_dir is not None:
            return Path(self.out_dir)
        return Path(self.input).with_name(Path(self.input).stem + "_notes")

    def validated(self) -> "BuildConfig":
        """Check every option once; raise ConfigError with the fix."""
        fmts = tuple(dict.fromkeys(f.strip().lower() for f in self.formats if f.strip()))
        bad = [f for f in fmts if f not in FORMATS]
        if bad or not fmts:
            raise ConfigError(f"unknown format {', '.join(bad) or '(none)'}; choose from {', '.join(FORMATS)} "
                              f"(e.g. --format md,html)")
        if not (30.0 <= float(self.window) <= 7200.0):
            raise ConfigError(f"--window {self.window:g} is out of range; use 30 to 7200 seconds (default 300)")
        if self.language is not None and not (2 <= len(self.language) <= 8 and self.language.isalpha()):
            raise ConfigError(f"--language {self.language!r} is not a language code; use e.g. en, de, fr")
        if self.asr_model == "tiny.en" and self.language not in (None, "en"):
            raise ConfigError(f"tiny.en only transcribes English; use --asr-model base for --language "
                              f"{self.language}")
        if self.template_dir is not None and not Path(self.template_dir).is_dir():
            raise ConfigError(f"--template-dir {self.template_dir} is not a folder")
        if self.device not in ("auto", "cpu", "cuda", "mps") and not self.device.startswith("cuda:"):
            raise ConfigError(f"--device {self.device!r} is not valid; use auto, cpu, cuda, cuda:N or mps")
        if self.video and (re.match(r"^[A-Za-z][A-Za-z0-9+.-]*:", self.video) and not re.match(
                r"^https?://\S+$", self.video, re.I) or self.video.startswith(("/", "\\")) or "\n" in self.video):
            raise ConfigError(f"--video {self.video!r} is not an http(s) URL or a path relative to the output "
                              f"folder; e.g. --video https://example.org/lecture.mp4")
        if not (0.05 <= self.frame_rate <= 5):
            raise ConfigError("frame_rate must be between 0.05 and 5 frames per second")
        checked = replace(self, formats=fmts, window=float(self.window), input=Path(self.input))
        checked._check_backends()
        return checked

    def _check_backends(self) -> None:
        """Each chosen backend exists and knows its options (``--asr-model`` included), before any work."""
        from lecture_notes.backends import registry

        for kind in registry.KINDS:
            if getattr(self, f"{kind}_backend", ""):  # a reranker is chosen per search, not per build
                info, opts = registry.configured(self, kind)
                if info.cls is not None:
                    info.cls.validate_options(opts)
                    missing = info.cls.missing_dependency(load=False)
                    if missing:
                        raise ConfigError(f"the {kind} backend {info.name} cannot run here ({missing}); install it "
                                          f"with {info.cls.install or 'pip install ' + ' '.join(info.cls.requires)}")

    def to_dict(self) -> Dict[str, Any]:
        d = asdict(self)
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}
