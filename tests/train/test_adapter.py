"""The adapters the engine trains, outside the gradient check: llama.cpp
(llama-cpp-python) loads the GGUF adapter myos-llm writes and its greedy
tokens with it equal `myos-llm --lora`'s up to the first step where
llama.cpp's top two logits are closer than 0.5 (there the engines' rounding
may pick either), at --lora-scale 1 and 0.5 (llama.cpp's lora_scale); they
differ from the base model's greedy tokens, and equal them at scale 0; and the
training really learns: after training on tests/train/heldout.txt (written
for these tests), the loss on that text falls by at least 30% against the
base model."""
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from myos.llama_ref import open_model
from myos.torch_lora import MYOS_LLM, myos_train

HELDOUT = Path(__file__).with_name("heldout.txt")
PROMPT = "Every evening at the sixth bell, the keeper of Quillmoor Lighthouse opens the green ledger and"
N_GEN = 24
GAP = 0.5
# Training of the module's adapter: all seven targets, two passes over the text.
CTX, STEPS, LR = 64, 18, 3e-3
TRAIN = ["--train-ctx", CTX, "--lr", LR, "--lora-targets", "q,k,v,o,gate,down,up", "--seed", 1]


@pytest.fixture(scope="module")
def adapter(smollm2_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("adapter") / "heldout.lora.gguf"
    losses, tokens = myos_train(smollm2_path, HELDOUT, out, "--steps", STEPS, *TRAIN)
    assert len(losses) == STEPS
    return out, tokens


def greedy_myos(model, *extra):
    r = subprocess.run([str(MYOS_LLM), "-m", str(model), "-p", PROMPT, "-n", str(N_GEN), "--temp", "0",
                        "--print-ids", *map(str, extra)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    ids = lambda label: [int(x) for x in re.search(rf"^{label}:(.*)$", r.stdout, re.M).group(1).split()]
    return ids("prompt_ids"), ids("generated_ids")


# --lora-scale as llama.cpp's lora_scale multiplies the adapter's product.
@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_llama_cpp_follows_the_adapter(smollm2_path, adapter, scale):
    path, _ = adapter
    prompt, ours = greedy_myos(smollm2_path, "--lora", path, *(["--lora-scale", scale] if scale != 1.0 else []))
    _, base = greedy_myos(smollm2_path)
    llm = open_model(smollm2_path, lora_path=str(path), lora_scale=scale, n_ctx=256, n_threads=1,
                     logits_all=True, verbose=False)
    llm.eval(prompt)
    theirs, gaps = [], []
    for _ in range(N_GEN):
        logits = np.array(llm.scores[llm.n_tokens - 1], dtype=np.float64)
        top2 = np.sort(logits)[-2:]
        theirs.append(int(np.argmax(logits)))
        gaps.append(float(top2[1] - top2[0]))
        llm.eval([theirs[-1]])
    close = next((i for i, g in enumerate(gaps) if g < GAP), N_GEN)
    print(f"scale {scale}: llama.cpp with the adapter: {theirs}\nmyos-llm --lora: {ours}\nbase: {base}\n"
          f"compared up to step {close} (top-two gap below {GAP} there)")
    assert close >= 4, gaps
    assert ours[:close] == theirs[:close]
    if scale == 1.0:
        assert ours != base, "the adapter does not change the greedy continuation"


def test_lora_scale_zero_is_the_base_model(smollm2_path, adapter):
    """y = W x + 0 * (B (A x)) is W x to the bit: the base model's tokens."""
    path, _ = adapter
    assert greedy_myos(smollm2_path, "--lora", path, "--lora-scale", 0) == greedy_myos(smollm2_path)


def chunk_losses(model, adapter_path, out):
    """The loss of every chunk of the held-out text under an adapter (lr 0:
    the adapter does not move)."""
    n_chunks = (len(myos_train(model, HELDOUT, out, "--steps", 0, *TRAIN)[1]) - 1) // CTX
    losses, _ = myos_train(model, HELDOUT, out, "--lora", adapter_path, "--steps", n_chunks, "--lr", 0,
                           "--train-ctx", CTX)
    return losses


def test_training_lowers_the_loss_on_the_text(smollm2_path, adapter, tmp_path):
    path, _ = adapter
    # The adapter's start (B = 0) is the base model exactly.
    myos_train(smollm2_path, HELDOUT, tmp_path / "start.gguf", "--steps", 0, *TRAIN)
    base = np.mean(chunk_losses(smollm2_path, tmp_path / "start.gguf", tmp_path / "x.gguf"))
    trained = np.mean(chunk_losses(smollm2_path, path, tmp_path / "x.gguf"))
    print(f"held-out text: mean loss {base:.4f} with the base model, {trained:.4f} after {STEPS} steps "
          f"({100 * (1 - trained / base):.1f}% lower)")
    assert trained <= 0.7 * base
