"""A PyTorch float32 model of the network the engine trains: the llama
forward pass (RMSNorm, RoPE on adjacent pairs, causal grouped-query
attention, SwiGLU, tied or own output) with LoRA products
y = W x + (alpha / rank) B (A x) on the adapted matrices, the base weights
dequantized by the `gguf` package or read from the llama2.c file
(myos.reference's loaders), and torch's own autograd, AdamW and
clip_grad_norm_. The engine's gradients and losses are checked against it.

Also the engine's side of a comparison: running myos-llm --train, reading
the GGUF files it writes, and writing adapters for it with the gguf package.
Used by the training tests (tests/train) and the training benchmark
(myos.bench_train); importing it sets torch to one thread, the engine's
setting in both.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import torch

from myos import BUILD
from myos.reference import load

MYOS_LLM = BUILD / "host" / "myos-llm"
# Adapter target names -> the model's layer matrices (llama.cpp's tensor names).
TARGETS = {"q": "attn_q", "k": "attn_k", "v": "attn_v", "o": "attn_output", "gate": "ffn_gate",
           "down": "ffn_down", "up": "ffn_up"}
REF_NAMES = {"attn_q": "wq", "attn_k": "wk", "attn_v": "wv", "attn_output": "wo", "ffn_gate": "w_gate",
             "ffn_down": "w_down", "ffn_up": "w_up"}
torch.set_num_threads(1)


class TorchLora:
    def __init__(self, model_path: Path):
        ref = load(model_path)
        self.cfg = c = ref.cfg
        self.emb = torch.from_numpy(np.array(ref.embedding, dtype=np.float32))
        self.out = self.emb if ref.output is ref.embedding else torch.from_numpy(np.array(ref.output, np.float32))
        self.out_norm = torch.from_numpy(np.array(ref.output_norm, np.float32))
        self.layers = [{k: torch.from_numpy(np.array(v, np.float32)) for k, v in ref.layer(i).items()}
                       for i in range(c.n_layers)]
        half = c.rope_dim // 2
        inv = 1.0 / (torch.tensor(c.rope_base, dtype=torch.float32) **
                     (torch.arange(0, half, dtype=torch.float32) * 2 / c.rope_dim))
        self.inv_freq = inv

    def to(self, dtype) -> "TorchLora":
        """The same model computing in dtype (float64: the exact reference
        that float32 implementations, torch's included, are measured by)."""
        other = object.__new__(TorchLora)
        other.cfg = self.cfg
        other.emb, other.out_norm = self.emb.to(dtype), self.out_norm.to(dtype)
        other.out = other.emb if self.out is self.emb else self.out.to(dtype)
        other.layers = [{k: v.to(dtype) for k, v in layer.items()} for layer in self.layers]
        other.inv_freq = self.inv_freq.to(dtype)
        return other

    def shape(self, matrix: str):
        w = self.layers[0][REF_NAMES[matrix]]
        return tuple(w.shape)  # rows, cols

    def _rmsnorm(self, x, w):
        return x * torch.rsqrt((x * x).mean(-1, keepdim=True) + self.cfg.rms_eps) * w

    def _rope(self, x, cos, sin):
        rd = self.cfg.rope_dim
        a, b = x[..., 0:rd:2], x[..., 1:rd:2]
        rot = torch.stack((a * cos - b * sin, a * sin + b * cos), dim=-1).flatten(-2)
        return torch.cat((rot, x[..., rd:]), dim=-1)

    def loss(self, tokens, lora: dict, alpha: float, rank: int):
        """Mean cross-entropy of predicting tokens[1:] from tokens[:-1]; lora
        maps 'blk.N.attn_q.weight' -> (A, B) tensors."""
        c = self.cfg
        T, hd = len(tokens) - 1, c.head_dim
        f = alpha / rank
        ids = torch.tensor(tokens[:-1])
        x = self.emb[ids]
        ang = torch.arange(T, dtype=self.inv_freq.dtype)[:, None] * self.inv_freq[None, :]
        cos, sin = torch.cos(ang)[:, None, :], torch.sin(ang)[:, None, :]
        mask = torch.triu(torch.full((T, T), float("-inf"), dtype=x.dtype), 1)
        group = c.n_heads // c.n_kv_heads

        def mm(li, matrix, inp):
            y = inp @ self.layers[li][REF_NAMES[matrix]].T
            ab = lora.get(f"blk.{li}.{matrix}.weight")
            if ab is not None:
                y = y + f * ((inp @ ab[0].T) @ ab[1].T)
            return y

        for li, w in enumerate(self.layers):
            h = self._rmsnorm(x, w["attn_norm"])
            q = self._rope(mm(li, "attn_q", h).view(T, c.n_heads, hd), cos, sin)
            k = self._rope(mm(li, "attn_k", h).view(T, c.n_kv_heads, hd), cos, sin)
            v = mm(li, "attn_v", h).view(T, c.n_kv_heads, hd)
            k = k.repeat_interleave(group, dim=1)
            v = v.repeat_interleave(group, dim=1)
            s = torch.einsum("thd,shd->hts", q, k) / (hd ** 0.5) + mask
            att = torch.softmax(s, dim=-1)
            o = torch.einsum("hts,shd->thd", att, v).reshape(T, c.n_heads * hd)
            x = x + mm(li, "attn_output", o)
            h = self._rmsnorm(x, w["ffn_norm"])
            g, u = mm(li, "ffn_gate", h), mm(li, "ffn_up", h)
            x = x + mm(li, "ffn_down", torch.nn.functional.silu(g) * u)
        logits = self._rmsnorm(x, self.out_norm) @ self.out.T
        return torch.nn.functional.cross_entropy(logits, torch.tensor(tokens[1:]))


def lora_params(pairs: dict) -> tuple[dict, list]:
    """Trainable float32 tensors of an adapter's (A, B) pairs, and their flat list for the optimizer."""
    params = {n: (torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True))
              for n, (a, b) in pairs.items()}
    return params, [p for ab in params.values() for p in ab]


