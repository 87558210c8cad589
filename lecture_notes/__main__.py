"""`python -m lecture_notes` runs the CLI."""
from lecture_notes.cli.build import main

main(prog_name="lecture-notes")
