"""llm/matmul/quant.c against the gguf package: dequantization of random blocks of
every supported type (bit-exact), activation quantization, f32->f16, and the
integer matrix-vector kernels against float math within the error the 16-bit
activation blocks can introduce."""
import subprocess

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize, quantize

from myos import BUILD

# Random bytes include inf/NaN scales on purpose: numpy warns about them.
pytestmark = pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning", "ignore:overflow:RuntimeWarning")

HARNESS = BUILD / "tests" / "quant_harness"
TYPES = [T.F32, T.F16, T.BF16, T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0, T.Q4_K, T.Q5_K, T.Q6_K]
FLOATS = {T.F32: np.float32, T.F16: np.float16}  # BF16 has no numpy type: its blocks are any bytes
BLOCK = {T.F32: (1, 4), T.F16: (1, 2), T.BF16: (1, 2), T.Q4_0: (32, 18), T.Q4_1: (32, 20),
         T.Q5_0: (32, 22), T.Q5_1: (32, 24), T.Q8_0: (32, 34), T.Q4_K: (256, 144),
         T.Q5_K: (256, 176), T.Q6_K: (256, 210)}
# Byte offsets of the f16 scale fields of each block (d, and m / dmin when present).
SCALES = {T.Q4_0: [0], T.Q4_1: [0, 2], T.Q5_0: [0], T.Q5_1: [0, 2], T.Q8_0: [0],
          T.Q4_K: [0, 2], T.Q5_K: [0, 2], T.Q6_K: [208]}
# The types gguf.quants can quantize (it only dequantizes the K-quants).
QUANTIZABLE = [t for t in TYPES if t not in (T.Q4_K, T.Q5_K, T.Q6_K)]


def run(*args, data: bytes) -> bytes:
    r = subprocess.run([str(HARNESS), *map(str, args)], input=data, capture_output=True, check=True)
    return r.stdout


def random_blocks(rng, qtype, n_blocks, sane_scales):
    per, size = BLOCK[qtype]
    raw = rng.integers(0, 256, size=(n_blocks, size), dtype=np.uint8)
    if qtype in FLOATS:
        ftype = FLOATS[qtype]
        vals = rng.standard_normal(n_blocks).astype(ftype) if sane_scales else raw.view(ftype)
        return np.ascontiguousarray(vals).view(np.uint8).reshape(n_blocks, size), per * n_blocks
    if qtype == T.BF16:
        return raw, per * n_blocks
    if sane_scales:
        for off in SCALES[qtype]:
            f = (rng.standard_normal(n_blocks) * 0.05).astype(np.float16)
            raw[:, off:off + 2] = f.view(np.uint8).reshape(n_blocks, 2)
    return raw, per * n_blocks


@pytest.mark.parametrize("qtype", TYPES, ids=lambda t: t.name)
@pytest.mark.parametrize("sane", [True, False], ids=["scales", "any-bytes"])
def test_dequant_matches_gguf(qtype, sane):
    rng = np.random.default_rng(int(qtype) * 7 + sane)
    n_blocks = {1: 8192, 32: 4096, 256: 512}[BLOCK[qtype][0]]
    blocks, n = random_blocks(rng, qtype, n_blocks, sane)
    ours = np.frombuffer(run("dequant", int(qtype), n, data=blocks.tobytes()), dtype=np.float32)
    ref = np.asarray(dequantize(blocks.reshape(1, -1), qtype), dtype=np.float32).reshape(-1)
    assert ours.shape == ref.shape
    # Bit-exact, NaN payloads aside (any-bytes scales include inf and NaN).
    same = (ours.view(np.uint32) == ref.view(np.uint32)) | (np.isnan(ours) & np.isnan(ref))
    assert same.all(), f"first mismatch at {np.argmin(same)}: {ours[~same][:4]} vs {ref[~same][:4]}"


@pytest.mark.parametrize("qtype", QUANTIZABLE, ids=lambda t: t.name)
def test_dequant_of_gguf_quantized_weights(qtype):
    rng = np.random.default_rng(100 + int(qtype))
    w = rng.standard_normal((16, 256)).astype(np.float32)
    q = quantize(w, qtype)
    ours = np.frombuffer(run("dequant", int(qtype), w.size, data=q.tobytes()), dtype=np.float32)
    np.testing.assert_array_equal(ours, np.asarray(dequantize(q, qtype), dtype=np.float32).reshape(-1))


