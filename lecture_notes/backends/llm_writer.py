"""The generative note-writer loop shared by the transformers and OpenAI-compatible backends.

Per chunk: prompt -> JSON -> schema check -> grounding; one repair retry with the validation error;
then the extractive fallback for that chunk. Nothing is dropped silently: every repair, fallback,
re-anchored or rejected item, split and truncation is logged and counted in ``stats()``.
"""
from __future__ import annotations

import logging
import threading
from abc import abstractmethod
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from lecture_notes.core.types import ChapterSpan, Chunk, ChunkNotes, QAPair, Sentence, TimedText
from lecture_notes.backends.base import NoteWriter, option
from lecture_notes.backends.llm_common import (CHAPTER_SCHEMA, CHUNK_SCHEMA, SUMMARY_SCHEMA, Grounder, PromptLibrary, SchemaError,
                         parse_reply)

log = logging.getLogger(__name__)

Messages = List[Dict[str, str]]


@dataclass(frozen=True)
class LLMWriterOptions:
    """Options every LLM note writer takes (the prompt, the limits per chunk, the reply budget)."""

    max_new_tokens: int = option(768, "tokens generated per chunk (default 768)")
    context_length: Optional[int] = option(None, "override the context window in tokens (default: the model's)")
    prompt_dir: Optional[str] = option(None, "folder with Jinja2 prompt templates overriding lecture_notes/prompts")
    title: str = option("", "lecture title given to the model")
    language: Optional[str] = option(None, "language to write the notes in (default: the transcript's)")
    max_summary: int = option(3, "summary sentences per chunk")
    max_key_points: int = option(5, "key points per chunk")
    max_qa: int = option(3, "question/answer pairs per chunk")


STAT_KEYS = ("llm_chunks", "llm_repairs", "llm_fallbacks", "llm_errors", "llm_reanchored", "llm_rejected",
             "llm_splits", "llm_truncations", "llm_reduce_calls", "llm_reduce_fallbacks")


