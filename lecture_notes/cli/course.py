"""Click commands ``batch`` (build a course folder) and ``export`` (LMS formats), registered on the main group."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import click

from lecture_notes.core.errors import LectureNotesError

BATCH_EXAMPLES = """
\b
Examples:
  lecture-notes batch course/ -o course_notes/
  lecture-notes batch course/ -o course_notes/ -j 2 --format md,html
  lecture-notes batch course/ -o course_notes/ --force   # rebuild everything
  lecture-notes batch /shared/course -o /shared/notes --engine ray --address auto   # a Ray cluster
"""

EXPORT_EXAMPLES = """
\b
Examples:
  lecture-notes export course_notes/ --to imscc          # Moodle, Canvas, Blackboard, ...
  lecture-notes export course_notes/ --to canvas-qti -o quizzes.zip
  lecture-notes export course_notes/ --to moodle-xml
  lecture-notes export course_notes/ --to anki --link-base https://example.org/notes/
"""


class _CourseBars:
    """One tqdm bar for the course, with the running lecture's stage as its postfix."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None

    def __call__(self, ev) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if ev.kind == "plan":
            self.bar = tqdm(total=ev.total, desc="lectures", unit="lecture", file=sys.stderr, dynamic_ncols=True)
        elif self.bar is None:
            return
        elif ev.kind == "stage":
            pct = int(100 * ev.done / ev.stage_total) if ev.stage_total else 100
            self.bar.set_postfix_str(f"{ev.lecture}: {ev.stage} {pct}%", refresh=True)
        elif ev.kind == "done":
            self.bar.update(1)
            if ev.result is not None and ev.result.status == "failed":
                self.bar.write(f"FAILED {ev.result.rel}: {ev.result.error}", file=sys.stderr)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _summary(report) -> str:
    rows = [(r.status, r.rel, f"{r.elapsed:.1f}s" if r.status == "built" else "", r.error) for r in report.lectures]
    w0 = max(len("status"), *(len(r[0]) for r in rows))
    w1 = min(60, max(len("lecture"), *(len(r[1]) for r in rows)))
    lines = [f"{'status':<{w0}}  {'lecture':<{w1}}  {'time':>7}  error"]
    lines += [f"{s:<{w0}}  {rel:<{w1}}  {t:>7}  {err}".rstrip() for s, rel, t, err in rows]
    lines.append(f"{report.count('built')} built, {report.count('skipped')} up to date, "
                 f"{report.count('failed')} failed in {report.elapsed:.1f}s; index: {report.out_dir / 'index.html'}")
    return "\n".join(lines)


def _engine(name: str, address: Optional[str], cpus: Optional[float], gpus: Optional[float], config,
            verbose: int):
    """The batch engine the options ask for (None = local); Ray-only options without --engine ray are an error."""
    from lecture_notes.core.errors import ConfigError

    if name != "ray":
        given = [flag for flag, v in (("--address", address), ("--num-cpus-per-lecture", cpus),
                                      ("--num-gpus-per-lecture", gpus)) if v is not None]
        if given:
            raise ConfigError(f"{', '.join(given)} only apply to --engine ray; add --engine ray or drop them")
        return None
    from lecture_notes.course.ray_engine import RayEngine

    if gpus is None:
        gpus = 1.0 if str(config.device).startswith("cuda") else 0.0
    return RayEngine(address, num_cpus_per_lecture=cpus, num_gpus_per_lecture=gpus, log_to_driver=verbose > 0)