def test_f32_to_f16_rounds_like_numpy():
    rng = np.random.default_rng(5)
    x = np.concatenate([
        rng.standard_normal(20000).astype(np.float32) * np.float32(10.0) ** rng.integers(-9, 6, 20000),
        np.array([0.0, -0.0, np.inf, -np.inf, 65504.0, 65519.0, 65520.0, 1e-8, 2.98e-8, 5.96e-8,
                  6.1e-5, 6.0e-5, 1e6, -1e-7], dtype=np.float32),
        rng.integers(0, 2**32, 20000, dtype=np.uint64).astype(np.uint32).view(np.float32),
    ]).astype(np.float32)
    x = x[~np.isnan(x)]
    ours = np.frombuffer(run("f16", x.size, data=x.tobytes()), dtype=np.uint16)
    np.testing.assert_array_equal(ours, x.astype(np.float16).view(np.uint16))


def test_activation_blocks():
    rng = np.random.default_rng(9)
    x = (rng.standard_normal(32 * 64) * np.repeat(rng.uniform(0, 5, 64), 32)).astype(np.float32)
    x[32:64] = 0.0  # an all-zero block must not divide by zero
    rec = np.dtype([("d", "<f4"), ("s", "<f4"), ("qs", "<i2", 32)])
    q = np.frombuffer(run("act", x.size, data=x.tobytes()), dtype=rec)
    xb = x.reshape(-1, 32)
    amax = np.abs(xb).max(axis=1)
    np.testing.assert_allclose(q["d"], amax / 32767, rtol=1e-6)
    recon = q["d"][:, None] * q["qs"]
    # Half a step, plus the float32 rounding of x / d (relative 2^-24 of up to
    # 32767 steps) and of d * q.
    assert np.all(np.abs(recon - xb) <= q["d"][:, None] * (0.5 + 32767 * 2.0**-22))
    np.testing.assert_allclose(q["s"], q["d"] * q["qs"].astype(np.int32).sum(axis=1), rtol=1e-6)
    assert np.all(q["qs"][1] == 0) and q["d"][1] == 0


@pytest.mark.parametrize("qtype", TYPES, ids=lambda t: t.name)
def test_matvec_within_activation_error(qtype):
    rng = np.random.default_rng(200 + int(qtype))
    rows, cols = 96, 768
    if qtype in QUANTIZABLE:
        w = quantize(rng.standard_normal((rows, cols)).astype(np.float32), qtype)
    else:  # random super-blocks with plausible scales, as a row-major matrix
        blocks, _ = random_blocks(rng, qtype, rows * cols // BLOCK[qtype][0], True)
        w = blocks.reshape(rows, -1)
    wf = np.asarray(dequantize(w, qtype), dtype=np.float64).reshape(rows, cols)
    x = rng.standard_normal(cols).astype(np.float32)
    out = np.frombuffer(run("matvec", int(qtype), rows, cols, data=w.tobytes() + x.tobytes()), dtype=np.float32)
    exact = wf @ x.astype(np.float64)
    if BLOCK[qtype][0] == 1:
        bound = 1e-4 * np.abs(wf) @ np.abs(x)  # float accumulation only
    else:
        # The activation is rounded to d/2 per element, d = block amax / 32767.
        d = np.abs(x.reshape(-1, 32)).max(axis=1) / 32767
        bound = (np.abs(wf).reshape(rows, -1, 32).sum(axis=2) * d / 2).sum(axis=1) * 1.001 + 1e-4 * (
            np.abs(wf) @ np.abs(x))
    err = np.abs(out - exact)
    assert np.all(err <= bound), f"max excess {np.max(err - bound)}"
    # And the error is far below the signal: the kernel is not merely bounded.
    assert np.sqrt(np.mean((out - exact) ** 2)) < 1e-3 * np.sqrt(np.mean(exact ** 2))
