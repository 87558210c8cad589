"""TOML config, env vars and --llm/--asr/--vision specs -> BuildConfig, with the documented precedence."""
from __future__ import annotations

from pathlib import Path

import pytest

from lecture_notes.core.config import BuildConfig
from lecture_notes.core.config_file import (apply_overrides, cli_overrides, load_config_overrides, merge_overrides,
                                       parse_backend_spec, read_config_file, user_config_path)
from lecture_notes.core.errors import ConfigError


def test_parse_backend_spec():
    assert parse_backend_spec("transformers:/m/qwen") == ("transformers", {"model": "/m/qwen"})
    assert parse_backend_spec("transformers:Qwen/Qwen2.5-1.5B-Instruct") == (
        "transformers", {"model": "Qwen/Qwen2.5-1.5B-Instruct"})
    assert parse_backend_spec("openai:http://127.0.0.1:8000/v1") == ("openai", {"base_url": "http://127.0.0.1:8000/v1"})
    assert parse_backend_spec("ollama:qwen2.5") == ("openai", {"base_url": "http://127.0.0.1:11434/v1",
                                                               "model": "qwen2.5"})
    assert parse_backend_spec("extractive") == ("extractive", {})
    with pytest.raises(ConfigError, match="needs a URL"):
        parse_backend_spec("openai:localhost")
    with pytest.raises(ConfigError, match="empty"):
        parse_backend_spec(" ")


def write(p: Path, text: str) -> Path:
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    return p


def test_precedence_user_config_file_env_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("LECTURE_NOTES_CONFIG", raising=False)
    write(tmp_path / "xdg" / "lecture-notes" / "config.toml", """
[build]
window = 120
device = "cpu"
[llm]
backend = "openai:http://127.0.0.1:8000/v1"
model = "user-model"
timeout = 30
[vision]
backend = "transformers"
model = "/models/vlm"
""")
    proj = write(tmp_path / "proj.toml", """
[build]
window = 240
formats = ["md", "json"]
[notes]
model = "project-model"
""")
    assert user_config_path() == tmp_path / "xdg" / "lecture-notes" / "config.toml"
    env = {"LECTURE_NOTES_DEVICE": "cuda"}
    ov = load_config_overrides(proj, environ=env)
    assert ov["build"] == {"window": 240, "device": "cuda", "formats": ["md", "json"]}
    assert ov["notes"] == {"backend": "openai", "options": {"base_url": "http://127.0.0.1:8000/v1",
                                                            "model": "project-model", "timeout": 30}}
    ov = merge_overrides(ov, cli_overrides(llm="transformers:/models/llm", device="cpu"))
    assert ov["notes"] == {"backend": "transformers", "options": {"model": "/models/llm"}}  # openai options dropped
    cfg = apply_overrides(BuildConfig(input=Path("a.mp4")), ov).validated()
    assert cfg.notes_backend == "transformers" and cfg.window == 240.0 and cfg.formats == ("md", "json")
    assert cfg.options_for("notes") == {"model": "/models/llm", "device": "cpu"}
    vision = cfg.options_for("vision")
    assert vision["model"] == "/models/vlm" and vision["device"] == "cpu"
    assert getattr(cfg, "vision_backend", vision.get("backend")) == "transformers"


def test_llm_model_alone_keeps_config_backend(tmp_path):
    f = write(tmp_path / "c.toml", '[llm]\nbackend = "openai"\nbase_url = "http://h:1/v1"\n')
    ov = merge_overrides(load_config_overrides(f, environ={}, use_user_config=False),
                         cli_overrides(llm_model="m2"))
    cfg = apply_overrides(BuildConfig(input=Path("a.mp4")), ov)
    assert cfg.notes_backend == "openai" and cfg.options_for("notes") == {"base_url": "http://h:1/v1", "model": "m2"}


def test_faster_whisper_model_maps_to_asr_model_and_env_specs(tmp_path):
    f = write(tmp_path / "c.toml", '[asr]\nbackend = "faster-whisper"\nmodel = "base"\nbeam_size = 5\n')
    cfg = apply_overrides(BuildConfig(input=Path("a.mp4")), load_config_overrides(f, environ={},
                                                                                  use_user_config=False))
    assert cfg.asr_model == "base" and cfg.options_for("asr") == {"beam_size": 5}
    ov = load_config_overrides(None, environ={"LECTURE_NOTES_ASR": "transformers:/w",
                                              "LECTURE_NOTES_LLM": "ollama:llama3"}, use_user_config=False)
    cfg = apply_overrides(BuildConfig(input=Path("a.mp4")), ov)
    assert cfg.asr_backend == "transformers" and cfg.options_for("asr") == {"model": "/w"}
    assert cfg.notes_backend == "openai" and cfg.options_for("notes")["model"] == "llama3"


def test_config_errors_say_what_and_where(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        read_config_file(tmp_path / "nope.toml")
    bad = write(tmp_path / "bad.toml", "[build\nwindow = 3")
    with pytest.raises(ConfigError, match=r"bad.toml is not valid TOML"):
        read_config_file(bad)
    with pytest.raises(ConfigError, match=r"unknown section \[speech\]"):
        read_config_file(write(tmp_path / "s.toml", "[speech]\nx = 1\n"))
    with pytest.raises(ConfigError, match=r"unknown \[build\] key\(s\) windw; valid keys:.*window"):
        read_config_file(write(tmp_path / "k.toml", "[build]\nwindw = 1\n"))
    with pytest.raises(ConfigError, match="must be a \\[section\\]"):
        read_config_file(write(tmp_path / "t.toml", "window = 1\n"))
    with pytest.raises(ConfigError, match="use_cache must be true or false"):
        apply_overrides(BuildConfig(input=Path("a.mp4")), {"build": {"use_cache": "yes"}})
