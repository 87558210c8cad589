"""Runs the stages in order, frees each model before the next, caches each stage's result, reports progress.

media -> slides (+OCR) -> transcript -> sentences/chunks/chapters -> chunk notes -> merge -> render.
"""
from __future__ import annotations

import datetime as _dt
import logging
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from lecture_notes.core.version import __version__
from lecture_notes.backends import registry
from lecture_notes.runtime.background import BuildCancelled, cancellable, run_beside  # noqa: F401
from lecture_notes.runtime.cache import StageCache, cached_sha256
from lecture_notes.core.config import BuildConfig
from lecture_notes.core.errors import InputError, TranscriptError
from lecture_notes.core.fsutil import sha256_file
from lecture_notes.runtime.memory import return_large_buffers
from lecture_notes.runtime.output import StagingDir, check_target, clean_stale
from lecture_notes.core.types import LectureNotes, MediaInfo, Slide, SourceInfo, Transcript

log = logging.getLogger(__name__)

Progress = Callable[[str, float, float], None]
STAGES = ("slides", "transcript", "notes", "render")


@dataclass
class BuildResult:
    """What a build produced: the final folder, the notes, the files written, and per-stage facts."""

    out_dir: Path
    notes: LectureNotes
    files: List[Path]
    cache_hits: Dict[str, bool] = field(default_factory=dict)
    timings: Dict[str, float] = field(default_factory=dict)


def _noop(stage: str, done: float, total: float) -> None:
    pass


def _cache_for(config: BuildConfig) -> StageCache:
    root = Path(config.cache_dir)
    try:
        root.mkdir(parents=True, exist_ok=True)
        probe = root / f".write-test-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        fallback = Path(tempfile.gettempdir()) / "lecture-notes-cache"
        log.warning("cache folder %s is not writable (%s); using %s", root, exc, fallback)
        root = fallback
    return StageCache(root, enabled=config.use_cache)


def _title(config: BuildConfig, info: MediaInfo, slides: Sequence[Slide]) -> str:
    """--title, else the file's title tag, else a title slide (a first slide with little else on it),
    else the file name."""
    if config.title:
        return config.title
    if info.title:
        return info.title
    if slides and slides[0].title and slides[0].start < 30 and 2 <= len(slides[0].title) <= 120:
        body = slides[0].text.replace(slides[0].title, "", 1).split()
        if len(body) <= 12:
            return slides[0].title
    from lecture_notes.runtime.inputs import lecture_stem

    stem = re.sub(r"[_\-.]+", " ", lecture_stem(config.input)).strip()
    return stem[:1].upper() + stem[1:] if stem else "Lecture"


def _slides_stage(config: BuildConfig, info: MediaInfo, sha: str, cache: StageCache,
                  progress: Progress) -> Tuple[Tuple[Slide, ...], Optional[Path], bool]:
    """Detect slide changes, OCR keyframes. Returns (slides, folder holding slides/*.jpg, cache hit)."""
    if not info.has_video:
        return (), None, False
    from lecture_notes.stages import media
    from lecture_notes.stages import ocr
    from lecture_notes.stages import slides as slides_mod

    ocr_info, ocr_opts = registry.configured(config, "ocr")
    vision_info, vision_opts = registry.configured(config, "vision") if config.vision_backend else (None, {})
    key = slides_mod.cache_key(sha, frame_rate=config.frame_rate, frame_max_side=config.frame_max_side,
                               ocr=ocr_info, ocr_options=ocr_opts, vision=vision_info, vision_options=vision_opts)
    hit, value = cache.get("slides", key)
    if hit:
        progress("slides", 1, 1)
        return value, cache.entry_dir("slides", key), True

    total = max(info.duration, 1e-6)

    def frames():
        for fr in media.iter_frames(info.path, fps=config.frame_rate, max_side=config.frame_max_side):
            progress("slides", min(fr.t, total), total)
            yield fr

    spans = slides_mod.detect_slides(frames(), duration=info.duration)
    work = cache.stage_dir("slides", key)
    kept = False
    try:
        engine = registry.create("ocr", config.ocr_backend, **ocr_opts)
        try:
            slides = tuple(ocr.read_slides(spans, engine, work, progress=lambda d, t: progress("ocr", d, t),
                                           full_res=lambda t: media.frame_at(info.path, t)))
        finally:
            engine.close()
        if vision_info is not None and slides:
            from lecture_notes.stages.vision import describe_slides

            with registry.create("vision", config.vision_backend, **vision_opts) as describer:
                slides = describe_slides(slides, describer, work)

        def move_images(folder: Path) -> None:
            src = work / "slides"
            if src.is_dir():
                os.replace(src, folder / "slides")

        def take_back(folder: Path) -> None:
            if (folder / "slides").is_dir() and not (work / "slides").exists():
                os.replace(folder / "slides", work / "slides")

        entry = cache.put("slides", key, slides, write_files=move_images, undo_files=take_back)
        if entry is None:  # cache not writable: the images stay in the work folder until rendering is done
            entry, kept = cache.keep(work), True
    finally:
        if not kept:
            shutil.rmtree(work, ignore_errors=True)
    progress("slides", total, total)
    return slides, entry, False


