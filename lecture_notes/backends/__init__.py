"""Backends (ASR, OCR, embeddings, note writers, vision) behind small ABCs (``base``) and one registry
(``registry``)."""
