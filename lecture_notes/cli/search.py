"""Click commands ``search`` (find moments) and ``ask`` (answer with citations) over a lecture or a course."""
from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, List, Optional

import click

from lecture_notes.core.errors import ConfigError, InputError, LectureNotesError

SEARCH_EXAMPLES = """
\b
Examples:
  lecture-notes search lecture_notes/ "where is entropy defined"
  lecture-notes search course_notes/ "huffman coding" -k 3 --json
  lecture-notes search course_notes/ --queries questions.txt      # JSON lines, one per query
"""

ASK_EXAMPLES = """
\b
Examples:
  lecture-notes ask lecture_notes/ "what is a binary heap?"
  lecture-notes ask course_notes/ "why does quicksort degrade?" --json
  lecture-notes ask course_notes/ "..." --llm openai:http://127.0.0.1:8000/v1 --llm-model qwen2.5
  lecture-notes ask course_notes/ --queries questions.txt
"""


def _queries(query: Optional[str], queries_file: Optional[Path], what: str) -> List[str]:
    if query is not None and queries_file is not None:
        raise InputError(f"give either a {what} or --queries FILE, not both")
    if queries_file is not None:
        try:
            lines = Path(queries_file).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            raise InputError(f"queries file {queries_file} does not exist; give a text file with one {what} per "
                             f"line") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read queries file {queries_file} ({exc}); give a UTF-8 text file") from None
        out = [ln.strip() for ln in lines if ln.strip()]
        if not out:
            raise InputError(f"queries file {queries_file} is empty; write one {what} per line")
        return out
    if query is None or not query.strip():
        raise InputError(f"the {what} is empty; type what you are looking for, e.g. \"where is entropy defined\"")
    return [query.strip()]


class _Session:
    """Target folder -> loaded lecture indexes + query embedder (+ reranker), loaded once for all queries."""

    def __init__(self, target: Path, reranker: Optional[str] = None) -> None:
        from lecture_notes.search.course import default_embedder, load_lectures, resolve_target
        from lecture_notes.search.engine import SearchEngine

        self.kind, refs = resolve_target(target)
        self.refs = {r.slug: r for r in refs}
        self.embedder = default_embedder()
        try:
            lectures = load_lectures(refs, lambda: self.embedder)
            self.reranker = _make_reranker(reranker) if reranker else None
        except BaseException:
            self.embedder.close()
            raise
        self.engine = SearchEngine(lectures, self.embedder, reranker=self.reranker)

    def lecture(self, i: int):
        return self.engine.lectures[i]

    def link(self, i: int, t: float) -> str:
        lec = self.engine.lectures[i]
        ref = self.refs.get(lec.slug)
        media = ref.media if ref else ""
        base = Path(media).resolve().as_uri() if media else lec.href
        return f"{base}#t={int(max(0.0, t))}"

    def close(self) -> None:
        self.embedder.close()
        if self.reranker is not None:
            self.reranker.close()


def _make_reranker(spec: str):
    from lecture_notes.backends import registry
    from lecture_notes.core.config_file import parse_backend_spec

    name, opts = parse_backend_spec(spec, "reranker")
    return registry.create("reranker", name, **opts)


def _make_writer(spec: str, model: Optional[str], embedder: Any):
    from lecture_notes.backends import registry
    from lecture_notes.core.config_file import parse_backend_spec

    name, opts = parse_backend_spec(spec, "notes")
    if model:
        opts["model"] = model
    if name == "extractive":
        return None
    return registry.create("notes", name, embedder=embedder, **opts)


def _hms(t: float) -> str:
    s = int(max(0.0, t))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _score(session: _Session, m) -> float:
    if session.reranker is not None:
        import math

        return round(1.0 / (1.0 + math.exp(-m.score)), 4)
    return session.engine.display_score(m.score)


def search_json(session: _Session, query: str, k: int) -> dict:
    """The search contract: {"query", "results": [{"lecture", "start", "end", "score", "text"}]}; a result also
    has "speakers" (who speaks in it) when the transcript says."""
    results = []
    for m in session.engine.search(query, k=k):
        r = {"lecture": session.lecture(m.lecture).slug, "start": round(m.start, 2), "end": round(m.end, 2),
             "score": _score(session, m), "text": m.text}
        speakers = session.engine.moment_speakers(m)
        if speakers:
            r["speakers"] = speakers
        results.append(r)
    return {"query": query, "results": results}


def ask_json(session: _Session, question: str, writer: Any) -> tuple:
    """The ask contract: {"question", "answer", "abstained", "confidence", "citations": [...]} (+ the Answer)."""
    from lecture_notes.search.answer import ask

    a = ask(session.engine, question, writer=writer)
    return {"question": question, "answer": a.answer, "abstained": a.abstained, "confidence": a.confidence,
            "citations": [{"lecture": session.lecture(c.lecture).slug, "start": round(c.start, 2),
                           "end": round(c.end, 2), "text": c.text} for c in a.citations]}, a