def _transcript_stage(config: BuildConfig, info: MediaInfo, sha: str, transcript_path: Optional[Path],
                      slides: Sequence[Slide], cache: StageCache, progress: Progress) -> Tuple[Transcript, bool]:
    from lecture_notes.stages import transcribe

    if transcript_path is not None:
        from lecture_notes.stages.subtitles import load_transcript

        try:
            transcript = load_transcript(transcript_path)
        except TranscriptError as exc:
            if config.transcript is None and transcript_path != Path(config.input):  # found beside the input
                raise TranscriptError(f"{exc} (this subtitle file was picked up automatically because it sits "
                                      f"beside {Path(config.input).name}; fix it, name another with --transcript "
                                      f"FILE, or pass --no-sidecar to transcribe the audio instead)") from None
            raise
        progress("transcript", 1, 1)
        return transcript, False
    prompt = transcribe.slide_prompt(slides) if (config.slide_prompt and slides) else None
    asr_info, asr_opts = registry.configured(config, "asr")
    key = transcribe.cache_key(sha, asr=asr_info, asr_options=asr_opts, language=config.language, prompt=prompt)
    hit, value = cache.get("transcript", key)
    if hit:
        progress("transcript", 1, 1)
        return value, True
    from lecture_notes.stages.audio import iter_audio_blocks

    total = max(info.duration, 1e-6)
    backend = registry.create("asr", config.asr_backend, **asr_opts)
    try:
        # Decoded and transcribed block by block: memory stays flat however long the lecture is.
        blocks = iter_audio_blocks(info.path, float(backend.block_seconds or 600.0))
        transcript = transcribe.transcribe_blocks(
            blocks, backend, language=config.language, initial_prompt=prompt,
            progress=lambda done: progress("transcript", min(done, total), total))
    finally:
        backend.close()
    progress("transcript", total, total)
    cache.put("transcript", key, transcript)
    return transcript, False


def _timed(timings: Dict[str, float], name: str, fn: Callable, *args: Any) -> Any:
    t0 = time.perf_counter()
    try:
        return fn(*args)
    finally:
        timings[name] = time.perf_counter() - t0


def _slides_and_transcript(config: BuildConfig, info: MediaInfo, sha: str, transcript_path: Optional[Path],
                           cache: StageCache, progress: Progress, timings: Dict[str, float],
                           hits: Dict[str, bool], cancel: Optional[Any] = None
                           ) -> Tuple[Tuple[Slide, ...], Optional[Path], Transcript]:
    """Slides then transcript; concurrently when the transcript does not need the slides (no slide prompt).

    Whisper on 2 cores leaves about a third of the CPU idle (its decoder is sequential), which is enough to
    decode keyframes and OCR the slides in the meantime; both libraries release the GIL.
    """
    needs_slides = config.slide_prompt and transcript_path is None
    if needs_slides or not info.has_video:
        slides, image_root, hits["slides"] = _timed(timings, "slides", _slides_stage, config, info, sha, cache,
                                                    progress)
        transcript, hits["transcript"] = _timed(timings, "transcript", _transcript_stage, config, info, sha,
                                                transcript_path, slides, cache, progress)
        return slides, image_root, transcript
    t0 = time.perf_counter()
    (transcript, hits["transcript"]), (slides, image_root, hits["slides"]) = run_beside(
        lambda report: _timed(timings, "slides", _slides_stage, config, info, sha, cache, report),
        lambda: _timed(timings, "transcript", _transcript_stage, config, info, sha, transcript_path, (), cache,
                       progress),
        progress, cancel, name="slides")
    timings["slides+transcript"] = time.perf_counter() - t0
    return slides, image_root, transcript


