import pytest

from lecture_notes.backends import registry
from lecture_notes.backends.base import Embedder
from lecture_notes.backends.registry import create, register
from lecture_notes.core.errors import BackendError


class _Plugin(Embedder):
    name = "plugin-test"
    dim = 2

    def __init__(self, scale=1.0):
        self.scale = scale

    def embed(self, texts):
        import numpy as np
        return np.ones((len(texts), 2), dtype="float32") * self.scale


def test_unknown_backend_lists_valid_names():
    with pytest.raises(BackendError) as info:
        create("ocr", "no-such-ocr")
    msg = str(info.value)
    assert "no-such-ocr" in msg and "rapidocr" in msg and "\n" not in msg


def test_unknown_kind_rejected():
    with pytest.raises(BackendError):
        register("teleport", "x", _Plugin)


def test_plugin_registers_like_builtins_and_gets_options():
    register("embedder", "plugin-test", _Plugin, "test plugin")
    names = [b.name for b in registry.available("embedder")]
    assert "plugin-test" in names and "minilm" in names
    be = create("embedder", "plugin-test", scale=2.0)
    assert be.embed(["a"])[0, 0] == 2.0


def test_builtins_are_declared_as_entry_points():
    """Built-ins must be registered through the same entry-point group third-party plugins use."""
    import tomllib
    from pathlib import Path

    from lecture_notes.backends.builtin import BUILTINS

    data = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    eps = data["project"]["entry-points"]["lecture_notes.backends"]
    for kind, name, factory in BUILTINS:
        assert eps[f"{kind}.{name}"] == f"{factory.__module__}:{factory.__name__}"
