"""Small random-weight models written with independent tools (the gguf
package's writer, numpy) for the loader and forward tests: they cover what
the real fixtures do not — every tensor type in one model, an own output
matrix, GGUF v2, every metadata value type, llama2.c's unshared classifier
and a tokenizer.bin."""
from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import GGUFWriter
from gguf.quants import quantize

DIM, HIDDEN, LAYERS, HEADS, KV_HEADS, VOCAB = 64, 128, 2, 4, 2, 96

# Matrix roles and the type each gets, so one model uses every supported type.
GGUF_TYPES = {"attn_q": T.Q4_0, "attn_k": T.Q4_1, "attn_v": T.Q5_0, "attn_output": T.Q5_1,
              "ffn_gate": T.Q8_0, "ffn_up": T.F16, "ffn_down": T.F32}


def _weights(rng, rows, cols):
    return (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)


def _add(w: GGUFWriter, name: str, a: np.ndarray, qtype: T):
    if qtype == T.F32:
        w.add_tensor(name, a)
    elif qtype == T.F16:
        w.add_tensor(name, a.astype(np.float16))
    else:
        w.add_tensor(name, quantize(a, qtype), raw_dtype=qtype)


def write_gguf(path: Path, version: int = 3, seed: int = 1, alignment: int | None = None) -> Path:
    """A 2-layer llama GGUF with metadata of every value type and no tokenizer."""
    rng = np.random.default_rng(seed)
    w = GGUFWriter(str(path), "llama")
    if alignment:
        w.add_custom_alignment(alignment)
    w.add_block_count(LAYERS)
    w.add_context_length(256)
    w.add_embedding_length(DIM)
    w.add_feed_forward_length(HIDDEN)
    w.add_head_count(HEADS)
    w.add_head_count_kv(KV_HEADS)
    w.add_rope_freq_base(50000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_name("synthetic test model")
    # One key of each remaining value type; the loader must step over them all.
    w.add_uint8("test.u8", 200)
    w.add_int8("test.i8", -5)
    w.add_uint16("test.u16", 60000)
    w.add_int16("test.i16", -30000)
    w.add_int32("test.i32", -7)
    w.add_uint64("test.u64", 2**40)
    w.add_int64("test.i64", -(2**40))
    w.add_float64("test.f64", 3.5)
    w.add_bool("test.bool", True)
    w.add_array("test.ints", [1, 2, 3])
    w.add_array("test.strings", ["a", "", "ccc"])
    w.add_array("test.floats", [0.5, 1.5])
    w.add_array("test.nested", [[1, 2], [3]])
    _add(w, "token_embd.weight", _weights(rng, VOCAB, DIM), T.Q8_0)
    _add(w, "output.weight", _weights(rng, VOCAB, DIM), T.Q4_1)
    w.add_tensor("output_norm.weight", (1 + 0.1 * rng.standard_normal(DIM)).astype(np.float32))
    q_dim, kv_dim = DIM, DIM // HEADS * KV_HEADS
    shapes = {"attn_q": (q_dim, DIM), "attn_k": (kv_dim, DIM), "attn_v": (kv_dim, DIM),
              "attn_output": (DIM, q_dim), "ffn_gate": (HIDDEN, DIM), "ffn_up": (HIDDEN, DIM),
              "ffn_down": (DIM, HIDDEN)}
    for layer in range(LAYERS):
        w.add_tensor(f"blk.{layer}.attn_norm.weight", (1 + 0.1 * rng.standard_normal(DIM)).astype(np.float32))
        w.add_tensor(f"blk.{layer}.ffn_norm.weight",
                     (1 + 0.1 * rng.standard_normal(DIM)).astype(np.float16))
        for role, shape in shapes.items():
            _add(w, f"blk.{layer}.{role}.weight", _weights(rng, *shape), GGUF_TYPES[role])
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    if version != 3:
        data = bytearray(path.read_bytes())
        data[4:8] = version.to_bytes(4, "little")  # v2 and v3 share the little-endian layout
        path.write_bytes(bytes(data))
    return path


def write_llama2c(path: Path, shared: bool, seed: int = 2, vocab: int = 300) -> Path:
    """A llama2.c .bin; shared=False writes a separate classifier (negative vocab)."""
    rng = np.random.default_rng(seed)
    dim, hidden, layers, heads, kv_heads, seq_len = 32, 80, 2, 4, 2, 64
    kv_dim = dim // heads * kv_heads
    header = np.array([dim, hidden, layers, heads, kv_heads, vocab if shared else -vocab, seq_len], "<i4")
    parts = [_weights(rng, vocab, dim), 1 + 0.1 * rng.standard_normal((layers, dim)),
             *[np.stack([_weights(rng, r, c) for _ in range(layers)])
               for r, c in [(dim, dim), (kv_dim, dim), (kv_dim, dim), (dim, dim)]],
             1 + 0.1 * rng.standard_normal((layers, dim)),
             *[np.stack([_weights(rng, r, c) for _ in range(layers)])
               for r, c in [(hidden, dim), (dim, hidden), (hidden, dim)]],
             1 + 0.1 * rng.standard_normal(dim), rng.standard_normal((seq_len, dim // heads))]
    if not shared:
        parts.append(_weights(rng, vocab, dim))
    path.write_bytes(header.tobytes() + b"".join(np.asarray(p, "<f4").tobytes() for p in parts))
    return path


def write_tokenizer_bin(path: Path, vocab: int = 300) -> Path:
    """llama2.c tokenizer.bin: <unk> <s> </s>, the 256 byte tokens, then pieces."""
    words = [" the", " a", " cat", " sat", " on", " mat", "the", "at", " s", " c", " m", "on", " o",
             "er", " dog", "in", " in", "an", " an", "ed", " ran", "og", " d", " r", "re", "he", " h",
             "is", " is", "it", " it", "ing", "ng", " big", " red", " sun", "un", " b", "ig", "Once", " upon"]
    pieces = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)] + words
    pieces = pieces[:vocab]
    out = [np.int32(max(len(p.encode()) for p in pieces)).tobytes()]
    for i, p in enumerate(pieces):
        score = -float(i) if i >= 259 else 0.0
        out.append(np.float32(score).tobytes() + np.int32(len(p.encode())).tobytes() + p.encode())
    path.write_bytes(b"".join(out))
    return path


def write_all(d: Path) -> dict[str, Path]:
    """Each kind of synthetic file in folder d: GGUF v3, v2 and with 256-byte
    alignment, llama2.c with a shared and with its own classifier, and a
    llama2.c tokenizer."""
    return {
        "gguf3": write_gguf(d / "v3.gguf"),
        "gguf2": write_gguf(d / "v2.gguf", version=2),
        "gguf_align256": write_gguf(d / "align256.gguf", alignment=256),
        "l2c_shared": write_llama2c(d / "shared.bin", shared=True),
        "l2c_own": write_llama2c(d / "own.bin", shared=False),
        "tok": write_tokenizer_bin(d / "tok.bin"),
    }
