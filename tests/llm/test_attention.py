"""The integer attention (llm/attention.c): its AVX2 loops give the same bits
as its scalar ones, on head sizes with and without an AVX2 path, long and
short contexts, grouped and plain heads. Accuracy against the float model is
test_forward.py's job."""
import subprocess

import pytest

from myos import BUILD

HARNESS = BUILD / "tests" / "attention_harness"


@pytest.mark.parametrize("head_dim,n_heads,n_kv_heads,positions,seed", [
    (64, 9, 3, 300, 1),    # SmolLM2's shape
    (128, 4, 4, 60, 2),
    (16, 2, 1, 40, 3),
    (256, 2, 1, 20, 4),
    (40, 2, 2, 20, 5),     # no AVX2 path: scalar only, still must run
])
def test_variants_give_the_same_bits(head_dim, n_heads, n_kv_heads, positions, seed):
    res = subprocess.run([str(HARNESS), str(head_dim), str(n_heads), str(n_kv_heads), str(positions), str(seed)],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    lines = res.stdout.split("\n")
    assert lines[0] in ("scalar", "scalar avx2") and "equal" in lines[1]
    if head_dim % 16:
        assert lines[0] == "scalar"
