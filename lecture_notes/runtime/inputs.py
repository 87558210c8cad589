"""What a build reads: a media file (with a transcript named by ``--transcript`` or found beside it) or a
transcript alone (``.srt``, ``.vtt``, ``.json``: notes from the captions, no media needed), and where the notes'
timestamps link to (``--video URL``, else the media file, else nowhere)."""
from __future__ import annotations

import os
import re
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from lecture_notes.core.config import TRANSCRIPT_EXTS, BuildConfig
from lecture_notes.core.errors import ConfigError, InputError, NoAudioError
from lecture_notes.core.types import MediaInfo

_LANG_SUFFIX = re.compile(r"\.[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


@dataclass(frozen=True)
class BuildInput:
    """The input as the stages see it: ``info`` (a transcript-only input has no audio and no video), the
    transcript file to read instead of speech recognition (or None), and the link for timestamps (or None)."""

    info: MediaInfo
    transcript: Optional[Path]
    media_href: Optional[str]
    transcript_only: bool = False


def is_transcript_input(path) -> bool:
    """True for a transcript given as the lecture itself (``lecture-notes build lecture.vtt``)."""
    return Path(path).suffix.lower() in TRANSCRIPT_EXTS


def lecture_stem(path) -> str:
    """File name without extension, and without a caption language tag (``lecture.en.vtt`` -> ``lecture``)."""
    stem = Path(path).stem
    return _LANG_SUFFIX.sub("", stem) if is_transcript_input(path) and _LANG_SUFFIX.sub("", stem) else stem


def _media_href(input_path: Path, out_dir: Path) -> str:
    rel = os.path.relpath(Path(input_path).resolve(), Path(out_dir).resolve())
    return urllib.parse.quote(Path(rel).as_posix())


def resolve_input(config: BuildConfig) -> BuildInput:
    """Probe the input (or check a transcript-only input); raise InputError/ConfigError with the fix."""
    path = Path(config.input)
    if is_transcript_input(path):
        if config.transcript is not None:
            raise ConfigError(f"{path.name} is already a transcript; drop --transcript (or give the media file "
                              f"as INPUT and the transcript with --transcript)")
        if not path.is_file():
            raise InputError(f"transcript {path} not found; check the path" if not path.exists() else
                             f"input {path} is a folder, not a transcript file")
        info = MediaInfo(path=path, duration=0.0, has_audio=False, has_video=False)
        return BuildInput(info, path, config.video or None, transcript_only=True)
    from lecture_notes.stages import media
    from lecture_notes.stages import transcribe

    info = media.probe(path)
    transcript = Path(config.transcript) if config.transcript else (
        transcribe.find_sidecar(path) if config.sidecar else None)
    if transcript is not None and not transcript.is_file():
        raise InputError(f"transcript file {transcript} does not exist; check the --transcript path")
    if not info.has_audio and transcript is None:
        raise NoAudioError(f"{info.path.name} has no audio track; give a transcript with --transcript FILE")
    return BuildInput(info, transcript, config.video or _media_href(info.path, config.output_dir))
