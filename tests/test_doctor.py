"""`lecture-notes doctor` on complete, incomplete and missing model folders: messages name the folder, the
files found and the files expected; exit code follows required failures."""
from __future__ import annotations

import json
import shutil

from click.testing import CliRunner

from lecture_notes.backends.model_files import check_model_folder, estimate_model_bytes, weight_files
from lecture_notes.core.checks import Check
from lecture_notes.runtime.doctor import exit_code, run_doctor


def copy(src, dst):
    shutil.copytree(src, dst)
    return dst


def test_complete_folder_is_ok_with_parameter_count(tiny_llm_dir):
    checks = check_model_folder(str(tiny_llm_dir), "notes")
    assert len(checks) == 1 and checks[0].ok and "complete (model.safetensors" in checks[0].message
    est = estimate_model_bytes(tiny_llm_dir)
    import torch
    from safetensors.torch import load_file

    tensors = load_file(str(tiny_llm_dir / "model.safetensors"))
    assert est["params"] == sum(t.numel() for t in tensors.values())
    assert est["bytes"] == sum(t.numel() * t.element_size() for t in tensors.values())
    assert all(t.dtype == torch.float32 for t in tensors.values())


def test_missing_weights_names_folder_found_and_expected(tiny_llm_dir, tmp_path):
    d = copy(tiny_llm_dir, tmp_path / "noweights")
    (d / "model.safetensors").unlink()
    (c,) = check_model_folder(str(d), "notes")
    assert not c.ok and c.name == "notes model weights"
    assert str(d) in c.message and "model.safetensors" in c.message and "pytorch_model.bin" in c.message
    assert "found: chat_template.jinja, config.json, generation_config.json, tokenizer.json" in c.message


def test_missing_tokenizer_and_config(tiny_llm_dir, tmp_path):
    d = copy(tiny_llm_dir, tmp_path / "notok")
    (d / "tokenizer.json").unlink()
    (d / "config.json").unlink()
    checks = check_model_folder(str(d), "notes")
    names = [c.name for c in checks]
    assert names == ["notes model config", "notes model tokenizer"] and not any(c.ok for c in checks)
    assert "no tokenizer files: expected tokenizer.json or tokenizer.model or vocab.json+merges.txt" in \
        checks[1].message
    assert "model.safetensors" in checks[1].message  # the listing of what is there


def test_missing_shard_of_sharded_checkpoint(tiny_llm_dir, tmp_path):
    d = copy(tiny_llm_dir, tmp_path / "sharded")
    (d / "model.safetensors").rename(d / "model-00001-of-00002.safetensors")
    (d / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {
        "a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}}))
    assert [p.name for p in weight_files(d)] == ["model-00001-of-00002.safetensors"]
    (c,) = check_model_folder(str(d), "notes")
    assert not c.ok and "missing shard(s) model-00002-of-00002.safetensors" in c.message


def test_whisper_folder_needs_processor_config(tiny_llm_dir, tmp_path):
    (c,) = check_model_folder(str(tiny_llm_dir), "asr")
    assert not c.ok and "preprocessor_config.json or processor_config.json" in c.message


def test_missing_folder_and_run_doctor_exit_code(tiny_llm_dir, tmp_path):
    (c,) = check_model_folder(str(tmp_path / "gone"), "notes")
    assert not c.ok and "does not exist" in c.message
    ov = {"build": {"device": "cpu"}, "notes": {"backend": "transformers", "options": {"model": str(tiny_llm_dir)}},
          "asr": {"backend": "transformers", "options": {"model": str(tmp_path / "gone")}}}
    checks = run_doctor(ov, load=False)
    by = {c.name: c for c in checks}
    assert by["notes model"].ok and by["notes model memory"].ok and not by["asr model"].ok
    assert by["PyAV decoder"].ok and by["OCR models (rapidocr)"].ok and by["Hugging Face cache"].ok
    assert exit_code(checks) == 1
    assert exit_code([Check("x", False, "m", required=False), Check("y", True, "m")]) == 0
    assert Check("n", False, "bad", "do this").line() == "FAIL  n: bad -> fix: do this"


def test_doctor_cli(tiny_llm_dir, tmp_path):
    from lecture_notes.cli import main

    cfg = tmp_path / "c.toml"
    cfg.write_text(f'[llm]\nbackend = "transformers:{tiny_llm_dir}"\n')
    r = CliRunner().invoke(main, ["doctor", "--no-load", "--config", str(cfg)])
    assert r.exit_code == 0, r.output
    assert f"ok    notes model: {tiny_llm_dir} complete" in r.output and "checks passed" in r.output
    r = CliRunner().invoke(main, ["doctor", "--no-load", "--llm", f"transformers:{tmp_path / 'none'}"])
    assert r.exit_code == 1 and "FAIL  notes model:" in r.output and "-> fix:" in r.output


def test_models_cli_lists_backends_and_options():
    from lecture_notes.cli import main

    r = CliRunner().invoke(main, ["models", "--kind", "notes"])
    assert r.exit_code == 0, r.output
    assert "openai           available" in r.output and "transformers     available" in r.output
    assert "max_new_tokens: tokens generated per chunk" in r.output and "extractive" in r.output
