"""The repacked integer matrix-vector kernels (llm/matmul/repack.c, llm/matmul/kernels_*.c,
llm/matmul/matmul.c, llm/matmul/select.c) through build/tests/kernels_harness: every variant equals the
scalar reference bit for bit on every repacked block format, and the recipe
stays close to the float product of the dequantized weights on the real
model's matrices and on synthetic ones of the other formats."""
import subprocess

import numpy as np
import pytest
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader
from gguf.quants import dequantize, quantize

GGML_IDS = {"Q4_1": 3, "Q8_0": 8}


@pytest.fixture(scope="module")
def harness(build_dir):
    path = build_dir / "tests" / "kernels_harness"
    if not path.exists():
        pytest.fail(f"{path} is missing: run make")
    return path


@pytest.fixture(scope="module")
def tensors(smollm2_path):
    return {t.name: t for t in GGUFReader(smollm2_path).tensors}


def run(harness, *args):
    return subprocess.run([str(harness), *map(str, args)], capture_output=True, text=True, timeout=120)


def test_selftest_all_variants_bit_exact(harness):
    out = run(harness, "selftest")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.strip() == "ok"


def test_report_lists_measured_variants(harness):
    out = run(harness, "report", 2)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    variants = {l.split()[1]: l.split() for l in lines if l.startswith("variant ")}
    assert "scalar" in variants and variants["scalar"][3] == "1"
    chosen = dict(zip(lines[-1].split()[1::2], lines[-1].split()[2::2]))
    for fmt in ("q4", "q8"):
        assert chosen[fmt] in variants, lines
        assert variants[chosen[fmt]][3] == "1"  # allowed on this CPU
        assert variants[chosen[fmt]][5] == "1"  # and exact


