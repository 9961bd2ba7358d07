"""Qwen2.5-Coder-0.5B and Gemma 3 270M in the OS: `models` lists them with
their real architecture, quantization mix and size; Qwen loads at a context
of 2048 in 768 MiB of guest RAM (streamed a tensor at a time, from the
prepared weights the image builder wrote beside it, the memory check
passing with the engine's own estimate); and after `model NAME` the answers
of `ai` equal build/host/myos-llm's token for token, greedy and seeded. One
boot of an image holding all three catalogue models."""
import pytest

from myos.image import default_image
from myos.models import DEFAULT, model_path
from myos.qemu import Machine

from .conftest import (AI_BUILD, configure, host_answer, os_answer, tensor_mix, use_model,
                       words)

pytestmark = pytest.mark.qemu

QWEN, GEMMA = "qwen2.5-coder-0.5b", "gemma3-270m"
GUEST_MB = 768
# Short answers: Qwen is about four times SmolLM2's work per token.
SETTINGS = {"max_tokens": 5, "ctx": 2048}
PROMPTS = {QWEN: ["Write a Python function that adds two numbers.", "What is a linked list?"],
           GEMMA: ["The capital of France is", "Once upon a time, a brave little penguin"]}


@pytest.fixture(scope="module")
def m(catalog_model):
    for name in (QWEN, GEMMA):
        catalog_model(name)   # a missing model fails here, with how to install it
    AI_BUILD.mkdir(parents=True, exist_ok=True)
    image = default_image(AI_BUILD / "catalogue.img", [DEFAULT, QWEN, GEMMA], [], None)
    machine = Machine(memory_mb=GUEST_MB).boot(image)
    yield machine
    machine.kill()


def listing(m) -> dict[str, tuple[list[str], list[str]]]:
    """`models` as {file: (its row's columns, its tensors line's counts)}."""
    rows = m.run("models").splitlines()[1:]
    return {row.split()[0].lstrip("*"): (row.split()[1:], nxt.split()[1:])
            for row, nxt in zip(rows, rows[1:]) if nxt.startswith("    tensors ")}


def test_models_lists_architecture_quant_mix_and_size(m):
    found = listing(m)
    # The columns after the name: format, architecture, parameters, main block format, size, context.
    rows = {DEFAULT: ["gguf", "llama", "134.5M", "Q4_1", "98.4", "MB", "8192"],
            QWEN: ["gguf", "qwen2", "630.2M", "Q5_0", "491.4", "MB", "32768"],
            GEMMA: ["gguf", "gemma3", "268.1M", "Q8_0", "253.1", "MB", "32768"]}
    for name, row in rows.items():
        path = model_path(name)
        assert found[path.name] == (row, tensor_mix(path)), name


def test_qwen_loads_at_ctx_2048_in_768_mib_from_its_prepared_weights(m):
    configure(m, **SETTINGS)
    name = model_path(QWEN).name
    loaded = m.run(f"model {name}", timeout=600)
    assert "error" not in loaded and "note:" not in loaded, loaded
    assert f"loaded {name}: gguf qwen2 Q5_0" in loaded and "prepared weights read" in loaded, loaded


@pytest.mark.parametrize("name", [QWEN, GEMMA])
def test_greedy_answers_equal_the_host_program(m, name):
    configure(m, temperature=0, show_ids=1, **SETTINGS)
    use_model(m, model_path(name).name)
    for prompt in PROMPTS[name]:
        got = os_answer(m, prompt)
        want = host_answer(model_path(name), prompt, **SETTINGS)
        assert got.prompt_ids == want.prompt_ids, prompt
        assert got.gen_ids == want.gen_ids, prompt
        assert words(got.text) == words(want.text), prompt


@pytest.mark.parametrize("name, seed", [(QWEN, 11), (GEMMA, 5)])
def test_seeded_answer_equals_the_host_program(m, name, seed):
    configure(m, temperature=0.9, seed=seed, top_k=40, top_p=0.95, min_p=0.05, show_ids=1, **SETTINGS)
    use_model(m, model_path(name).name)
    prompt = PROMPTS[name][0]
    got = os_answer(m, prompt)
    want = host_answer(model_path(name), prompt, temperature=0.9, seed=seed,
                       extra=("--top-k", "40", "--top-p", "0.95", "--min-p", "0.05"), **SETTINGS)
    assert got.gen_ids == want.gen_ids
    assert words(got.text) == words(want.text)
