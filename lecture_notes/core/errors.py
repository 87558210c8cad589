"""Typed errors. Every message says what is wrong and how to fix it; only the CLI turns them into exit codes."""
from __future__ import annotations


class LectureNotesError(Exception):
    """Base class for all errors the library raises on purpose."""


class InputError(LectureNotesError):
    """The input file is missing, unreadable, corrupt, empty or of an unsupported format."""


class NoAudioError(InputError):
    """The input has no audio track and no transcript was given."""


class OutputError(LectureNotesError):
    """The output folder is not writable, or outputs exist and --force was not given."""


class BackendError(LectureNotesError):
    """A backend is unknown, not installed, or failed to load."""


class ConfigError(LectureNotesError):
    """An option or config file value is invalid."""


class TranscriptError(InputError):
    """A transcript file (SRT/VTT/TXT/JSON) cannot be parsed."""