def activation(cols, seed):
    """Activations shaped like the model's: mostly small, a few outliers."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(cols).astype(np.float32)
    x[rng.integers(0, cols, 4)] *= 30.0
    return x


@pytest.mark.parametrize("name,rows", [
    ("blk.0.attn_k.weight", None),
    ("blk.3.ffn_down.weight", None),
    ("blk.7.ffn_gate.weight", None),
    ("token_embd.weight", 3000),
])
def test_real_matrices(harness, tensors, tmp_path, name, rows):
    t = tensors[name]
    raw = np.asarray(t.data)
    if rows:
        raw = raw[:rows]
    n_rows, cols = raw.shape[0], int(t.shape[0])
    w = dequantize(raw, t.tensor_type).reshape(n_rows, cols).astype(np.float64)
    x = activation(cols, n_rows)
    (tmp_path / "w.bin").write_bytes(raw.tobytes())
    (tmp_path / "x.bin").write_bytes(x.tobytes())
    out = run(harness, "run", GGML_IDS[t.tensor_type.name], n_rows, cols,
              tmp_path / "w.bin", tmp_path / "x.bin", tmp_path / "y.bin")
    assert out.returncode == 0, out.stderr
    names = out.stdout.split()
    ys = np.fromfile(tmp_path / "y.bin", dtype=np.float32).reshape(len(names), n_rows)
    assert names[0] == "scalar" and names[-1] == "matmul"
    for name_v, y in zip(names[1:], ys[1:]):
        assert y.tobytes() == ys[0].tobytes(), f"{name_v} differs from scalar"
    ref = w @ x.astype(np.float64)
    err = np.linalg.norm(ys[0] - ref) / np.linalg.norm(ref)
    # Q8_0 rows are requantized to one int8 unit per row, hence the wider bound.
    assert err < (1e-2 if t.tensor_type.name == "Q8_0" else 3e-3), err


# Bytes and f16 scale fields of each K-quant super-block (gguf.quants only dequantizes these).
K_BLOCKS = {T.Q4_K: (144, [0, 2]), T.Q5_K: (176, [0, 2]), T.Q6_K: (210, [208])}


def random_weights(qtype, rows, cols, rng):
    """A rows x cols matrix in qtype's file layout: gguf-quantized Gaussian
    weights, or for the K-quants random super-blocks with a model's scales
    (d and dmin about 1e-3, so weights about 0.01 to 0.1)."""
    if qtype not in K_BLOCKS:
        return quantize((rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32), qtype)
    size, scales = K_BLOCKS[qtype]
    raw = rng.integers(0, 256, size=(rows * cols // 256, size), dtype=np.uint8)
    for off in scales:
        f = rng.uniform(2e-4, 2e-3, raw.shape[0]).astype(np.float16)
        raw[:, off:off + 2] = f.view(np.uint8).reshape(-1, 2)
    return raw.reshape(rows, -1)


# The repacked formats beside Q4_1 / Q8_0, with the relative error of the
# product against float math on the gguf package's dequantized weights:
# the 12-bit activations and the integer block scales (about 1e-3); BF16 is
# rounded to 8 bits per block of 32 like Q8_0 weights (repack.h), hence its
# wider bound.
NEW_FORMATS = {T.Q4_0: 1e-2, T.Q5_0: 1e-2, T.Q5_1: 3e-3, T.Q4_K: 3e-3, T.Q5_K: 3e-3, T.Q6_K: 3e-3,
               T.BF16: 1e-2}


@pytest.mark.parametrize("qtype", list(NEW_FORMATS), ids=lambda t: t.name)
def test_repacked_formats(harness, tmp_path, qtype):
    """Every block format the engine repacks (Q4_0, Q5_0 and BF16 into the
    Q8_0 layout, Q4_K into Q4_1's, Q5_1, Q5_K and Q6_K into bytes with
    scales per 16 columns): every variant equals the scalar kernel bit for
    bit, also through the engine's entry point, and the product stays as
    close to the float one as the recipe allows."""
    rng = np.random.default_rng(int(qtype))
    rows, cols = 72, 1536
    raw = random_weights(qtype, rows, cols, rng)
    x = activation(cols, 7)
    (tmp_path / "w.bin").write_bytes(raw.tobytes())
    (tmp_path / "x.bin").write_bytes(x.tobytes())
    out = run(harness, "run", int(qtype), rows, cols, tmp_path / "w.bin", tmp_path / "x.bin", tmp_path / "y.bin")
    assert out.returncode == 0, out.stderr
    names = out.stdout.split()
    ys = np.fromfile(tmp_path / "y.bin", dtype=np.float32).reshape(len(names), rows)
    assert names[0] == "scalar" and names[-1] == "matmul" and len(names) >= 3
    for name_v, y in zip(names[1:], ys[1:]):
        assert y.tobytes() == ys[0].tobytes(), f"{name_v} differs from scalar"
    ref = np.asarray(dequantize(raw, qtype), dtype=np.float64).reshape(rows, cols) @ x.astype(np.float64)
    err = np.linalg.norm(ys[0] - ref) / np.linalg.norm(ref)
    assert err < NEW_FORMATS[qtype], err


def test_non_finite_activation_gives_nan_not_noise(harness, tensors, tmp_path):
    t = tensors["blk.0.attn_v.weight"]
    raw = np.asarray(t.data)
    x = activation(int(t.shape[0]), 1)
    x[100] = np.nan
    (tmp_path / "w.bin").write_bytes(raw.tobytes())
    (tmp_path / "x.bin").write_bytes(x.tobytes())
    out = run(harness, "run", 3, raw.shape[0], int(t.shape[0]), tmp_path / "w.bin",
              tmp_path / "x.bin", tmp_path / "y.bin")
    assert out.returncode == 0, out.stderr
    assert np.isnan(np.fromfile(tmp_path / "y.bin", dtype=np.float32)).all()


def variants_allowed(harness):
    lines = run(harness, "report", 1).stdout.splitlines()
    return [l.split()[1] for l in lines if l.startswith("variant ") and l.split()[3] == "1"]


def test_every_variant_gives_the_same_logits(harness, build_dir, smollm2_path):
    """The forward pass on every kernel variant, 64- and 32-bit builds: the
    logits are identical to the byte, so test_forward.py's reference check of
    the default choice holds for each variant."""
    ids = ["1", "504", "3575", "282", "4649", "314", "7042", "30", "198", "504", "2988", "314"]
    outputs = {}
    for prog in ("forward_harness", "forward_harness32"):
        for kernel in variants_allowed(harness) + ["auto"]:
            r = subprocess.run([str(build_dir / "tests" / prog), str(smollm2_path), *ids],
                               capture_output=True, timeout=300, env={"MYOS_KERNEL": kernel})
            assert r.returncode == 0, r.stderr.decode()
            outputs[prog, kernel] = r.stdout
    first = next(iter(outputs.values()))
    assert len(first) == len(ids) * 49152 * 4
    for key, out in outputs.items():
        assert out == first, f"{key} differs"


def test_unknown_variant_is_one_clear_error(build_dir, smollm2_path):
    r = subprocess.run([str(build_dir / "host" / "myos-llm"), "-m", str(smollm2_path), "-p", "hi",
                        "--kernel", "fastest"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.strip() == "myos-llm: --kernel: unknown kernel 'fastest' (scalar, avx2, avx2-madd, sse2, or auto)"
