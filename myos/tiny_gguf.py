"""Tiny but complete llama-architecture GGUF files for tests: one layer,
dim 32, random weights in every tensor type the engine reads (F32, F16, Q8_0,
Q4_0, Q4_1), a GPT-2 byte-level vocabulary with chosen control tokens, and
one metadata key of every GGUF value type. llama.cpp loads them too, so tests
can compare against it on vocabularies no shipped model has (e.g. Llama-3 or
Gemma chat tokens)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

DIM, HIDDEN = 32, 64


def byte_alphabet() -> list[str]:
    """GPT-2's byte-level alphabet: the character standing for each byte 0..255."""
    printable = [b for b in range(256) if 33 <= b <= 126 or 161 <= b <= 172 or b >= 174]
    chars, extra = {}, 0
    for b in range(256):
        if b in printable:
            chars[b] = chr(b)
        else:
            chars[b] = chr(256 + extra)
            extra += 1
    return [chars[b] for b in range(256)]


def byte_level_vocab(specials: list[str]) -> tuple[list[str], list[int], list[str]]:
    """specials (control tokens) first, then all 256 byte tokens and a few merges."""
    merges = ["Ġ t", "h e", "Ġt he", "i n", "a n", "e r", "o n", "Ġ a", "Ċ Ċ"]
    tokens = specials + byte_alphabet() + [m.replace(" ", "") for m in merges]
    types = [3] * len(specials) + [1] * (len(tokens) - len(specials))
    return tokens, types, merges


def write(path: Path, specials: list[str], bos: int, eos: int, chat_template: str | None = None,
          pre: str = "smollm", seed: int = 0) -> None:
    """A one-layer model whose vocabulary is byte_level_vocab(specials)."""
    import gguf

    rng = np.random.default_rng(seed)
    tokens, types, merges = byte_level_vocab(specials)
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(DIM)
    w.add_feed_forward_length(HIDDEN)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_rope_dimension_count(DIM // 4)
    w.add_rope_freq_base(10000.0)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre(pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.add_add_bos_token(False)
    if chat_template is not None:
        w.add_chat_template(chat_template)
    # One key of every metadata value type.
    w.add_uint8("tiny.u8", 7)
    w.add_int8("tiny.i8", -7)
    w.add_uint16("tiny.u16", 700)
    w.add_int16("tiny.i16", -700)
    w.add_uint32("tiny.u32", 70000)
    w.add_int32("tiny.i32", -70000)
    w.add_float32("tiny.f32", 0.5)
    w.add_bool("tiny.bool", True)
    w.add_uint64("tiny.u64", 1 << 40)
    w.add_int64("tiny.i64", -(1 << 40))
    w.add_float64("tiny.f64", 0.25)
    w.add_array("tiny.arr_i32", [1, 2, 3])
    w.add_array("tiny.arr_str", ["x", "yz"])

    T = gguf.GGMLQuantizationType

    def norm(name):
        w.add_tensor(name, (1.0 + rng.normal(0, 0.1, DIM)).astype(np.float32))

    def matrix(name, rows, cols, qtype):
        data = rng.normal(0, 0.1, (rows, cols)).astype(np.float32)
        if qtype == T.F32:
            w.add_tensor(name, data)
        elif qtype == T.F16:
            w.add_tensor(name, data.astype(np.float16))
        else:
            q = gguf.quants.quantize(data, qtype)
            w.add_tensor(name, q, raw_shape=q.shape, raw_dtype=qtype)

    kv = DIM // 2
    matrix("token_embd.weight", len(tokens), DIM, T.Q8_0)
    norm("blk.0.attn_norm.weight")
    matrix("blk.0.attn_q.weight", DIM, DIM, T.Q4_0)
    matrix("blk.0.attn_k.weight", kv, DIM, T.Q4_1)
    matrix("blk.0.attn_v.weight", kv, DIM, T.Q8_0)
    matrix("blk.0.attn_output.weight", DIM, DIM, T.F16)
    norm("blk.0.ffn_norm.weight")
    matrix("blk.0.ffn_gate.weight", HIDDEN, DIM, T.Q4_1)
    matrix("blk.0.ffn_up.weight", HIDDEN, DIM, T.Q4_0)
    matrix("blk.0.ffn_down.weight", DIM, HIDDEN, T.F32)
    norm("output_norm.weight")
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
