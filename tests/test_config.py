import pytest

from lecture_notes.core.config import BuildConfig
from lecture_notes.core.errors import ConfigError


def test_defaults_validate(tmp_path):
    cfg = BuildConfig(input=tmp_path / "x.mp4").validated()
    assert cfg.formats == ("md", "html", "json")
    assert cfg.output_dir == tmp_path / "x_notes"


@pytest.mark.parametrize("kwargs,match", [
    ({"formats": ("md", "pdf")}, "pdf"),
    ({"window": 5}, "window"),
    ({"asr_model": "large-v9"}, "asr-model"),
    ({"language": "de"}, "tiny.en only"),
    ({"language": "english!"}, "language"),
])
def test_bad_options_have_one_line_fixes(tmp_path, kwargs, match):
    with pytest.raises(ConfigError, match=match) as info:
        BuildConfig(input=tmp_path / "x.mp4", **kwargs).validated()
    assert "\n" not in str(info.value)


def test_formats_normalised(tmp_path):
    cfg = BuildConfig(input=tmp_path / "x.mp4", formats=(" MD", "html", "md")).validated()
    assert cfg.formats == ("md", "html")
