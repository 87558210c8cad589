"""Fixtures shared by the tests: the synthetic-data factories, a sample notes object, a course output folder,
the lecture-video generator of ``samples/`` and tiny real models (built once per session, never downloaded).

The factory modules sit beside this file (pytest puts this folder on ``sys.path``, which is also how spawned
batch workers find ``course_factory.fake_build``); tests reach them only through these fixtures.
"""
from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from pathlib import Path

import pytest

import course_factory as _course_factory
import media_factory as _media_factory
import notes_factory as _notes_factory
import tiny_models as _tiny_models

ROOT = Path(__file__).resolve().parent.parent

# Models prepared from installed weights (the onnxruntime export of MiniLM, ~7 s) once per test session, shared
# by every test, subprocess and spawned worker, however each test sets LECTURE_NOTES_CACHE.
os.environ.setdefault("LECTURE_NOTES_MODELS", tempfile.mkdtemp(prefix="ln-test-models-"))


@pytest.fixture(scope="session")
def course_factory():
    """notes.json lecture folders, fake media courses and the fake ``build_fn`` for batch tests."""
    return _course_factory


@pytest.fixture(scope="session")
def media_factory():
    """Synthetic slide videos, tones and audio files."""
    return _media_factory


@pytest.fixture(scope="session")
def notes_factory():
    """A LectureNotes object (optionally with injection strings) and its slide images."""
    return _notes_factory


@pytest.fixture(scope="session")
def tiny_models():
    """Builders of tiny real transformers models (LLM, Whisper, LLaVA) from random weights."""
    return _tiny_models


@pytest.fixture()
def sample_notes():
    """A fresh ``notes_factory.make_notes()``."""
    return _notes_factory.make_notes()


@pytest.fixture()
def course_output(tmp_path):
    """A batch output folder of three lectures (``course_factory.make_course_output``)."""
    return _course_factory.make_course_output(tmp_path / "out")


@pytest.fixture(scope="session")
def make_sample():
    """``samples/make_sample.py``, the generator of the sample lecture video, as a module."""
    name = "make_sample"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "samples" / "make_sample.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module  # dataclasses in it look their module up by name
        spec.loader.exec_module(module)
    return sys.modules[name]


@pytest.fixture(scope="session")
def tiny_llm_dir(tmp_path_factory):
    """A tiny Qwen2-architecture chat model folder (read-only: copy it before changing files)."""
    return _tiny_models.build_tiny_llm(tmp_path_factory.mktemp("tiny-llm"))


@pytest.fixture(scope="session")
def tiny_whisper_dir(tmp_path_factory):
    """A tiny multilingual Whisper model folder (read-only)."""
    return _tiny_models.build_tiny_whisper(tmp_path_factory.mktemp("tiny-whisper"))
