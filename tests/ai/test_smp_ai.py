"""`ai` with 1, 2 and 4 CPUs (one boot each): the matrix products, the
attention heads and the prompt's batches are shared out over the CPUs, and
the answers still equal build/host/myos-llm's token for token, greedy and
seeded (the host program with as many threads as the OS has CPUs, and with
one); Ctrl+C still stops a generation."""
import pytest

from myos.models import default_model
from myos.qemu import Machine

from .conftest import SMOLLM, configure, host_answer, os_answer, use_model, words

pytestmark = pytest.mark.qemu

SHORT = {"max_tokens": 8, "ctx": 512}


@pytest.fixture(scope="module", params=[1, 2, 4], ids=lambda n: f"smp{n}")
def m(request):
    from myos import BUILD
    machine = Machine(smp=request.param).boot(BUILD / "myos.img", timeout=120)
    yield request.param, machine
    machine.kill()


def test_cpu_count(m):
    n, machine = m
    assert f"CPUs: {n} online" in machine.run("cpu")


def test_greedy_answer_equals_the_host_program(m):
    n, machine = m
    configure(machine, temperature=0, show_ids=1, **SHORT)
    use_model(machine, SMOLLM)
    prompt = "What is the capital of France?"
    got = os_answer(machine, prompt)
    for threads in sorted({1, n}):
        want = host_answer(default_model(), prompt, extra=("--threads", str(threads)), **SHORT)
        assert (got.prompt_ids, got.gen_ids) == (want.prompt_ids, want.gen_ids), threads
        assert words(got.text) == words(want.text)


def test_seeded_answer_equals_the_host_program(m):
    n, machine = m
    configure(machine, temperature=0.8, seed=42, top_k=40, top_p=0.95, min_p=0.05, show_ids=1, **SHORT)
    use_model(machine, SMOLLM)
    prompt = "Tell me about cats."
    got = os_answer(machine, prompt)
    want = host_answer(default_model(), prompt, temperature=0.8, seed=42, extra=("--threads", str(n)),
                       **SHORT)
    assert (got.prompt_ids, got.gen_ids) == (want.prompt_ids, want.gen_ids)


def test_ctrl_c_stops_a_generation(m):
    n, machine = m
    configure(machine, temperature=0.8, seed=1, max_tokens=4096, ctx=4096, show_ids=0)
    use_model(machine, SMOLLM)
    machine.write("ai Write a very long story about the sea.\r")
    machine.wait_for(r"the sea\.\r?\n.", 60)  # the first piece of the answer
    machine.sendkey("ctrl", "c")
    stopped = machine.wait_for(r"\^C \(stopped\)\r?\n\[(\d+) tokens", 60)
    assert int(stopped.group(1)) < 4096
    machine.wait_for(r"myos> ", 10)
    assert f"CPUs: {n} online" in machine.run("cpu")
