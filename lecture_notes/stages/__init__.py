"""One module per pipeline stage: media -> slides/OCR/transcript -> chunks -> notes -> merge -> render."""
