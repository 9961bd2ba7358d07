"""Qwen2.5-Coder-0.5B in 768 MiB of guest RAM at a context of 2048: the load
streams the file a tensor at a time and takes the prepared weights the image
builder wrote beside it, the memory check passes with the engine's own
estimate, and `ai` prints exactly what myos-llm prints for the same prompt
and settings (greedy, chat)."""
import pytest

from myos.image import default_image
from myos.models import lookup
from myos.qemu import Machine

from .conftest import AI_BUILD, configure, host_answer, os_answer, words

pytestmark = pytest.mark.qemu

NAME = lookup("qwen2.5-coder-0.5b").file_name
CTX, TOKENS = 2048, 6


@pytest.fixture(scope="module")
def m(qwen_path):
    image = default_image(AI_BUILD / "qwen.img", ["qwen2.5-coder-0.5b"], [], None)
    machine = Machine(memory_mb=768).boot(image)
    configure(machine, ctx=CTX, max_tokens=TOKENS, temperature=0, show_ids=1)
    yield machine
    machine.kill()


@pytest.fixture(scope="module")
def loaded(m):
    return m.run(f"model {NAME}", timeout=600)


def test_qwen_loads_at_ctx_2048_in_768_mib_from_its_prepared_weights(loaded):
    assert "error" not in loaded and "note:" not in loaded, loaded
    assert f"loaded {NAME}: gguf qwen2 Q5_0" in loaded and "prepared weights read" in loaded, loaded


def test_qwen_answers_as_myos_llm_does(m, loaded, qwen_path):
    got = os_answer(m, "Write hello world in C.")
    want = host_answer(qwen_path, "Write hello world in C.", max_tokens=TOKENS, ctx=CTX)
    assert (got.prompt_ids, got.gen_ids) == (want.prompt_ids, want.gen_ids)
    assert words(got.text) == words(want.text)