def _notes_stage(config: BuildConfig, info: MediaInfo, sha: str, transcript: Transcript,
                 slides: Sequence[Slide], title: str, cache: StageCache, progress: Progress,
                 keep: Optional[Dict[str, Any]] = None) -> Tuple[LectureNotes, bool]:
    """The notes (cached). ``keep``: when given, the embedder is left open in ``keep["embedder"]`` for the search
    stage (its cache already holds every sentence's vector) instead of being closed."""
    from lecture_notes.stages import chunking
    from lecture_notes.stages import merge
    from lecture_notes.stages import notes as notes_mod

    emb_info, emb_opts = registry.configured(config, "embedder")
    writer_info, notes_opts = registry.configured(config, "notes")
    # Generative writers fall back to the embedded method per chunk, never crash.
    generative = writer_info.cls is not None and writer_info.cls.generative
    fallback_info = registry.lookup("notes", "extractive") if generative else None
    key = notes_mod.cache_key(sha, transcript=transcript, slides=slides, window=config.window, title=title,
                              embedder=emb_info, embedder_options=emb_opts, writer=writer_info,
                              writer_options=notes_opts, fallback=fallback_info)
    hit, value = cache.get("notes", key)
    if hit:
        progress("notes", 1, 1)
        return value, True
    if not transcript.segments or not transcript.text.strip():
        raise InputError(f"no speech was found in {info.path.name}; check that the audio track has speech "
                         f"or give a transcript with --transcript FILE")
    embedder = registry.create("embedder", config.embedder_backend, **emb_opts)
    try:
        sentences = chunking.split_sentences(transcript)
        duration = max(info.duration, sentences[-1].end if sentences else 0.0)
        chunks = chunking.make_chunks(sentences, slides, config.window)
        spans = chunking.find_chapters(sentences, slides, embedder, duration=duration)
        fallback = None
        if fallback_info is not None:
            fallback = registry.create("notes", fallback_info.name, embedder=embedder)
            notes_opts.setdefault("fallback", fallback)
        writer = registry.create("notes", config.notes_backend, embedder=embedder, **notes_opts)
        try:
            chunk_notes = notes_mod.write_notes(
                chunks, writer, progress=lambda done, total: progress("notes", done, total))
            source = SourceInfo(path=str(info.path.name), duration=round(duration, 3), sha256=sha)
            notes = merge.merge_notes(chunk_notes, spans, sentences, slides, embedder, title=title,
                                      source=source, transcript=transcript, created="")
            from lecture_notes.stages.chapter_notes import fill_sparse_chapters

            notes = fill_sparse_chapters(notes, sentences, writer)
            reduced = writer.reduce(chunk_notes, spans, title=title)
            if reduced:
                notes = _apply_reduce(notes, reduced)
            stats = writer.stats()
        finally:
            writer.close()
            if fallback is not None:
                fallback.close()
        from lecture_notes.text.confidence import annotate

        notes, n_unsure = annotate(notes)  # confidence on every key point/question; garbled ones dropped
        if n_unsure:
            stats = dict(stats, low_confidence_dropped=n_unsure)
        if stats:
            notes = replace(notes, stats=tuple(sorted(stats.items())))
    finally:
        if keep is not None:
            keep["embedder"] = embedder
        else:
            embedder.close()
    cache.put("notes", key, notes)
    return notes, False


