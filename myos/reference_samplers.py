"""Reference of llm/sampler.c in numpy: the same chain (repetition penalty ->
top-k -> top-p -> min-p -> temperature -> draw), the same float32 operations in
the same order, and the same random stream (splitmix64-seeded xorshift64*), so
a seed gives the same draws here as in the engine. See llm/sampler.h for the
semantics; tests/llm/test_sampler.py compares the two."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MASK64 = (1 << 64) - 1
F32 = np.float32


@dataclass
class SamplerParams:
    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.95
    min_p: float = 0.05
    repeat_penalty: float = 1.0
    repeat_last_n: int = 64
    seed: int = 0


def splitmix64(x: int) -> int:
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & MASK64
    return x ^ (x >> 31)


class Rng:
    """xorshift64* seeded through splitmix64; uniform() -> float32 in [0,1)."""

    def __init__(self, seed: int):
        self.state = splitmix64(seed & MASK64) or 0x9E3779B97F4A7C15

    def uniform(self) -> np.float32:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & MASK64
        x ^= x >> 27
        self.state = x
        out = (x * 0x2545F4914F6CDD1D) & MASK64
        return F32(out >> 40) * F32(1.0 / 16777216.0)


def _h(x: str) -> np.float32:
    return F32(float.fromhex(x))


LOG2E, LN2_HI, LN2_LO = _h("0x1.715476p+0"), _h("0x1.62e4p-1"), _h("0x1.7f7d1cp-20")
TAYLOR = [_h("0x1.a01a02p-13"), _h("0x1.6c16c2p-10"), _h("0x1.111112p-7"), _h("0x1.555556p-5"),
          _h("0x1.555556p-3"), F32(0.5), F32(1.0), F32(1.0)]


def exp_neg(x) -> np.ndarray:
    """The sampler's own exp for x <= 0 (sampler.c exp_neg), operation for
    operation in float32: 0 below -64 and for NaN."""
    x = np.atleast_1d(np.asarray(x, dtype=np.float32))
    with np.errstate(invalid="ignore"):
        dead = ~(x >= F32(-64.0))
        x = np.where(dead, F32(0.0), np.minimum(x, F32(0.0)))
    k = np.trunc(x * LOG2E - F32(0.5)).astype(np.int32)
    kf = k.astype(np.float32)
    r = (x - kf * LN2_HI) - kf * LN2_LO
    p = np.full_like(r, TAYLOR[0])
    for c in TAYLOR[1:]:
        p = p * r + c
    scale = ((k + 127).astype(np.uint32) << np.uint32(23)).view(np.float32)
    return np.where(dead, F32(0.0), p * scale)


def _seq_sum(x: np.ndarray) -> np.float32:
    """Left-to-right float32 sum, the order the C loops use."""
    return np.cumsum(x, dtype=np.float32)[-1]


def _sort_desc(logits: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Order by logit descending, lower id first on ties."""
    return np.lexsort((ids, -logits))


def apply_penalty(logits: np.ndarray, params: SamplerParams, recent) -> np.ndarray:
    """Each distinct id among the last repeat_last_n: positive logit divided by
    the penalty, zero or negative multiplied. Ids outside the vocabulary are ignored."""
    out = np.array(logits, dtype=np.float32)
    pen = F32(params.repeat_penalty)
    if pen == F32(1.0) or params.repeat_last_n <= 0 or len(recent) == 0:
        return out
    window = list(recent)[-params.repeat_last_n:]
    for tid in dict.fromkeys(window):
        if 0 <= tid < len(out):
            out[tid] = out[tid] * pen if out[tid] <= 0 else out[tid] / pen
    return out


def filter_candidates(logits, params: SamplerParams, recent=()):
    """The survivors before the temperature stage: (ids, logits) in candidate
    order, or a single argmax for greedy (temperature <= 0)."""
    lg = apply_penalty(logits, params, recent)
    if F32(params.temperature) <= 0:
        best = int(np.argmax(lg))
        return np.array([best]), lg[[best]], True
    ids = np.arange(len(lg))
    is_sorted = False
    if 0 < params.top_k < len(lg):
        order = _sort_desc(lg, ids)[: params.top_k]
        ids, lg = ids[order], lg[order]
        is_sorted = True
    if F32(params.top_p) < 1:
        mx = lg.max()
        e = exp_neg(lg - mx)
        z = _seq_sum(e)
        if not is_sorted:
            order = _sort_desc(lg, ids)
            ids, lg, e = ids[order], lg[order], e[order]
            is_sorted = True
        cum = np.cumsum(e / z, dtype=np.float32)
        reached = np.nonzero(cum >= F32(params.top_p))[0]
        k = int(reached[0]) + 1 if len(reached) else len(lg)
        ids, lg = ids[:k], lg[:k]
    if F32(params.min_p) > 0:
        min_p = min(F32(params.min_p), F32(1.0))
        keep = exp_neg(lg - lg.max()) >= min_p
        if not keep.any():
            keep[0] = True
        ids, lg = ids[keep], lg[keep]
    return ids, lg, False


def _weights(lg: np.ndarray, temperature: float) -> np.ndarray:
    return exp_neg((lg - lg.max()) / F32(temperature))


def candidates(logits, params: SamplerParams, recent=()):
    """(ids, probabilities) of the final distribution, as sampler_candidates."""
    ids, lg, greedy = filter_candidates(logits, params, recent)
    if greedy:
        return ids, np.array([1.0], dtype=np.float32)
    w = _weights(lg, params.temperature)
    return ids, w / _seq_sum(w)


class Sampler:
    """One sampler with its random stream, as sampler_create/sampler_sample."""

    def __init__(self, params: SamplerParams):
        self.params = params
        self.rng = Rng(params.seed)

    def sample(self, logits, recent=()) -> int:
        ids, lg, greedy = filter_candidates(logits, self.params, recent)
        if greedy:
            return int(ids[0])
        w = _weights(lg, self.params.temperature)
        cum = np.cumsum(w, dtype=np.float32)
        target = self.rng.uniform() * cum[-1]
        above = np.nonzero(cum > target)[0]
        return int(ids[above[0]] if len(above) else ids[-1])
