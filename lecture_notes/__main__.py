"""`python -m lecture_notes` runs the CLI."""
from .cli import main

main(prog_name="lecture-notes")
