"""The package version (pyproject.toml reads it from here; it is part of every cache key)."""
__version__ = "0.1.0"
