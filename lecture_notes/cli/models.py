"""Click commands ``doctor`` and ``models``; ``register_commands(main)`` adds them to the CLI group."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import click

from lecture_notes.core.errors import LectureNotesError

DOCTOR_EXAMPLES = """\b
Examples:
  lecture-notes doctor
  lecture-notes doctor --config lecture-notes.toml
  lecture-notes doctor --llm transformers:/models/Qwen2.5-1.5B-Instruct --device cuda
  lecture-notes doctor --llm openai:http://127.0.0.1:8000/v1 --llm-model Qwen/Qwen2.5-7B-Instruct
"""


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
        from lecture_notes.backends.registry import KINDS, available

        for k in ([kind] if kind else KINDS):
            click.echo(f"{k}:")
            infos = available(k)
            if not infos:
                click.echo("  (none registered)")
            for info in infos:
                why = info.cls.missing_dependency() if info.cls is not None else ""
                state = f"NOT available ({why})" if why else "available"
                click.echo(f"  {info.name:<16} {state} - {info.description}")
                for name, text in info.options.items():
                    click.echo(f"      {name}: {text}")
