"""The heap on the real memory map: `heaptest` inside MyOS (QEMU, software
emulation), booted once per memory size: 512 MiB (the default), 64 MiB (the
least) and 3 GiB (the most a 32-bit identity map gives the heap; blocks reach
64 MiB there, so fewer operations keep it quick)."""
import re

import pytest

from myos import BUILD
from myos.qemu import Machine

pytestmark = pytest.mark.qemu

IMAGE = BUILD / "myos.img"


STRESS_OPS = {512: 100_000, 64: 100_000, 3072: 20_000}


@pytest.fixture(scope="module", params=sorted(STRESS_OPS), ids=lambda mb: f"{mb}MiB")
def machine(request):
    if not IMAGE.exists():
        pytest.fail(f"{IMAGE} is missing: run `make image` (make test does)")
    m = Machine(memory_mb=request.param).boot(IMAGE)
    yield m
    m.kill()


def test_heaptest_passes_and_restores_the_heap(machine):
    ops = STRESS_OPS[machine.memory_mb]
    before = machine.run("mem")
    out = machine.run(f"heaptest {ops}", timeout=240)
    assert "heaptest: ok, heap intact" in out, out
    assert "error" not in out, out
    assert re.search(rf"heaptest: {ops} ops \(seed \d+\), blocks up to \d+ KiB, \d+ out of memory", out), out
    # The same heap use before and after: nothing leaked, everything merged back.
    heap_line = re.compile(r"heap:.*")
    assert heap_line.search(machine.run("mem")).group(0) == heap_line.search(before).group(0)


def test_heaptest_is_repeatable_with_a_seed(machine):
    first = machine.run("heaptest 3000 12345", timeout=120)
    second = machine.run("heaptest 3000 12345", timeout=120)
    summary = re.compile(r"heaptest: 3000 ops \(seed 12345\), blocks up to \d+ KiB, \d+ out of memory, "
                         r"heap peak so far \d+ MiB")
    assert summary.search(first) and "heap intact" in first, first
    assert summary.search(first).group(0) == summary.search(second).group(0)


def test_heaptest_rejects_bad_arguments(machine):
    for bad in ("heaptest x", "heaptest 0", "heaptest 12abc", "heaptest 1 2 3", "heaptest 1 x",
                "heaptest 999999999999"):
        out = machine.run(bad)
        assert out.strip().startswith("error: usage: heaptest"), (bad, out)