def _print_moments(session: _Session, moments, k: int) -> None:
    for n, m in enumerate(moments[:k], 1):
        lec = session.lecture(m.lecture)
        where = f"{lec.title} " if session.kind == "course" else ""
        speakers = session.engine.moment_speakers(m)
        who = f" ({', '.join(speakers)})" if speakers else ""
        click.echo(f"{n}. {where}[{_hms(m.start)}-{_hms(m.end)}]{who} score {_score(session, m):.2f}")
        text = m.text if len(m.text) <= 300 else m.text[:297].rsplit(" ", 1)[0] + "..."
        click.echo(f"   {text}")
        click.echo(f"   {session.link(m.lecture, m.start)}")


def register_commands(group: click.Group) -> None:
    """Add ``search`` and ``ask`` to the main command group."""
    from lecture_notes.cli.build import setup_logging

    @group.command(epilog=SEARCH_EXAMPLES)
    @click.argument("target", type=click.Path(path_type=Path))
    @click.argument("query", required=False)
    @click.option("-k", "top_k", type=click.IntRange(1, 100), default=5, show_default=True, help="Moments to show.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per query).")
    @click.option("--queries", "queries_file", type=click.Path(path_type=Path), default=None,
                  help="File with one query per line: answers all with one model load, as JSON lines.")
    @click.option("--reranker", default=None, metavar="SPEC",
                  help="Cross-encoder reranker, e.g. transformers:PATH (ms-marco-MiniLM style).")
    @click.option("-q", "--quiet", is_flag=True, help="Print only results and errors.")
    @click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
    def search(target: Path, query: Optional[str], top_k: int, as_json: bool, queries_file: Optional[Path],
               reranker: Optional[str], quiet: bool, verbose: int) -> None:
        """Find the moments of a lecture (notes folder) or a course (batch output folder) that match QUERY."""
        setup_logging(verbose, quiet)
        session = None
        try:
            qs = _queries(query, queries_file, "query")
            session = _Session(target, reranker)
            for q in qs:
                if as_json or queries_file is not None:
                    click.echo(json.dumps(search_json(session, q, top_k), ensure_ascii=False))
                else:
                    moments = session.engine.search(q, k=top_k)
                    if not moments:
                        click.echo("No matching moment.")
                    _print_moments(session, moments, top_k)
        except LectureNotesError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            if session is not None:
                session.close()

    @group.command(epilog=ASK_EXAMPLES)
    @click.argument("target", type=click.Path(path_type=Path))
    @click.argument("question", required=False)
    @click.option("--llm", default=None, metavar="SPEC",
                  help="Write the answer with an LLM: transformers:PATH_OR_ID or openai:URL (default: extractive).")
    @click.option("--llm-model", default=None, help="Model name for --llm openai:URL.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per question).")
    @click.option("--queries", "queries_file", type=click.Path(path_type=Path), default=None,
                  help="File with one question per line: answers all with one model load, as JSON lines.")
    @click.option("-q", "--quiet", is_flag=True, help="Print only answers and errors.")
    @click.option("-v", "--verbose", count=True, help="More logging (-vv for debug).")
    def ask(target: Path, question: Optional[str], llm: Optional[str], llm_model: Optional[str], as_json: bool,
            queries_file: Optional[Path], quiet: bool, verbose: int) -> None:
        """Answer QUESTION from a lecture or a course, citing the moments it comes from.

        When the notes do not cover the question the answer is declined ("abstained": true) and the nearest
        moments are shown instead (exit code 0).
        """
        setup_logging(verbose, quiet)
        session = writer = None
        try:
            qs = _queries(question, queries_file, "question")
            session = _Session(target)
            writer = _make_writer(llm, llm_model, session.embedder) if llm else None
            for q in qs:
                obj, a = ask_json(session, q, writer)
                if as_json or queries_file is not None:
                    click.echo(json.dumps(obj, ensure_ascii=False))
                    continue
                if a.abstained:
                    where = "this lecture" if session.kind == "lecture" else "this course"
                    click.echo(f"Not covered in {where} (confidence {a.confidence:.2f}). Nearest moments:")
                    _print_moments(session, a.moments, 3)
                    continue
                click.echo(a.answer)
                click.echo(f"\nSources (confidence {a.confidence:.2f}):")
                for c in a.citations:
                    lec = session.lecture(c.lecture)
                    where = f"{lec.title} " if session.kind == "course" else ""
                    click.echo(f"  {where}[{_hms(c.start)}-{_hms(c.end)}] {session.link(c.lecture, c.start)}")
        except (LectureNotesError, ConfigError) as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            if writer is not None:
                writer.close()
            if session is not None:
                session.close()
