"""Click commands ``doctor`` and ``models``; ``register_commands(main)`` adds them to the CLI group."""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path
from typing import Dict, Optional, Tuple

import click

from lecture_notes.core.errors import LectureNotesError

DOCTOR_EXAMPLES = """\b
Examples:
  lecture-notes doctor
  lecture-notes doctor --config lecture-notes.toml
  lecture-notes doctor --llm transformers:/models/Qwen2.5-1.5B-Instruct --device cuda
  lecture-notes doctor --llm openai:http://127.0.0.1:8000/v1 --llm-model Qwen/Qwen2.5-7B-Instruct
"""


def backend_options(info) -> Tuple[Dict[str, str], str]:
    """(option -> help, module) of a registered backend, found without loading any model."""
    factory = info.factory
    opts = getattr(factory, "OPTIONS", None)
    module = getattr(factory, "__module__", "")
    try:
        src = inspect.getsource(factory)
    except (OSError, TypeError):
        src = ""
    m = re.search(r"from (?:\.|lecture_notes\.backends\.)(\w+) import (\w+)", src)
    if m:
        module = f"{info.factory.__module__.rsplit('.', 1)[0]}.{m.group(1)}"
    if opts is None and module:
        try:
            mod = importlib.import_module(module)
            opts = getattr(mod, "OPTIONS", None)
            if opts is None and m:
                sig = inspect.signature(getattr(mod, m.group(2)).__init__)
                opts = {p.name: (f"default {p.default!r}" if p.default is not p.empty else "required")
                        for p in sig.parameters.values()
                        if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
        except Exception as exc:  # not importable here: that is what "available" reports
            return {}, f"{module} ({exc.__class__.__name__}: {exc})"
    return dict(opts or {}), module


def backend_available(info) -> Tuple[bool, str]:
    """Whether the backend's code and its dependencies import here (models are not loaded)."""
    _, module = backend_options(info)
    if "(" in module:
        return False, module.split("(", 1)[1].rstrip(")")
    deps = {"transformers": ("transformers", "torch"), "faster-whisper": ("faster_whisper",),
            "rapidocr": ("rapidocr", "onnxruntime")}.get(info.name, ())
    for dep in deps:
        try:
            importlib.import_module(dep)
        except Exception as exc:
            return False, f"{dep} does not import: {exc}"
    return True, ""


def register_commands(group: click.Group) -> None:
    """Add ``doctor`` and ``models`` to the CLI group."""

    @group.command(epilog=DOCTOR_EXAMPLES)
    @click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                  help="TOML config file (default: $XDG_CONFIG_HOME/lecture-notes/config.toml when present).")
    @click.option("--llm", default=None, help="Note writer to check: transformers:PATH_OR_ID or openai:URL.")
    @click.option("--llm-model", default=None, help="Model name on the OpenAI-compatible server.")
    @click.option("--asr", default=None, help="Speech backend to check, e.g. transformers:PATH_OR_ID.")
    @click.option("--vision", default=None, help="Vision backend to check, e.g. transformers:PATH_OR_ID.")
    @click.option("--device", default=None, help="auto, cpu, cuda or mps.")
    @click.option("--no-load", is_flag=True, help="Only look at files; do not load the bundled models.")
    def doctor(config_path: Optional[Path], llm: Optional[str], llm_model: Optional[str], asr: Optional[str],
               vision: Optional[str], device: Optional[str], no_load: bool) -> None:
        """Check that decoders, bundled models and every configured model or endpoint work here.

        Prints one line per check with the fix for each problem; exits 1 when a configured component
        cannot work.
        """
        from lecture_notes.core import config_file
        from lecture_notes.runtime.doctor import exit_code, run_doctor

        try:
            overrides = config_file.merge_overrides(
                config_file.load_config_overrides(config_path),
                config_file.cli_overrides(llm=llm, llm_model=llm_model, asr=asr, vision=vision, device=device))
        except LectureNotesError as exc:
            raise click.ClickException(str(exc)) from None
        checks = run_doctor(overrides, load=not no_load)
        for c in checks:
            click.echo(c.line())
        failed = [c for c in checks if c.required and not c.ok]
        click.echo(f"{len(checks) - len(failed)} of {len(checks)} checks passed"
                   + (f"; {len(failed)} problem(s) to fix" if failed else ""))
        if exit_code(checks):
            raise SystemExit(1)

    @group.command()
    @click.option("--kind", type=click.Choice(["asr", "ocr", "embedder", "notes", "vision"]), default=None,
                  help="Only this kind of backend.")
    def models(kind: Optional[str]) -> None:
        """List the backends of each kind, their options and whether each is available here."""
        from lecture_notes.backends import available
        from lecture_notes.backends.registry import KINDS

        for k in ([kind] if kind else KINDS):
            click.echo(f"{k}:")
            infos = available(k)
            if not infos:
                click.echo("  (none registered)")
            for info in infos:
                ok, why = backend_available(info)
                opts, _ = backend_options(info)
                state = "available" if ok else f"NOT available ({why})"
                click.echo(f"  {info.name:<16} {state} - {info.description}")
                for name, text in opts.items():
                    click.echo(f"      {name}: {text}")
