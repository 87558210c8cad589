"""The sentence encoder run by onnxruntime: same vectors as torch, exported once, safe when the cache is bad."""
from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from lecture_notes.backends import onnx_encoder
from lecture_notes.backends.minilm import MiniLMEmbedder
from lecture_notes.core.errors import BackendError

ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [s["text"] for s in json.loads((ROOT / "samples" / "lecture.truth.json").read_text())["sentences"]]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory):
    """A random-weight 2-layer BERT encoder (hidden 32) with a tokenizer trained on the sample's sentences."""
    import torch
    from transformers import BertConfig, BertModel

    from tiny_models import train_tokenizer

    folder = tmp_path_factory.mktemp("tiny-bert")
    tok = train_tokenizer(folder, SENTENCES)
    torch.manual_seed(0)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                     intermediate_size=64, max_position_embeddings=512, pad_token_id=tok.pad_token_id)
    BertModel(cfg).save_pretrained(folder)
    return folder


def test_onnx_engine_gives_the_torch_vectors(tiny_bert, tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_NOTES_MODELS", str(tmp_path / "models"))
    texts = SENTENCES[:20] + ["Short.", SENTENCES[3] * 8]  # padding inside a batch, and truncation at 128 tokens
    with MiniLMEmbedder(model_path=str(tiny_bert), engine="torch", batch_size=8) as ref:
        want = ref.embed(texts)
    emb = MiniLMEmbedder(model_path=str(tiny_bert), batch_size=8)  # auto
    assert emb.engine == "onnx"
    got = emb.embed(texts)
    emb.close()
    assert got.shape == want.shape == (len(texts), 32) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert float((got * want).sum(1).min()) > 0.9999
    assert list((tmp_path / "models" / "onnx-encoders").glob("*/encoder.onnx"))


def test_export_happens_once(tiny_bert, tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURE_NOTES_MODELS", str(tmp_path / "models"))
    first = MiniLMEmbedder(model_path=str(tiny_bert), engine="onnx")
    a = first.embed(SENTENCES[:5])
    graph = next((tmp_path / "models" / "onnx-encoders").glob("*/encoder.onnx"))
    stamp = graph.stat().st_mtime_ns
    import torch

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(torch.onnx, "export", no_export)
    second = MiniLMEmbedder(model_path=str(tiny_bert), engine="onnx")
    assert np.allclose(second.embed(SENTENCES[:5]), a, atol=1e-6)
    assert graph.stat().st_mtime_ns == stamp
    # No half-written export is left beside it.
    assert [p.name for p in graph.parent.parent.iterdir()] == [graph.parent.name]


def test_damaged_cache_entry_is_removed_and_auto_falls_back_to_torch(tiny_bert, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("LECTURE_NOTES_MODELS", str(tmp_path / "models"))
    MiniLMEmbedder(model_path=str(tiny_bert), engine="onnx").close()
    graph = next((tmp_path / "models" / "onnx-encoders").glob("*/encoder.onnx"))
    graph.write_bytes(b"not a model")
    with pytest.raises(BackendError, match="could not be loaded.*exported again"):
        MiniLMEmbedder(model_path=str(tiny_bert), engine="onnx")
    assert not graph.parent.exists()
    graph.parent.mkdir(parents=True)
    graph.write_bytes(b"still not a model")
    with caplog.at_level(logging.INFO, logger="lecture_notes.backends.minilm"):
        emb = MiniLMEmbedder(model_path=str(tiny_bert))  # auto: torch this time, onnx again on the next run
    assert emb.engine == "torch" and emb.embed(["A vaccine trains the immune system."]).shape == (1, 32)
    assert "embedding with torch" in caplog.text
    assert MiniLMEmbedder(model_path=str(tiny_bert)).engine == "onnx"


def test_unwritable_models_cache(tiny_bert, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("a user's file, not a folder")
    monkeypatch.setenv("LECTURE_NOTES_MODELS", str(blocker / "models"))
    with pytest.raises(BackendError, match="cannot write the model cache.*LECTURE_NOTES_MODELS"):
        MiniLMEmbedder(model_path=str(tiny_bert), engine="onnx")
    assert MiniLMEmbedder(model_path=str(tiny_bert)).engine == "torch"
    assert blocker.read_text() == "a user's file, not a folder"


def test_folders_onnx_cannot_run_use_torch(tiny_bert, tmp_path, monkeypatch):
    import shutil

    monkeypatch.setenv("LECTURE_NOTES_MODELS", str(tmp_path / "models"))
    slow_only = tmp_path / "no-fast-tokenizer"
    shutil.copytree(tiny_bert, slow_only)
    (slow_only / "tokenizer.json").unlink()
    assert not onnx_encoder.can_run(slow_only)
    config = json.loads((tiny_bert / "config.json").read_text())
    other = tmp_path / "gpt"
    shutil.copytree(tiny_bert, other)
    (other / "config.json").write_text(json.dumps(dict(config, model_type="gpt2")))
    assert not onnx_encoder.can_run(other)
    assert onnx_encoder.can_run(tiny_bert)
    assert not (tmp_path / "models").exists()


def test_unknown_engine_lists_the_valid_ones(tiny_bert):
    with pytest.raises(BackendError, match="unknown embedder engine 'tensorflow'; use one of auto, onnx, torch"):
        MiniLMEmbedder(model_path=str(tiny_bert), engine="tensorflow")


def test_bundled_minilm_runs_on_onnxruntime_with_the_same_vectors():
    """The default embedder of every build and search: onnxruntime, equal to the transformers model."""
    texts = SENTENCES[:40]
    emb = MiniLMEmbedder()
    assert emb.engine == "onnx" and emb.dim == 384
    got = emb.embed(texts)
    with MiniLMEmbedder(engine="torch") as ref:
        want = ref.embed(texts)
    assert float((got * want).sum(1).min()) > 0.99999
    # Meaning survives: a sentence is nearest to itself reworded, not to an unrelated one.
    a, b, c = emb.embed(["A vaccine teaches the immune system to recognise a virus.",
                         "Vaccines train our immune defences to identify viruses.",
                         "The exam is on Thursday in room 204."])
    assert float(a @ b) > float(a @ c) + 0.3
