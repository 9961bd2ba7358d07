"""A numpy reference of the engine's models: the forward pass of the llama,
qwen2 and gemma3 architectures with weights dequantized by the `gguf` package
(GGUF files) or read as float32 (llama2.c .bin files). Tests compare the C
engine's logits with these.

The math follows the published architectures, written independently of the
engine and in batch form: RMSNorm, RoPE (adjacent pairs for llama's permuted
GGUF rows, half-offset pairs for qwen2 and gemma3), grouped-query causal
attention (Gemma 3: five sliding-window layers with their own rope base per
global layer), SwiGLU or tanh-GELU GeGLU, Qwen2's Q/K/V biases, Gemma 3's
per-head Q/K norms, post-norms and sqrt(dim) embedding scale; tied or own
output. K and V are rounded to float16, as the engine's (and llama.cpp's) KV
cache stores them.

The samplers' reference lives in myos/reference_samplers.py and is re-exported
here so that one module holds the engine's whole reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from . import reference_samplers as samplers  # noqa: F401  (re-exported)


@dataclass
class Config:
    n_layers: int
    dim: int
    hidden_dim: int
    n_heads: int
    n_kv_heads: int
    n_vocab: int
    rope_dim: int
    rope_base: float = 10000.0
    rms_eps: float = 1e-5
    head_size: int = 0               # 0: dim // n_heads
    arch: str = "llama"
    sliding_window: int = 0          # gemma3's local layers see this many positions
    swa_period: int = 6              # layer i is local when i % period < period - 1
    rope_base_swa: float = 10000.0

    @property
    def head_dim(self) -> int:
        return self.head_size or self.dim // self.n_heads

    def windowed(self, layer: int) -> bool:
        return bool(self.sliding_window) and layer % self.swa_period < self.swa_period - 1


@dataclass
class Model:
    """Weights as float32 matrices (rows = outputs), fetched per layer on demand
    so a quantized model is never dequantized all at once."""
    cfg: Config
    embedding: np.ndarray
    output: np.ndarray
    output_norm: np.ndarray
    layer: Callable[[int], dict[str, np.ndarray]]
    info: dict = field(default_factory=dict)

    def forward(self, tokens: list[int]) -> np.ndarray:
        """Logits (len(tokens) x n_vocab, float32) at every position."""
        def mm(x, w):
            return (x.astype(np.float64) @ w.T.astype(np.float64)).astype(np.float32)

        c = self.cfg
        hd, T = c.head_dim, len(tokens)
        gemma, neox = c.arch == "gemma3", c.arch in ("qwen2", "gemma3")
        x = self.embedding[np.asarray(tokens)].astype(np.float32)
        if gemma:
            x = x * np.float32(np.sqrt(c.dim))
        tables = {base: _rope_tables(T, c.rope_dim, base) for base in {c.rope_base, c.rope_base_swa}}
        pos = np.arange(T)
        causal = np.where(pos[None, :] > pos[:, None], -np.inf, 0).astype(np.float32)
        local = np.where((pos[None, :] > pos[:, None]) | (pos[:, None] - pos[None, :] >= max(c.sliding_window, 1)),
                         -np.inf, 0).astype(np.float32)
        group = c.n_heads // c.n_kv_heads
        for li in range(c.n_layers):
            w = self.layer(li)
            windowed = c.windowed(li)
            cos, sin = tables[c.rope_base_swa if windowed else c.rope_base]
            mask = local if windowed else causal
            h = _rmsnorm(x, w["attn_norm"], c.rms_eps)
            q, k, v = mm(h, w["wq"]), mm(h, w["wk"]), mm(h, w["wv"])
            if "bq" in w:
                q, k, v = q + w["bq"], k + w["bk"], v + w["bv"]
            q = q.reshape(T, c.n_heads, hd)
            k = k.reshape(T, c.n_kv_heads, hd)
            v = v.reshape(T, c.n_kv_heads, hd)
            if "q_norm" in w:
                q, k = _rmsnorm(q, w["q_norm"], c.rms_eps), _rmsnorm(k, w["k_norm"], c.rms_eps)
            q = _rope(q, cos, sin, c.rope_dim, neox)
            k = _f16(_rope(k, cos, sin, c.rope_dim, neox))
            v = _f16(v)
            k = np.repeat(k, group, axis=1)  # query head j uses kv head j // group
            v = np.repeat(v, group, axis=1)
            scores = np.einsum("thd,shd->hts", q, k) / np.float32(np.sqrt(hd)) + mask
            scores = scores - scores.max(axis=-1, keepdims=True)
            att = np.exp(scores)
            att /= att.sum(axis=-1, keepdims=True)
            out = np.einsum("hts,shd->thd", att, v).reshape(T, c.n_heads * hd)
            a = mm(out, w["wo"])
            x = x + (_rmsnorm(a, w["post_attn_norm"], c.rms_eps) if gemma else a)
            h = _rmsnorm(x, w["ffn_norm"], c.rms_eps)
            g = mm(h, w["w_gate"])
            u = mm(h, w["w_up"])
            f = mm((_gelu_tanh(g) if gemma else g / (1.0 + np.exp(-g))) * u, w["w_down"])
            x = x + (_rmsnorm(f, w["post_ffn_norm"], c.rms_eps) if gemma else f)
        x = _rmsnorm(x, self.output_norm, c.rms_eps)
        return mm(x, self.output)


def _f16(a: np.ndarray) -> np.ndarray:
    return a.astype(np.float16).astype(np.float32)


def _rmsnorm(x: np.ndarray, w: np.ndarray, eps: float) -> np.ndarray:
    ms = np.mean(x.astype(np.float64) ** 2, axis=-1, keepdims=True)
    return (x / np.sqrt(ms + eps)).astype(np.float32) * w


def _rope_tables(T: int, rope_dim: int, base: float):
    inv = 1.0 / (base ** (np.arange(0, rope_dim, 2, dtype=np.float64) / rope_dim))
    ang = np.arange(T, dtype=np.float64)[:, None] * inv[None, :]
    return np.cos(ang).astype(np.float32), np.sin(ang).astype(np.float32)


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    """GELU in its tanh form (Gemma's gelu_pytorch_tanh)."""
    z = x.astype(np.float64)
    return (0.5 * z * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (z + 0.044715 * z ** 3)))).astype(np.float32)


