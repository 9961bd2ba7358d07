"""The training differentiates llama's network only (train_forward.c,
train_backward.c): a model of another architecture (Qwen2's biases and
rotation, Gemma 3's norms, GeGLU and sliding windows) is refused with one
error line before any step, in myos-llm as in the OS's `train`, instead of
training on gradients of the wrong function."""
import subprocess

import pytest

from myos.torch_lora import MYOS_LLM

HELDOUT = __import__("pathlib").Path(__file__).with_name("heldout.txt")


@pytest.mark.parametrize("fixture, arch", [("qwen_path", "qwen2"), ("gemma_path", "gemma3")])
def test_other_architectures_are_refused(request, fixture, arch, tmp_path):
    model = request.getfixturevalue(fixture)
    out = tmp_path / "a.gguf"
    r = subprocess.run([str(MYOS_LLM), "-m", str(model), "--train", str(HELDOUT), "--lora-out", str(out),
                        "--steps", "1", "--train-ctx", "8"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if line.startswith("myos-llm:")]
    assert errors == [f"myos-llm: train: {arch} models cannot be trained: the training has llama's network only"]
    assert not out.exists()
