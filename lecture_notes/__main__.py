"""`python -m lecture_notes` runs the CLI."""
from lecture_notes.cli import main

main(prog_name="lecture-notes")
