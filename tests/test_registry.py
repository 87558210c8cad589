from dataclasses import dataclass

import pytest

from lecture_notes.backends import registry
from lecture_notes.backends.base import Embedder, option
from lecture_notes.backends.registry import create, register
from lecture_notes.core.errors import BackendError


@dataclass(frozen=True)
class _PluginOptions:
    scale: float = option(1.0, "multiplies every vector")


class _Plugin(Embedder):
    """A test plugin."""

    name = "plugin-test"
    dim = 2
    Options = _PluginOptions

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
    """Built-ins must be registered through the same entry-point group third-party plugins use, naming the
    backend classes themselves."""
    import tomllib
    from pathlib import Path

    from lecture_notes.backends.base import Backend
    from lecture_notes.backends.builtin import BUILTINS

    data = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
    assert data["project"]["entry-points"]["lecture_notes.backends"] == BUILTINS
    for key, ref in BUILTINS.items():
        kind, name = key.split(".", 1)
        info = registry.lookup(kind, name)
        assert issubclass(info.cls, Backend) and f"{info.cls.__module__}:{info.cls.__name__}" == ref
        assert info.cls.kind == kind and info.description


def test_every_builtin_declares_options_matching_its_constructor():
    """Options dataclasses and constructors cannot drift apart: every keyword the constructor takes is a
    declared option (or a collaborator the pipeline hands over), and every option is accepted."""
    import inspect

    for kind in registry.KINDS:
        for info in registry.available(kind):
            if info.cls is None or info.cls.__module__.startswith("tests"):
                continue
            cls = info.cls
            declared = set(cls.option_help())
            params, var_kw = set(), False
            for klass in cls.__mro__:
                init = klass.__dict__.get("__init__")
                if init is None:
                    continue
                sig = inspect.signature(init)
                params |= {p.name for p in sig.parameters.values() if p.name != "self" and p.kind not in (
                    p.VAR_KEYWORD, p.VAR_POSITIONAL)}
                if not any(p.kind == p.VAR_KEYWORD for p in sig.parameters.values()):
                    break
            params -= {"max_consecutive_errors"}  # a test hook of the LLM writer loop, not an option
            assert declared - params == set(), (cls.__name__, declared - params)
            assert params - declared - set(cls.collaborators) == set(), (cls.__name__, params - declared)


def test_unknown_option_is_a_one_line_error_listing_the_valid_ones():
    from lecture_notes.core.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        create("ocr", "rapidocr", min_confidense=0.3)
    msg = str(info.value)
    assert "min_confidense" in msg and "min_confidence" in msg and "\n" not in msg


def test_registry_knows_what_each_backend_takes():
    fw = registry.lookup("asr", "faster-whisper").cls
    assert fw.takes_device and fw.config_fields["model"] == "asr_model"
    assert registry.lookup("notes", "openai").cls.spec_option == "base_url"
    assert registry.lookup("notes", "transformers").cls.generative
    assert not registry.lookup("notes", "extractive").cls.generative
    assert "mmr_lambda" in registry.lookup("notes", "extractive").options


def test_exporter_plugin_registers_through_the_entry_point_group(tmp_path, monkeypatch, course_factory):
    """A third-party export format declared in the ``lecture_notes.exporters`` group is used like a built-in."""
    import importlib.metadata as md

    from lecture_notes.course import export

    (tmp_path / "plain_export.py").write_text(
        "from pathlib import Path\n"
        "from lecture_notes.course.export import Exporter\n"
        "def write(course, dest, *, force, link_base):\n"
        "    Path(dest).write_text('\\n'.join(l.title for l in course.lectures))\n"
        "    return Path(dest)\n"
        "EXPORTER = Exporter('-titles.txt', write)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="titles", value="plain_export:EXPORTER", group=export.ENTRY_POINT_GROUP)
    real = md.entry_points
    monkeypatch.setattr(md, "entry_points", lambda group=None, **kw: (
        md.EntryPoints([ep]) if group == export.ENTRY_POINT_GROUP else real(group=group, **kw)))
    assert set(export.EXPORT_FORMATS) < set(export.exporters())
    out = course_factory.make_course_output(tmp_path / "out")
    dest = export.export_course(out, "titles")
    assert dest.name.endswith("-titles.txt") and "Sorting Algorithms" in dest.read_text()
    with pytest.raises(Exception, match="choose from imscc, canvas-qti, moodle-xml, anki, titles"):
        export.export_course(out, "pdf")