def _rope(x: np.ndarray, cos: np.ndarray, sin: np.ndarray, rope_dim: int, neox: bool = False) -> np.ndarray:
    """Rotates pairs (2i, 2i+1) of the first rope_dim values of each head, or
    with neox the pairs (i, i + rope_dim / 2) (the rotate-half form)."""
    x = x.copy()
    first = slice(0, rope_dim // 2) if neox else slice(0, rope_dim, 2)
    second = slice(rope_dim // 2, rope_dim) if neox else slice(1, rope_dim, 2)
    a, b = x[..., first].copy(), x[..., second].copy()
    c, s = cos[:, None, :], sin[:, None, :]
    x[..., first] = a * c - b * s
    x[..., second] = a * s + b * c
    return x


# ---- GGUF -----------------------------------------------------------------

def load_gguf(path: str | Path) -> Model:
    from gguf import GGUFReader
    from gguf.quants import dequantize

    r = GGUFReader(str(path))
    meta = {k: f.contents() for k, f in r.fields.items()
            if not k.startswith("tokenizer.ggml.") or k.endswith("_id")}
    arch = meta["general.architecture"]
    if arch not in ("llama", "qwen2", "gemma3"):
        raise ValueError(f"reference supports llama, qwen2 and gemma3, not {arch}")
    tensors = {t.name: t for t in r.tensors}

    def mat(name: str) -> np.ndarray:
        t = tensors[name]
        return np.asarray(dequantize(t.data, t.tensor_type), dtype=np.float32).reshape(
            [int(n) for n in reversed(t.shape)])

    def hp(key, default=None):
        return meta.get(f"{arch}.{key}", default)

    n_heads = int(hp("attention.head_count"))
    dim = int(hp("embedding_length"))
    head_dim = int(hp("attention.key_length", dim // n_heads))
    emb = mat("token_embd.weight")
    cfg = Config(
        n_layers=int(hp("block_count")), dim=dim,
        hidden_dim=int(hp("feed_forward_length")), n_heads=n_heads,
        n_kv_heads=int(hp("attention.head_count_kv", n_heads)),
        n_vocab=emb.shape[0], head_size=head_dim,
        rope_dim=int(hp("rope.dimension_count", head_dim)),
        rope_base=float(hp("rope.freq_base", 10000.0)),
        rms_eps=float(hp("attention.layer_norm_rms_epsilon", 1e-5)),
        arch=arch, sliding_window=int(hp("attention.sliding_window", 0)) if arch == "gemma3" else 0,
        rope_base_swa=float(hp("rope.freq_base_swa", 10000.0)))

    names = {"attn_norm": "attn_norm.weight", "ffn_norm": "ffn_norm.weight", "wq": "attn_q.weight",
             "wk": "attn_k.weight", "wv": "attn_v.weight", "wo": "attn_output.weight",
             "w_gate": "ffn_gate.weight", "w_up": "ffn_up.weight", "w_down": "ffn_down.weight",
             "bq": "attn_q.bias", "bk": "attn_k.bias", "bv": "attn_v.bias",
             "q_norm": "attn_q_norm.weight", "k_norm": "attn_k_norm.weight",
             "post_attn_norm": "post_attention_norm.weight", "post_ffn_norm": "post_ffw_norm.weight"}

    def layer(i: int) -> dict[str, np.ndarray]:
        return {k: mat(f"blk.{i}.{v}") for k, v in names.items() if f"blk.{i}.{v}" in tensors}

    output = mat("output.weight") if "output.weight" in tensors else emb
    return Model(cfg, emb, output, mat("output_norm.weight"), layer, meta)


# ---- llama2.c --------------------------------------------------------------

def load_llama2c(path: str | Path) -> Model:
    raw = Path(path).read_bytes()
    dim, hidden, n_layers, n_heads, n_kv, vocab, seq_len = np.frombuffer(raw[:28], "<i4")
    shared = vocab > 0
    vocab = abs(int(vocab))
    w = np.frombuffer(raw, "<f4", offset=28)
    hd = dim // n_heads
    kv_dim = n_kv * hd
    at = 0

    def take(*shape):
        nonlocal at
        n = int(np.prod(shape))
        a = w[at:at + n].reshape(shape)
        at += n
        return a

    emb = take(vocab, dim)
    att_norm = take(n_layers, dim)
    wq, wk = take(n_layers, dim, dim), take(n_layers, kv_dim, dim)
    wv, wo = take(n_layers, kv_dim, dim), take(n_layers, dim, dim)
    ffn_norm = take(n_layers, dim)
    w1, w2, w3 = take(n_layers, hidden, dim), take(n_layers, dim, hidden), take(n_layers, hidden, dim)
    final_norm = take(dim)
    take(seq_len, hd)  # the unused RoPE tables (real and imaginary halves)
    output = emb if shared else take(vocab, dim)
    cfg = Config(n_layers=int(n_layers), dim=int(dim), hidden_dim=int(hidden), n_heads=int(n_heads),
                 n_kv_heads=int(n_kv), n_vocab=vocab, rope_dim=int(hd))

    def layer(i: int) -> dict[str, np.ndarray]:
        return {"attn_norm": att_norm[i], "ffn_norm": ffn_norm[i], "wq": wq[i], "wk": wk[i], "wv": wv[i],
                "wo": wo[i], "w_gate": w1[i], "w_up": w3[i], "w_down": w2[i]}

    return Model(cfg, emb, output, final_norm, layer, {"format": "llama2c", "seq_len": int(seq_len)})


def load(path: str | Path) -> Model:
    with open(path, "rb") as f:
        magic = f.read(4)
    return load_gguf(path) if magic == b"GGUF" else load_llama2c(path)


# ---- comparing logits ------------------------------------------------------

def log_softmax(logits: np.ndarray) -> np.ndarray:
    z = logits.astype(np.float64)
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def kl_divergence(ref_logits: np.ndarray, logits: np.ndarray) -> np.ndarray:
    """KL(ref || engine) per row, in nats."""
    lp, lq = log_softmax(ref_logits), log_softmax(logits)
    return (np.exp(lp) * (lp - lq)).sum(axis=-1)
