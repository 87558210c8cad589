"""TOML config files, environment variables and ``--llm/--asr/--vision`` specs -> BuildConfig overrides.

Precedence (highest first): CLI options > environment variables > ``--config FILE`` >
``$XDG_CONFIG_HOME/lecture-notes/config.toml`` (or ``$LECTURE_NOTES_CONFIG``) > BuildConfig defaults.

An overrides dict is normalized to::

    {"build": {field: value}, "asr": {"backend": name, "options": {...}}, "notes": {...}, "vision": {...},
     "ocr": {...}, "embedder": {...}}
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any, Dict, Optional, Tuple

from lecture_notes.core.config import BuildConfig
from lecture_notes.core.errors import ConfigError

KINDS = ("asr", "notes", "vision", "ocr", "embedder")
SECTION_ALIASES = {"llm": "notes", "notes": "notes", "asr": "asr", "vision": "vision", "ocr": "ocr",
                   "embedder": "embedder"}
ENV_VARS = {
    "LECTURE_NOTES_LLM": "--llm spec, e.g. transformers:/models/qwen or openai:http://127.0.0.1:8000/v1",
    "LECTURE_NOTES_LLM_MODEL": "model name on an OpenAI-compatible server (--llm-model)",
    "LECTURE_NOTES_ASR": "--asr spec, e.g. transformers:openai/whisper-small",
    "LECTURE_NOTES_VISION": "--vision spec, e.g. transformers:Qwen/Qwen2.5-VL-3B-Instruct",
    "LECTURE_NOTES_DEVICE": "--device: auto, cpu, cuda, mps",
    "LECTURE_NOTES_CONFIG": "user config file used instead of $XDG_CONFIG_HOME/lecture-notes/config.toml",
}
_NOT_CONFIGURABLE = {"input", "backend_options", "asr_backend", "ocr_backend", "embedder_backend", "notes_backend",
                     "vision_backend"}


def user_config_path() -> Path:
    """``$LECTURE_NOTES_CONFIG``, else ``$XDG_CONFIG_HOME/lecture-notes/config.toml`` (default ~/.config)."""
    env = os.environ.get("LECTURE_NOTES_CONFIG")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CONFIG_HOME")
    return (Path(xdg) if xdg else Path.home() / ".config") / "lecture-notes" / "config.toml"


# Spec names that stand for a configured backend: "ollama:MODEL" is the OpenAI-compatible local Ollama server.
SPEC_SHORTCUTS = {"ollama": ("openai", {"base_url": "http://127.0.0.1:11434/v1"})}


def parse_backend_spec(spec: str, kind: str = "notes") -> Tuple[str, Dict[str, Any]]:
    """``"NAME:VALUE"`` -> (NAME, {option: VALUE}) where the option is the backend's ``spec_option``
    (``"transformers:PATH"`` -> ("transformers", {"model": PATH}); ``"openai:URL"`` -> ("openai", {"base_url": URL})).

    ``"ollama:MODEL"`` is a shortcut for the local Ollama server; a bare name selects a backend without options.
    """
    from lecture_notes.backends import registry

    spec = (spec or "").strip()
    if not spec:
        raise ConfigError(f"empty {kind} backend spec; use NAME or NAME:MODEL, e.g. transformers:/path/to/model")
    name, sep, value = spec.partition(":")
    name = name.strip().lower()
    if not name:
        raise ConfigError(f"{kind} backend spec {spec!r} has no backend name; use NAME:MODEL")
    value = value.strip()
    if name in SPEC_SHORTCUTS:
        target, opts = SPEC_SHORTCUTS[name]
        return target, {**opts, **({"model": value} if value else {})}
    if not sep or not value:
        return name, {}
    cls = registry.lookup(kind, name).cls
    if cls is None:  # a plugin registered as a plain factory: the value is its model
        return name, {"model": value}
    opts = {cls.spec_option: value}
    cls.validate_options(opts)
    return name, opts


def _section(kind: str, backend: Optional[str] = None, options: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    out: Dict[str, Any] = {"options": dict(options or {})}
    if backend:
        out["backend"] = backend
    return out


def merge_overrides(*layers: Dict[str, Any]) -> Dict[str, Any]:
    """Merge normalized overrides, later layers winning. Options belong to a backend: when a later layer picks
    another backend for a kind, the earlier layer's options for that kind are dropped."""
    out: Dict[str, Any] = {"build": {}}
    for layer in layers:
        for key, val in (layer or {}).items():
            if key == "build":
                out["build"].update(val)
                continue
            cur = out.get(key)
            if cur is None or ("backend" in val and val["backend"] != cur.get("backend")):
                out[key] = {**({"backend": val["backend"]} if "backend" in val else {}),
                            "options": dict(val.get("options", {}))}
            else:
                cur["options"].update(val.get("options", {}))
    return out


def overrides_from_toml(data: Dict[str, Any], source: str = "config") -> Dict[str, Any]:
    """Normalize parsed TOML (sections [build], [asr], [notes] or [llm], [vision], [ocr], [embedder])."""
    out: Dict[str, Any] = {"build": {}}
    build_fields = {f.name for f in dataclasses.fields(BuildConfig)} - _NOT_CONFIGURABLE | {"device"}
    for section, body in data.items():
        if not isinstance(body, dict):
            raise ConfigError(f"{source}: top-level key {section!r} must be a [section]; valid sections: "
                              f"build, {', '.join(sorted(SECTION_ALIASES))}")
        if section == "build":
            bad = sorted(set(body) - build_fields)
            if bad:
                raise ConfigError(f"{source}: unknown [build] key(s) {', '.join(bad)}; valid keys: "
                                  f"{', '.join(sorted(build_fields))}")
            out["build"].update(body)
            continue
        kind = SECTION_ALIASES.get(section)
        if kind is None:
            raise ConfigError(f"{source}: unknown section [{section}]; valid sections: build, "
                              f"{', '.join(sorted(SECTION_ALIASES))}")
        opts = dict(body)
        backend = opts.pop("backend", None)
        if backend is not None:
            name, spec_opts = parse_backend_spec(str(backend), kind)
            backend = name
            opts = {**spec_opts, **opts}
        out = merge_overrides(out, {kind: _section(kind, backend, opts)})
    return out