def adamw_step(model: TorchLora, tokens, params: dict, flat: list, opt, alpha: float, rank: int) -> float:
    """One training step as the engine takes it: the loss, its gradients,
    clipping by global norm 1, AdamW; returns the loss."""
    opt.zero_grad()
    loss = model.loss(tokens, params, alpha, rank)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(flat, 1.0)
    opt.step()
    return float(loss.detach())


# ---- adapters as files -------------------------------------------------------

def read_adapter(path: Path) -> tuple[dict, float]:
    """{'blk.N.M.weight': (A, B)} as float32 numpy arrays, and alpha."""
    from gguf import GGUFReader
    r = GGUFReader(str(path))
    alpha = float(r.fields["adapter.lora.alpha"].contents())
    t = {x.name: np.array(x.data, dtype=np.float32).reshape([int(n) for n in reversed(x.shape)])
         for x in r.tensors}
    pairs = {n[:-len(".lora_a")]: (t[n], t[n[:-1] + "b"]) for n in t if n.endswith(".lora_a")}
    return pairs, alpha


def write_adapter(path: Path, pairs: dict, alpha: float, arch: str = "llama"):
    from gguf import GGUFWriter
    w = GGUFWriter(str(path), arch)
    w.add_string("general.type", "adapter")
    w.add_string("adapter.type", "lora")
    w.add_float32("adapter.lora.alpha", alpha)
    for name, (a, b) in pairs.items():
        w.add_tensor(name + ".lora_a", np.ascontiguousarray(a, dtype=np.float32))
        w.add_tensor(name + ".lora_b", np.ascontiguousarray(b, dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def random_adapter(model: TorchLora, targets, rank: int, seed: int, scale: float = 0.05) -> dict:
    """An adapter with both A and B random, so every gradient is nonzero."""
    rng = np.random.default_rng(seed)
    pairs = {}
    for li in range(model.cfg.n_layers):
        for t in targets:
            rows, cols = model.shape(TARGETS[t])
            pairs[f"blk.{li}.{TARGETS[t]}.weight"] = (rng.normal(0, scale, (rank, cols)).astype(np.float32),
                                                    rng.normal(0, scale, (rows, rank)).astype(np.float32))
    return pairs


# ---- the engine's side ---------------------------------------------------------

# The OS's training settings (`set NAME VALUE`) -> myos-llm's options.
HOST_OPTION = {"train_ctx": "--train-ctx", "train_steps": "--steps", "lora_rank": "--lora-rank",
               "lora_alpha": "--lora-alpha", "train_lr": "--lr", "lora_targets": "--lora-targets",
               "train_seed": "--train-seed"}
# One step's line of myos-llm --train: step, loss, tokens/s, seconds.
HOST_STEP = re.compile(r"^step \d+/\d+ loss (\S+) [\d.]+ tok/s ([\d.]+) s$", re.M)
# The OS's `train` line: step, steps, loss, tokens/s, seconds (kernel/shell/cmd_train.c).
OS_STEP = re.compile(r"^step (\d+)/(\d+) \[[#.]+\] loss (\S+) ([\d.]+) tok/s ([\d.]+) s$", re.M)


def host_args(settings: dict) -> list:
    """myos-llm's options for OS settings {name: value}."""
    return [a for name, value in settings.items() for a in (HOST_OPTION[name], value)]


def run_myos_train(model_path: Path, data: Path, out: Path, *args, ids: bool = False) -> str:
    """Runs myos-llm --train (or --train-ids) with --print-ids; its standard output."""
    cmd = [str(MYOS_LLM), "-m", str(model_path), "--train-ids" if ids else "--train", str(data),
           "--lora-out", str(out), "--print-ids", *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        raise RuntimeError(f"myos-llm --train failed:\n{r.stderr}")
    return r.stdout


def myos_train(model_path: Path, data: Path, out: Path, *args, ids: bool = False) -> tuple[list[float], list[int]]:
    """Runs myos-llm --train (or --train-ids); the loss of every step and the
    training token ids."""
    stdout = run_myos_train(model_path, data, out, *args, ids=ids)
    losses = [float(loss) for loss, _ in HOST_STEP.findall(stdout)]
    tokens = [int(x) for x in re.search(r"^train_ids:(.*)$", stdout, re.M).group(1).split()]
    return losses, tokens


def chunk(tokens: list[int], ctx: int, step: int) -> list[int]:
    """The ctx + 1 tokens of a step, as the engine cuts them (train.h)."""
    start = (step % ((len(tokens) - 1) // ctx)) * ctx
    return tokens[start:start + ctx + 1]


def rel_l2(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))
