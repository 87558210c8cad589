"""Shared types, errors, options and serialization."""
