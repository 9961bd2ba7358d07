"""The training's float32 products (llm/train/float_products.c) and the
dequantization of the rows they read give the same bits in the host
program's build (x86-64, eight-float AVX vectors where the machine has them)
and in the kernel's (32-bit, four-float SSE2 vectors, products_harness32),
and the products sum in exactly the order float_products.h gives: numpy
float32 taking the same steps gives the same bits. The OS's `train` equals
myos-llm --train only if they do (test_train_qemu.py checks that whole)."""
import subprocess

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf.quants import dequantize

from myos import BUILD

HARNESSES = {"host": BUILD / "tests" / "products_harness", "32-bit": BUILD / "tests" / "products_harness32"}
FP_ROWS = 4


def run_both(*args, data: bytes) -> bytes:
    """The output of both builds, which must be the same bytes."""
    outs = {name: subprocess.run([str(path), *map(str, args)], input=data, capture_output=True, check=True).stdout
            for name, path in HARNESSES.items()}
    assert outs["host"] == outs["32-bit"], f"the builds differ on {args}"
    return outs["host"]


def floats(rng, *shape) -> np.ndarray:
    # Spread exponents, so that a different order of the sums rounds differently.
    return (rng.standard_normal(shape) * np.exp2(rng.integers(-6, 7, shape))).astype(np.float32)


def dot_reference(w, x, out, nr, f, acc):
    """fp_dot_rows as float_products.h defines it, in numpy float32."""
    n, cols = x.shape
    vec = cols & ~7
    lanes = np.zeros((n, FP_ROWS, 8), np.float32)
    for c in range(0, vec, 8):
        lanes += x[:, None, c:c + 8] * w[None, :, c:c + 8]
    s = (lanes[..., 0] + lanes[..., 4]) + (lanes[..., 2] + lanes[..., 6])
    s = s + ((lanes[..., 1] + lanes[..., 5]) + (lanes[..., 3] + lanes[..., 7]))
    for c in range(vec, cols):
        s = s + x[:, None, c] * w[None, :, c]
    res = out.copy()
    res[:, :nr] = out[:, :nr] + f * s[:, :nr] if acc else f * s[:, :nr]
    return res


def sum_reference(rows, g, out, f):
    """fp_sum_rows: out[o] += f * sum over rows i in order, from 0, of g[o, i] * rows[i]."""
    a = np.zeros(out.shape, np.float32)
    for i in range(rows.shape[0]):
        a = a + g[:, i:i + 1] * rows[i][None, :]
    return out + f * a


# Columns: below one vector, whole vectors of 4 and 8, a ragged tail; tokens
# and outputs around the tiles' sizes (4 on the host, 1 or 2 in the kernel).
@pytest.mark.parametrize("cols", [3, 8, 12, 29, 64, 100])
@pytest.mark.parametrize("n", [1, 2, 5, 9])
def test_dot_rows(cols, n):
    rng = np.random.default_rng(cols * 100 + n)
    for nr in range(1, FP_ROWS + 1):
        for acc in (0, 1):
            w, x, out = floats(rng, FP_ROWS, cols), floats(rng, n, cols), floats(rng, n, FP_ROWS)
            f = np.float32(0.75)
            got = np.frombuffer(run_both("dot", nr, cols, n, f, acc,
                                         data=w.tobytes() + x.tobytes() + out.tobytes()), np.float32)
            ref = dot_reference(w, x, out, nr, f, acc)
            # The dropped rows' outputs stay as they were.
            assert got.tobytes() == ref.tobytes(), (nr, acc)


@pytest.mark.parametrize("cols", [3, 8, 12, 29, 64, 100])
@pytest.mark.parametrize("n", [1, 3, 4, 9])
@pytest.mark.parametrize("nr", [1, 7, 64])
def test_sum_rows(cols, n, nr):
    rng = np.random.default_rng(cols * 1000 + n * 10 + nr)
    for by_row in (0, 1):
        rows, g, out = floats(rng, nr, cols), floats(rng, n, nr), floats(rng, n, cols)
        f = np.float32(0.5)
        gdata = (g.T if by_row else g).astype(np.float32).tobytes()
        got = np.frombuffer(run_both("sum", nr, cols, n, f, by_row, data=rows.tobytes() + gdata + out.tobytes()),
                            np.float32)
        assert got.tobytes() == sum_reference(rows, g, out, f).reshape(-1).tobytes(), by_row


@pytest.mark.parametrize("qtype", [T.Q4_0, T.Q4_1, T.Q5_0, T.Q5_1, T.Q8_0])
def test_dequantization(qtype):
    """The block types the training dequantizes with vector code."""
    block_bytes = {T.Q4_0: 18, T.Q4_1: 20, T.Q5_0: 22, T.Q5_1: 24, T.Q8_0: 34}[qtype]
    rng = np.random.default_rng(int(qtype))
    blocks = rng.integers(0, 256, (256, block_bytes), dtype=np.uint8)
    # Finite f16 scales (the exponent below 31), from tiny to large.
    blocks[:, 1] &= 0x7b
    if qtype in (T.Q4_1, T.Q5_1):
        blocks[:, 3] &= 0x7b
    got = np.frombuffer(run_both("dequant", int(qtype), 256 * 32, data=blocks.tobytes()), np.float32)
    ref = np.asarray(dequantize(blocks.reshape(1, -1), qtype), np.float32).reshape(-1)
    assert got.tobytes() == ref.tobytes()
