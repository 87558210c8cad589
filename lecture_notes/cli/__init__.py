"""The command line: thin Click commands over the library (build, course batch/export, models/doctor)."""
from lecture_notes.cli.build import main

__all__ = ["main"]
