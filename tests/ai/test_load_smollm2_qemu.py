"""SmolLM2 in 192 MiB of guest RAM at the default context of 2048, loaded a
tensor at a time: from the prepared weights beside it, and, for a copy
whose prepared weights are damaged or missing, by repacking after one line
saying why. `ai` prints exactly what myos-llm prints either way."""
import pytest

from myos.image import default_image, prepared_name, prepared_weights
from myos.models import DEFAULT, default_model
from myos.qemu import Machine

from .conftest import AI_BUILD, SMOLLM, configure, host_answer, os_answer, words

pytestmark = pytest.mark.qemu

TOKENS = 8
DAMAGED, BARE = "DAMAGED.gguf", "BARE.gguf"  # copies of SmolLM2: a damaged .prp, none


@pytest.fixture(scope="module")
def m():
    AI_BUILD.mkdir(parents=True, exist_ok=True)
    prp = bytearray(prepared_weights(default_model()).read_bytes())
    prp[len(prp) // 2] ^= 0x40
    damaged = AI_BUILD / prepared_name(DAMAGED)
    damaged.write_bytes(bytes(prp))
    files = [f"{default_model()}=/MODELS/{DAMAGED}", f"{damaged}=/MODELS/{prepared_name(DAMAGED)}",
             f"{default_model()}=/MODELS/{BARE}"]
    image = default_image(AI_BUILD / "smollm2-192.img", [DEFAULT], files, None)
    machine = Machine(memory_mb=192).boot(image)
    configure(machine, max_tokens=TOKENS, temperature=0, show_ids=1)
    yield machine
    machine.kill()


def load(m, name):
    out = m.run(f"model {name}", timeout=300)
    assert "error" not in out and f"loaded {name}: gguf llama Q4_1" in out, out
    return out


def same_as_host(m):
    got = os_answer(m, "What is the capital of France?")
    want = host_answer(default_model(), "What is the capital of France?", max_tokens=TOKENS, ctx=2048)
    assert (got.prompt_ids, got.gen_ids) == (want.prompt_ids, want.gen_ids)
    assert words(got.text) == words(want.text)


def test_smollm2_runs_in_192_mib_from_its_prepared_weights(m):
    assert "prepared weights read" in load(m, SMOLLM)
    same_as_host(m)


def test_damaged_prepared_weights_are_named_and_the_weights_repacked(m):
    out = load(m, DAMAGED)
    assert f"note: /MODELS/{prepared_name(DAMAGED)}: damaged (its check digest does not match); the weights " \
           f"were prepared from {DAMAGED}" in out, out
    assert "prepared weights read" not in out
    same_as_host(m)


def test_a_model_without_prepared_weights_is_repacked(m):
    out = load(m, BARE)
    assert "note:" not in out and "prepared weights read" not in out, out
    same_as_host(m)