def _apply_reduce(notes: LectureNotes, reduced: Dict[str, Any]) -> LectureNotes:
    """Use a generative writer's lecture summary, chapter titles/summaries and glossary where it gave them."""
    from lecture_notes.core.types import GlossaryEntry

    chapters = list(notes.chapters)
    titles = list(reduced.get("chapter_titles") or [])
    summaries = list(reduced.get("chapter_summaries") or [])
    for i, ch in enumerate(chapters):
        title = titles[i].strip() if i < len(titles) and titles[i] else ""
        summary = summaries[i].strip() if i < len(summaries) and summaries[i] else ""
        has_slide_title = any(s.title and s.title == ch.title for s in ch.slides)
        chapters[i] = replace(ch, title=ch.title if (has_slide_title or not title) else title,
                              summary=summary or ch.summary)
    glossary = notes.glossary
    if reduced.get("glossary"):
        entries = {g.term.lower(): g for g in notes.glossary}
        for term, definition, start in reduced["glossary"]:
            if term and definition and term.lower() not in entries:
                entries[term.lower()] = GlossaryEntry(term=term, definition=definition, start=float(start),
                                                      end=float(start))
        glossary = tuple(sorted(entries.values(), key=lambda g: g.term.lower()))
    return replace(notes, summary=(reduced.get("summary") or "").strip() or notes.summary,
                   chapters=tuple(chapters), glossary=glossary)


def build_notes(config: BuildConfig, progress: Optional[Progress] = None, cancel: Optional[Any] = None
                ) -> BuildResult:
    """Build study notes for ``config.input`` into ``config.output_dir`` (atomically).

    ``cancel``: a ``threading.Event``; once set, the build stops at its next progress report with
    `BuildCancelled` and writes nothing.
    """
    from lecture_notes.runtime.inputs import resolve_input
    from lecture_notes.stages import render

    progress = cancellable(progress or _noop, cancel)

    config = config.validated()
    return_large_buffers()  # big transient buffers go back to the system: peak RSS does not creep up
    source = resolve_input(config)  # media (probed, sidecar found) or a transcript alone
    info, transcript_path = source.info, source.transcript
    out_dir = config.output_dir
    check_target(out_dir, config.force)
    clean_stale(out_dir.parent, max_age_s=6 * 3600)
    staging = StagingDir(out_dir)
    timings: Dict[str, float] = {}
    hits: Dict[str, bool] = {}
    cache: Optional[StageCache] = None
    kept: Dict[str, Any] = {}  # the notes stage's embedder, handed on to the search stage
    try:
        cache = _cache_for(config)
        t0 = time.perf_counter()
        sha = cached_sha256(info.path, cache.root, sha256_file)
        timings["hash"] = time.perf_counter() - t0

        slides, image_root, transcript = _slides_and_transcript(config, info, sha, transcript_path, cache,
                                                                progress, timings, hits, cancel)

        t0 = time.perf_counter()
        from lecture_notes.stages import vocab

        transcript, n_fixed = vocab.correct_transcript(transcript, slides)  # cheap: no model, never cached
        timings["vocab"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        title = _title(config, info, slides)
        notes, hits["notes"] = _notes_stage(config, info, sha, transcript, slides, title, cache, progress, kept)
        # Facts about the source come from this run: a cached result may have been made from a copy of
        # the same recording under another name.
        notes = replace(notes, source=replace(notes.source, path=str(info.path.name), sha256=sha))
        created = _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat()
        notes = replace(notes, created=created)
        timings["notes"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        files = render.render_outputs(notes, staging.path, formats=config.formats,
                                      template_dir=config.template_dir,
                                      media_href=source.media_href, image_root=image_root)
        progress("render", 1, 1)
        timings["render"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        from lecture_notes.search.stage import write_search_index

        search_files, search_hit = write_search_index(
            notes, staging.path, cache, embedder=config.embedder_backend,
            embedder_options=registry.configured(config, "embedder")[1], model=kept.pop("embedder", None))
        if search_files:  # no notes.json (e.g. --format md): no index, so no cache hit to report
            hits["search"] = search_hit
        files += search_files
        timings["search"] = time.perf_counter() - t0
        manifest = {"tool": "lecture-notes", "version": __version__, "input": str(info.path.resolve()),
                    "sha256": sha, "options": config.to_dict(), "created": created,
                    "files": sorted(Path(f).relative_to(staging.path).as_posix() for f in files),
                    "timings": timings, "cache_hits": hits}
        final = staging.commit(manifest, protect=[p for p in (info.path, transcript_path) if p is not None])
    except BaseException:
        staging.discard()
        raise
    finally:
        if "embedder" in kept:
            kept.pop("embedder").close()
        if cache is not None:
            cache.cleanup()
    files = [final / Path(f).relative_to(staging.path) for f in files]
    log.info("wrote %d files to %s", len(files), final)
    return BuildResult(out_dir=final, notes=notes, files=files, cache_hits=hits, timings=timings)
