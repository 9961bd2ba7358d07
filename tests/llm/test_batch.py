"""Prompt evaluation with several tokens per llm_eval call (build/tests/
batch_harness): after each call the logits are identical to the byte to the
token-by-token path's (build/tests/forward_harness) at the same position, on
every kernel variant; a call with a bad id evaluates none of its tokens."""
import subprocess

import numpy as np
import pytest

IDS = [1, 504, 3575, 282, 4649, 314, 7042, 30, 198, 504, 2988, 314, 260, 1345, 28, 2437, 2215]
N_VOCAB = 49152


def variants(build_dir):
    out = subprocess.run([str(build_dir / "tests" / "kernels_harness"), "report", "1"], capture_output=True,
                         text=True, check=True).stdout.splitlines()
    return [l.split()[1] for l in out if l.startswith("variant ") and l.split()[3] == "1"]


def logits(build_dir, prog, kernel, *args):
    r = subprocess.run([str(build_dir / "tests" / prog), *map(str, args)], capture_output=True, timeout=300,
                       env={"MYOS_KERNEL": kernel})
    assert r.returncode == 0, r.stderr.decode()
    return np.frombuffer(r.stdout, dtype=np.float32).reshape(-1, N_VOCAB)


@pytest.fixture(scope="module")
def token_by_token(build_dir, smollm2_path):
    """Per kernel variant: the logits at every position, one token per call."""
    return {kernel: logits(build_dir, "forward_harness", kernel, smollm2_path, *IDS)
            for kernel in variants(build_dir) + ["auto"]}


@pytest.mark.parametrize("chunk", [5, 16, len(IDS)])
def test_batched_logits_equal_token_by_token(build_dir, smollm2_path, token_by_token, chunk):
    for kernel, single in token_by_token.items():
        batched = logits(build_dir, "batch_harness", kernel, smollm2_path, chunk, *IDS)
        ends = [min(i + chunk, len(IDS)) - 1 for i in range(0, len(IDS), chunk)]
        assert batched.shape == (len(ends), N_VOCAB)
        assert batched.tobytes() == single[ends].tobytes(), f"kernel {kernel}, chunk {chunk}"


def test_bad_id_in_a_call_evaluates_none_of_it(build_dir, smollm2_path):
    r = subprocess.run([str(build_dir / "tests" / "batch_harness"), str(smollm2_path), "3", "1", "504", "3575",
                        "282", str(N_VOCAB), "314"], capture_output=True, timeout=60)
    assert r.returncode == 1
    assert len(r.stdout) == N_VOCAB * 4  # the first call's logits only
    assert r.stderr.decode().strip() == (f"error at position 3: token id {N_VOCAB} out of range "
                                         f"(vocabulary {N_VOCAB})")
