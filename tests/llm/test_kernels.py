"""The repacked integer matrix-vector kernels (llm/matmul/repack.c, llm/matmul/kernels_*.c,
llm/matmul/matmul.c, llm/matmul/select.c) through build/tests/kernels_harness: every variant equals the
scalar reference bit for bit, and the recipe stays close to the float product
of the dequantized weights on the real model's matrices."""
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


@pytest.mark.parametrize("qtype", [T.Q5_0, T.Q4_0], ids=lambda t: t.name)
def test_q5_0_and_q4_0_run_repacked_as_q8_0(harness, tmp_path, qtype):
    """Q5_0 and Q4_0 blocks are repacked as the Q8_0 blocks of the same
    values: every variant equals the scalar kernel, and the product is as
    close to the float one as for Q8_0 weights."""
    rng = np.random.default_rng(int(qtype))
    rows, cols = 72, 896
    w = (rng.standard_normal((rows, cols)) / np.sqrt(cols)).astype(np.float32)
    raw = quantize(w, qtype)
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
    ref = dequantize(raw, qtype).reshape(rows, cols).astype(np.float64) @ x.astype(np.float64)
    assert np.linalg.norm(ys[0] - ref) / np.linalg.norm(ref) < 1e-2


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
