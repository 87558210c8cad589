import json

from lecture_notes.core.cachekey import make_key
from lecture_notes.runtime.cache import StageCache, cached_sha256, decode, encode
from lecture_notes.core.types import Segment, Slide, Transcript, Word


def _transcript():
    return Transcript(segments=(Segment(0.0, 1.5, "An antigen is a molecule.", (Word(0.0, 0.4, "An", 0.9),)),),
                      language="en", source="asr:tiny.en")


def test_roundtrip_is_exact():
    t = _transcript()
    assert decode(json.loads(json.dumps(encode(t)))) == t
    slides = (Slide(0, 5, "slides/slide-001.jpg", "Title\nbody", "Title", 0.93),)
    assert decode(json.loads(json.dumps(encode(slides)))) == slides


def test_put_get_and_files(tmp_path):
    cache = StageCache(tmp_path)
    key = make_key("transcript", "abc", {"model": "tiny.en"})
    assert cache.get("transcript", key) == (False, None)
    entry = cache.put("transcript", key, _transcript(), write_files=lambda d: (d / "x.txt").write_text("hi"))
    assert (entry / "x.txt").read_text() == "hi"
    assert cache.get("transcript", key) == (True, _transcript())
    # no temporary folders left behind
    assert [p.name for p in (tmp_path / "transcript").iterdir()] == [key]


def test_disabled_cache_misses_but_stores(tmp_path):
    cache = StageCache(tmp_path, enabled=False)
    cache.put("s", "k", _transcript())
    assert cache.get("s", "k") == (False, None)
    assert StageCache(tmp_path).get("s", "k")[0]


def test_corrupt_entry_is_a_miss(tmp_path):
    cache = StageCache(tmp_path)
    entry = cache.put("s", "k", _transcript())
    (entry / "value.json").write_text("{not json")
    assert cache.get("s", "k") == (False, None)
    assert not entry.exists()


def test_keys_depend_on_options():
    assert make_key("a", {"x": 1}) != make_key("a", {"x": 2})
    assert make_key("a", {"x": 1, "y": 2}) == make_key("a", {"y": 2, "x": 1})


def test_sha256_is_remembered_until_file_changes(tmp_path):
    f = tmp_path / "in.bin"
    f.write_bytes(b"hello")
    calls = []

    def compute(p):
        import hashlib
        calls.append(p)
        return hashlib.sha256(p.read_bytes()).hexdigest()

    a = cached_sha256(f, tmp_path / "c", compute)
    b = cached_sha256(f, tmp_path / "c", compute)
    assert a == b and len(calls) == 1
    f.write_bytes(b"hello world")
    import os
    os.utime(f, ns=(1, 10**18))
    assert cached_sha256(f, tmp_path / "c", compute) != a and len(calls) == 2