class LLMNoteWriter(NoteWriter):
    """Base of the LLM note writers. Subclasses implement ``_generate`` and may override ``count_tokens``."""

    generative = True
    name = "llm"
    Options = LLMWriterOptions
    cache_modules = ("lecture_notes.backends.llm_common", "lecture_notes.prompts")

    def __init__(self, *, fallback: Optional[NoteWriter] = None, embedder: Any = None, max_new_tokens: int = 768,
                 context_length: Optional[int] = None, prompt_dir: Any = None, title: str = "",
                 language: Optional[str] = None, max_summary: int = 3, max_key_points: int = 5, max_qa: int = 3,
                 max_consecutive_errors: int = 3) -> None:
        self.fallback = fallback
        self.embedder = embedder
        self.grounder = Grounder(embedder)
        self.max_new_tokens = int(max_new_tokens)
        self._context_length = int(context_length) if context_length else None
        self.prompts = PromptLibrary(prompt_dir)
        self.title = title
        self.language = language
        self.limits = {"max_summary": max_summary, "max_key_points": max_key_points, "max_qa": max_qa}
        self.max_consecutive_errors = max_consecutive_errors
        self._stats = {k: 0 for k in STAT_KEYS}
        self._lock = threading.Lock()
        self._consecutive_errors = 0
        self._disabled_reason = ""

    # --- to implement --------------------------------------------------------------------------------------
    @abstractmethod
    def _generate(self, conversations: Sequence[Messages], *, max_new_tokens: int,
                  json_mode: bool = True) -> List[Any]:
        """One reply per conversation: the text, or the Exception that prevented it."""

    def count_tokens(self, text: str) -> int:
        """Tokens in ``text`` (subclasses with a tokenizer count exactly; the default is ~4 chars a token)."""
        return max(1, len(text) // 4)

    def count_message_tokens(self, messages: Messages) -> int:
        """Tokens of a whole conversation including a small per-message overhead."""
        return sum(self.count_tokens(m["content"]) + 8 for m in messages)

    @property
    def context_length(self) -> int:
        return self._context_length or 8192

    # --- public API ------------------------------------------------------------------------------------------
    def stats(self) -> Dict[str, int]:
        """Counters for notes.json "stats": chunks written, repairs, fallbacks, grounding fixes, ..."""
        with self._lock:
            out = dict(self._stats)
        out["llm_reanchored"] = self.grounder.counts["reanchored"]
        out["llm_rejected"] = self.grounder.counts["rejected"]
        return out

    def write(self, chunk: Chunk, *, context: str = "") -> ChunkNotes:
        """Notes for one chunk (see ``write_many``)."""
        return self.write_many([chunk], contexts=[context])[0]

    def write_many(self, chunks: Sequence[Chunk], *, contexts: Optional[Sequence[str]] = None,
                   progress: Optional[Callable[[int, int], None]] = None) -> List[ChunkNotes]:
        """Notes for many chunks, generated in batches; never raises for a bad reply (falls back per chunk)."""
        contexts = list(contexts) if contexts is not None else [""] * len(chunks)
        # Map step: chunks whose prompt does not fit the context are split into sentence groups that do.
        jobs: List[Tuple[int, Chunk, Messages]] = []
        for i, chunk in enumerate(chunks):
            if not chunk.sentences:
                continue
            for part in self._fit_chunk(chunk, contexts[i]):
                jobs.append((i, part, self._chunk_messages(part, contexts[i])))
        results = self._run_json([m for _, _, m in jobs],
                                 [self._chunk_parser(part) for _, part, _ in jobs])
        parts: Dict[int, List[ChunkNotes]] = {i: [] for i in range(len(chunks))}
        failed: set = set()
        for (i, part, _), res in zip(jobs, results):
            if res is None:
                failed.add(i)
            else:
                parts[i].append(res)
        out: List[ChunkNotes] = []
        for i, chunk in enumerate(chunks):
            if not chunk.sentences:
                out.append(ChunkNotes(chunk.start, chunk.end, (), (), (), backend=self.name))
            elif i in failed:
                out.append(self._fallback(chunk, contexts[i]))
            else:
                self._bump("llm_chunks")
                out.append(_concat(chunk, parts[i], self.name))
        if progress is not None:
            progress(len(chunks), len(chunks))
        return out

    def reduce(self, chunk_notes: Sequence[ChunkNotes], chapters: Sequence[ChapterSpan], *,
               title: str = "") -> Dict[str, Any]:
        """Chapter titles/summaries, a glossary and a lecture summary, reduced hierarchically to fit the context.

        Returns {"summary": str, "chapter_summaries": [str], "chapter_titles": [str],
        "glossary": [(term, definition, start)]}; chapters the model fails on keep extractive text.
        """
        title = title or self.title
        sys_msg = {"role": "system", "content": self.prompts.render("reduce_system.j2")}
        materials = []
        for ch in chapters:
            lines = []
            for cn in chunk_notes:
                if cn.end <= ch.start or cn.start >= ch.end:
                    continue
                lines += [f"[{t.start:.1f}-{t.end:.1f}] {t.text}" for t in cn.summary]
                lines += [f"- [{t.start:.1f}-{t.end:.1f}] {t.text}" for t in cn.key_points]
            overhead = self.count_message_tokens([sys_msg, {"role": "user", "content": self.prompts.render(
                "reduce_chapter.j2", title=title, chapter=ch, material="", max_terms=6)}])
            materials.append(self._fit_material(lines, overhead, sys_msg))
        convs = [[sys_msg, {"role": "user", "content": self.prompts.render(
            "reduce_chapter.j2", title=title, chapter=ch, material=mat, max_terms=6)}]
            for ch, mat in zip(chapters, materials)]
        self._bump("llm_reduce_calls", len(convs))
        replies = self._run_json(convs, [lambda t: parse_reply(t, CHAPTER_SCHEMA)] * len(convs))
        titles, summaries, glossary = [], [], []
        for ch, mat, rep in zip(chapters, materials, replies):
            if rep is None:
                self._bump("llm_reduce_fallbacks")
                log.warning("LLM reduce failed for chapter %.0f-%.0f s; keeping the extractive chapter text",
                            ch.start, ch.end)
                titles.append(ch.title)
                summaries.append(_first_sentences(chunk_notes, ch))
                continue
            titles.append(" ".join(rep["title"].split())[:120])
            summaries.append(" ".join(rep["summary"].split()))
            for g in rep.get("glossary", []):
                start = g.get("start", ch.start)
                if not (ch.start - 1.0 <= start <= ch.end + 1.0):
                    self.grounder._count("reanchored", None)
                    start = ch.start
                glossary.append((g["term"].strip(), g["definition"].strip(), float(start)))
        lines = [f"{i + 1}. {t}: {s}" for i, (t, s) in enumerate(zip(titles, summaries))]
        sys_overhead = self.count_message_tokens([sys_msg, {"role": "user", "content": self.prompts.render(
            "reduce_lecture.j2", title=title, material="")}])
        material = self._fit_material(lines, sys_overhead, sys_msg)
        self._bump("llm_reduce_calls")
        rep = self._run_json([[sys_msg, {"role": "user", "content": self.prompts.render(
            "reduce_lecture.j2", title=title, material=material)}]], [lambda t: parse_reply(t, SUMMARY_SCHEMA)])[0]
        if rep is None:
            self._bump("llm_reduce_fallbacks")
            log.warning("LLM lecture summary failed; using the chapter summaries")
            summary = " ".join(s.split(". ")[0].rstrip(".") + "." for s in summaries if s)
        else:
            summary = " ".join(rep["summary"].split())
        return {"summary": summary, "chapter_summaries": summaries, "chapter_titles": titles, "glossary": glossary}

    # --- internals -------------------------------------------------------------------------------------------
    def _bump(self, key: str, n: int = 1) -> None:
        with self._lock:
            self._stats[key] += n

    def _budget(self) -> int:
        return self.context_length - self.max_new_tokens - 32

    def _chunk_messages(self, chunk: Chunk, context: str) -> Messages:
        system = self.prompts.render("chunk_system.j2", language=self.language, **self.limits)
        user = self.prompts.render("chunk_user.j2", chunk=chunk, context=context, title=self.title)
        return [{"role": "system", "content": system}, {"role": "user", "content": user}]

    def _fit_chunk(self, chunk: Chunk, context: str) -> List[Chunk]:
        n = self.count_message_tokens(self._chunk_messages(chunk, context))
        if n <= self._budget() or len(chunk.sentences) <= 1:
            if n > self._budget():
                self._bump("llm_truncations")
                log.warning("chunk %d (%.0f-%.0f s) has a single sentence of %d tokens, more than the context "
                            "allows (%d); truncating that sentence", chunk.index, chunk.start, chunk.end, n,
                            self._budget())
                s = chunk.sentences[0]
                keep = max(1, int(len(s.text) * max(0.0, self._budget()) / n * 0.8))
                chunk = Chunk(chunk.index, chunk.start, chunk.end, (Sentence(s.start, s.end, s.text[:keep]),),
                              chunk.slides)
            return [chunk]
        self._bump("llm_splits")
        log.info("chunk %d (%d prompt tokens) exceeds the context budget %d; splitting it", chunk.index, n,
                 self._budget())
        half = len(chunk.sentences) // 2
        out = []
        for sents in (chunk.sentences[:half], chunk.sentences[half:]):
            sub = Chunk(chunk.index, sents[0].start, sents[-1].end, sents,
                        tuple(s for s in chunk.slides if s.end > sents[0].start and s.start < sents[-1].end))
            out += self._fit_chunk(sub, context)
        return out

    def _fit_material(self, lines: List[str], overhead: int, sys_msg: Dict[str, str], depth: int = 0) -> str:
        """Join ``lines``; when too long, condense groups of them with the model (hierarchical reduce)."""
        budget = self._budget() - overhead
        text = "\n".join(lines)
        if self.count_tokens(text) <= budget:
            return text
        if depth >= 3 or len(lines) <= 1:
            self._bump("llm_truncations")
            log.warning("reduce input of %d tokens still exceeds the budget %d after %d condense rounds; "
                        "truncating it", self.count_tokens(text), budget, depth)
            keep, used = [], 0
            for line in lines:
                used += self.count_tokens(line) + 1
                if used > budget:
                    break
                keep.append(line)
            return "\n".join(keep)
        groups: List[List[str]] = [[]]
        condense_overhead = self.count_message_tokens([sys_msg, {"role": "user", "content": self.prompts.render(
            "reduce_condense.j2", material="", max_sentences=4)}])
        group_budget = max(64, self._budget() - condense_overhead)
        used = 0
        for line in lines:
            n = self.count_tokens(line) + 1
            if groups[-1] and used + n > group_budget:
                groups.append([])
                used = 0
            groups[-1].append(line)
            used += n
        log.info("reduce input of %d tokens exceeds the budget %d; condensing %d groups", self.count_tokens(text),
                 budget, len(groups))
        convs = [[sys_msg, {"role": "user", "content": self.prompts.render(
            "reduce_condense.j2", material="\n".join(g), max_sentences=4)}] for g in groups]
        self._bump("llm_reduce_calls", len(convs))
        reps = self._run_json(convs, [lambda t: parse_reply(t, SUMMARY_SCHEMA)] * len(convs))
        condensed = []
        for g, rep in zip(groups, reps):
            if rep is None:
                self._bump("llm_reduce_fallbacks")
                condensed.append(" ".join(line.lstrip("- ") for line in g[: max(1, len(g) // 3)]))
            else:
                condensed.append(" ".join(rep["summary"].split()))
        if len(groups) == 1 and self.count_tokens("\n".join(condensed)) >= self.count_tokens(text):
            depth = 3  # condensing did not shrink it; stop instead of looping
        return self._fit_material(condensed, overhead, sys_msg, depth + 1)

    def _chunk_parser(self, chunk: Chunk) -> Callable[[str], ChunkNotes]:
        def parse(text: str) -> ChunkNotes:
            obj = parse_reply(text, CHUNK_SCHEMA)
            return self._to_notes(obj, chunk)
        return parse

    def _to_notes(self, obj: Dict[str, Any], chunk: Chunk) -> ChunkNotes:
        g = self.grounder

        def timed(items: List[Dict[str, Any]], limit: int) -> Tuple[TimedText, ...]:
            out = []
            for it in items[:limit]:
                span = g.ground(it["text"], it["start"], it["end"], chunk)
                if span is not None:
                    out.append(TimedText(" ".join(it["text"].split()), *span))
            return tuple(out)

        summary = timed(obj["summary"], self.limits["max_summary"])
        key_points = timed(obj["key_points"], self.limits["max_key_points"])
        qa = []
        for it in obj["qa"][: self.limits["max_qa"]]:
            span = g.ground(it["question"] + " " + it["answer"], it["start"], it["end"], chunk)
            if span is not None:
                qa.append(QAPair(" ".join(it["question"].split()), " ".join(it["answer"].split()),
                                 str(it.get("kind") or "generated"), *span))
        if not summary and not key_points:
            raise SchemaError("none of the summary sentences or key points is supported by the transcript; "
                              "restate what the transcript says and cite the [start-end] times of those lines")
        return ChunkNotes(chunk.start, chunk.end, summary, key_points, tuple(qa), backend=self.name)

    def _safe_generate(self, convs: Sequence[Messages]) -> List[Any]:
        if not convs:
            return []
        if self._disabled_reason:
            return [RuntimeError(self._disabled_reason)] * len(convs)
        try:
            replies = self._generate(convs, max_new_tokens=self.max_new_tokens)
        except Exception as exc:  # a failing model must degrade to the fallback, never crash the build
            log.exception("LLM generation failed")
            replies = [exc] * len(convs)
        for rep in replies:
            if isinstance(rep, Exception):
                self._bump("llm_errors")
                self._consecutive_errors += 1
                if self._consecutive_errors >= self.max_consecutive_errors and not self._disabled_reason:
                    self._disabled_reason = f"{self._consecutive_errors} generation errors in a row (last: {rep})"
                    log.error("LLM backend %s disabled for this run after %s; the remaining chunks use the "
                              "extractive writer", self.name, self._disabled_reason)
            else:
                self._consecutive_errors = 0
        return replies

    def _run_json(self, convs: Sequence[Messages], parsers: Sequence[Callable[[str], Any]]) -> List[Any]:
        """Generate, parse; repair failures once with the error message. None where both attempts failed."""
        replies = self._safe_generate(convs)
        results: List[Any] = [None] * len(convs)
        retry: List[Tuple[int, Messages]] = []
        for i, rep in enumerate(replies):
            if isinstance(rep, Exception):
                continue
            try:
                results[i] = parsers[i](rep)
            except SchemaError as exc:
                log.info("LLM reply %d invalid (%s); asking for a repair", i, exc)
                retry.append((i, list(convs[i]) + [
                    {"role": "assistant", "content": rep[:4000]},
                    {"role": "user", "content": self.prompts.render("repair.j2", error=str(exc))}]))
        if retry:
            self._bump("llm_repairs", len(retry))
            for (i, _), rep in zip(retry, self._safe_generate([m for _, m in retry])):
                if isinstance(rep, Exception):
                    continue
                try:
                    results[i] = parsers[i](rep)
                except SchemaError as exc:
                    log.warning("LLM reply %d still invalid after a repair: %s", i, exc)
        return results

    def _fallback(self, chunk: Chunk, context: str) -> ChunkNotes:
        self._bump("llm_fallbacks")
        log.warning("LLM notes failed for chunk %d (%.0f-%.0f s); using the extractive writer for it",
                    chunk.index, chunk.start, chunk.end)
        if self.fallback is None:
            try:
                from lecture_notes.backends.extractive import ExtractiveNoteWriter

                self.fallback = ExtractiveNoteWriter(embedder=self.embedder)
            except Exception as exc:
                log.error("no fallback note writer available (%s); chunk %d gets empty notes", exc, chunk.index)
                return ChunkNotes(chunk.start, chunk.end, (), (), (), backend="none")
        return self.fallback.write(chunk, context=context)


def _concat(chunk: Chunk, parts: List[ChunkNotes], backend: str) -> ChunkNotes:
    if len(parts) == 1:
        return parts[0]
    return ChunkNotes(chunk.start, chunk.end, tuple(t for p in parts for t in p.summary),
                      tuple(t for p in parts for t in p.key_points), tuple(q for p in parts for q in p.qa),
                      backend=backend)


def _first_sentences(chunk_notes: Sequence[ChunkNotes], ch: ChapterSpan, limit: int = 3) -> str:
    texts = [cn.summary[0].text for cn in chunk_notes if cn.summary and cn.start < ch.end and cn.end > ch.start]
    return " ".join(texts[:limit])