def register_commands(group: click.Group) -> None:
    """Add ``batch`` and ``export`` to ``group`` (``lecture_notes.cli`` wires this into ``main``)."""
    from lecture_notes.cli.build import INTERRUPTED, build_options, make_config, progress_enabled, setup_logging
    from lecture_notes.course.export import exporters

    @group.command(epilog=BATCH_EXAMPLES)
    @click.argument("course_dir", type=click.Path(path_type=Path))
    @click.option("-o", "--output", "out_dir", type=click.Path(path_type=Path), default=None,
                  help="Output folder (default: COURSE_DIR_notes beside the course folder).")
    @click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
                  help="Lectures built in parallel (default: what fits the cores and memory; each worker needs "
                       "~1.5 GB and 2 cores. On 2 cores, 1 worker with 2 ASR threads is fastest).")
    @click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                  help="local: worker processes on this machine; ray: a Ray cluster (pip install "
                       "'lecture-notes[ray]'; see docs/scale.md). With ray, -j is the number of Ray workers.")
    @click.option("--address", default=None, metavar="ADDR",
                  help="Ray only: cluster to join ('auto' = the one `ray start` runs here, or host:port); "
                       "default: start a local Ray instance.")
    @click.option("--num-cpus-per-lecture", type=click.FloatRange(min=0.1), default=None,
                  help="Ray only: CPUs each lecture reserves (and ASR threads); default 2, or what -j leaves.")
    @click.option("--num-gpus-per-lecture", type=click.FloatRange(min=0), default=None,
                  help="Ray only: GPUs each lecture reserves (default 1 with --device cuda, else 0).")
    @build_options
    def batch(course_dir: Path, out_dir: Optional[Path], jobs: Optional[int], engine: str, address: Optional[str],
              num_cpus_per_lecture: Optional[float], num_gpus_per_lecture: Optional[float], formats: str,
              window: float, asr_model: str, language: Optional[str], template_dir: Optional[Path], no_cache: bool,
              force: bool, quiet: bool, verbose: int, **model_opts) -> None:
        """Build notes for every lecture video/audio file in a course folder, plus a course index.

        Re-running skips lectures whose input and options are unchanged, and resumes after an
        interrupted run. Exit code 1 if any lecture failed.
        """
        setup_logging(verbose, quiet)
        from lecture_notes.course.batch import run_batch

        out = out_dir if out_dir is not None else course_dir.with_name(course_dir.name + "_notes")
        bars = _CourseBars(progress_enabled(quiet))
        try:
            config = make_config(course_dir, None, formats, window, asr_model, language, template_dir, no_cache,
                                 force, **model_opts)
            runner = _engine(engine, address, num_cpus_per_lecture, num_gpus_per_lecture, config, verbose)
            report = run_batch(course_dir, out, config, jobs=jobs, progress=bars, engine=runner)
        except LectureNotesError as exc:
            bars.close()
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            bars.close()
            click.echo("Error: interrupted; finished lectures are kept, run the same command to resume", err=True)
            sys.exit(INTERRUPTED)
        bars.close()
        if not quiet or not report.ok:
            click.echo(_summary(report), err=not report.ok and quiet)
        if not report.ok:
            sys.exit(1)

    @group.command(epilog=EXPORT_EXAMPLES)
    @click.argument("src", metavar="OUT_DIR", type=click.Path(path_type=Path))
    @click.option("--to", "fmt", required=True, type=click.Choice(list(exporters())),
                  help="imscc: Common Cartridge 1.1 course (Moodle, Canvas, ...); canvas-qti: Canvas quiz zip; "
                       "moodle-xml: Moodle question bank; anki: .apkg deck; plugins add their own.")
    @click.option("-o", "--output", "dest", type=click.Path(path_type=Path), default=None,
                  help="File to write (default: inside OUT_DIR, named after the course).")
    @click.option("--force", is_flag=True, help="Overwrite the file if it exists.")
    @click.option("--link-base", default="", help="Anki only: URL prefix for the links back to the notes pages.")
    @click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
    @click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
    def export(src: Path, fmt: str, dest: Optional[Path], force: bool, link_base: str, quiet: bool,
               verbose: int) -> None:
        """Export a batch (or single lecture) output folder for an LMS or Anki. See docs/lms-export.md."""
        setup_logging(verbose, quiet)
        from lecture_notes.course.export import export_course

        try:
            path = export_course(src, fmt, dest, force=force, link_base=link_base)
        except LectureNotesError as exc:
            raise click.ClickException(str(exc)) from None
        if not quiet:
            click.echo(f"Wrote {path}")