def read_config_file(path: Path) -> Dict[str, Any]:
    """Parse one TOML file into normalized overrides (ConfigError on a missing or invalid file)."""
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        try:
            import tomli as tomllib  # type: ignore[no-redef]
        except ModuleNotFoundError as exc:
            raise ConfigError("reading TOML config files on Python 3.10 needs tomli; `pip install tomli`") from exc
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"config file {path} does not exist; create it or drop --config")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read config file {path}: {exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from exc
    return overrides_from_toml(data, str(path))


def env_overrides(environ: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """Overrides from LECTURE_NOTES_LLM / _LLM_MODEL / _ASR / _VISION / _DEVICE."""
    env = os.environ if environ is None else environ
    return cli_overrides(llm=env.get("LECTURE_NOTES_LLM") or None, llm_model=env.get("LECTURE_NOTES_LLM_MODEL") or None,
                         asr=env.get("LECTURE_NOTES_ASR") or None, vision=env.get("LECTURE_NOTES_VISION") or None,
                         device=env.get("LECTURE_NOTES_DEVICE") or None)


def cli_overrides(*, llm: Optional[str] = None, llm_model: Optional[str] = None, asr: Optional[str] = None,
                  vision: Optional[str] = None, device: Optional[str] = None,
                  build: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Overrides from the build command's ``--llm``, ``--llm-model``, ``--asr``, ``--vision``, ``--device``
    (and ``build``: BuildConfig fields the user set explicitly on the command line)."""
    out: Dict[str, Any] = {"build": dict(build or {})}
    if llm:
        name, opts = parse_backend_spec(llm, "notes")
        out["notes"] = _section("notes", name, opts)
    if llm_model:
        out.setdefault("notes", _section("notes"))["options"]["model"] = llm_model
    if asr:
        name, opts = parse_backend_spec(asr, "asr")
        out["asr"] = _section("asr", name, opts)
    if vision:
        name, opts = parse_backend_spec(vision, "vision")
        out["vision"] = _section("vision", name, opts)
    if device:
        out["build"]["device"] = device
    return out


def load_config_overrides(path: Optional[Path], *, environ: Optional[Dict[str, str]] = None,
                          use_user_config: bool = True) -> Dict[str, Any]:
    """User config (if present) < ``path`` (``--config``; must exist) < environment, merged and normalized."""
    layers = []
    user = user_config_path()
    if use_user_config and user.is_file() and (path is None or Path(path).expanduser().resolve() != user.resolve()):
        layers.append(read_config_file(user))
    if path is not None:
        layers.append(read_config_file(Path(path)))
    layers.append(env_overrides(environ))
    return merge_overrides(*layers)


def _coerce(name: str, value: Any, default: Any) -> Any:
    if name == "formats":
        return tuple(value.split(",")) if isinstance(value, str) else tuple(value)
    if isinstance(default, Path) or name in ("out_dir", "transcript", "template_dir", "cache_dir"):
        return Path(str(value)).expanduser() if value not in (None, "") else None
    if isinstance(default, bool) and not isinstance(value, bool):
        raise ConfigError(f"[build] {name} must be true or false, not {value!r}")
    if isinstance(default, float) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(default, str) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


def _freeze(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def apply_overrides(config: BuildConfig, overrides: Dict[str, Any]) -> BuildConfig:
    """A copy of ``config`` with normalized overrides applied (call ``validated()`` afterwards).

    ``[build] device`` becomes the ``device`` option of every backend that takes a device and has none.
    Options a backend keeps in BuildConfig fields (its ``config_fields``, e.g. faster-whisper's model and
    language) move there.
    """
    from lecture_notes.backends import registry

    fields = {f.name for f in dataclasses.fields(BuildConfig)}
    changes: Dict[str, Any] = {}
    build = dict(overrides.get("build", {}))
    device = build.pop("device", None)
    if device is not None:
        changes["device"] = device
    for name, value in build.items():
        if name not in fields or name in _NOT_CONFIGURABLE:
            raise ConfigError(f"unknown build option {name!r}")
        changes[name] = _coerce(name, value, getattr(config, name))
    options = {k: dict(v) for k, v in config.backend_options}
    for kind in KINDS:
        sec = overrides.get(kind)
        current = changes.get(f"{kind}_backend", getattr(config, f"{kind}_backend"))
        if sec:
            opts = dict(sec.get("options", {}))
            backend = sec.get("backend")
            if backend and backend != current:
                options[kind] = {}
            if backend:
                current = changes[f"{kind}_backend"] = backend
            cls = registry.lookup(kind, current).cls if current else None
            for opt, field_name in (cls.config_fields.items() if cls is not None else ()):
                if opt in opts:
                    changes[field_name] = _coerce(field_name, opts.pop(opt), getattr(config, field_name))
            options.setdefault(kind, {}).update({k: _freeze(v) for k, v in opts.items()})
        cls = registry.lookup(kind, current).cls if (device is not None and current) else None
        if cls is not None and cls.takes_device:
            options.setdefault(kind, {}).setdefault("device", device)
    changes["backend_options"] = tuple((k, tuple(sorted(v.items()))) for k, v in options.items() if v)
    return dataclasses.replace(config, **changes)
