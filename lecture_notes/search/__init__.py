"""Question answering and moment search over a lecture's (or a course's) notes: index, hybrid search, ask."""
from lecture_notes.search.answer import Answer, Citation, ask
from lecture_notes.search.course import load_lectures, resolve_target, write_course_search
from lecture_notes.search.engine import Moment, SearchEngine, SearchParams
from lecture_notes.search.index import compute_index, ensure_index, load_index, write_index

__all__ = ["Answer", "Citation", "ask", "Moment", "SearchEngine", "SearchParams", "compute_index",
           "ensure_index", "load_index", "write_index", "load_lectures", "resolve_target", "write_course_search"]
