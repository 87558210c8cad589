"""The command line: thin Click commands over the library (build, course batch/export, models/doctor,
search/ask).

``main`` is the ``lecture-notes`` entry point: the ``build`` group with the commands of the other modules added.
"""
from lecture_notes.cli import course, models, search
from lecture_notes.cli.build import main

course.register_commands(main)
models.register_commands(main)
search.register_commands(main)

__all__ = ["main"]
