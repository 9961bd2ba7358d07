"""The heap on the real memory map: `heaptest` inside MyOS (QEMU, software
emulation), booted once for this module, with 512 MiB and with 64 MiB of RAM."""
import re

import pytest

from myos import BUILD
from myos.qemu import Machine

IMAGE = BUILD / "myos.img"


@pytest.fixture(scope="module", params=[512, 64], ids=lambda mb: f"{mb}MiB")
def machine(request):
    if not IMAGE.exists():
        pytest.fail(f"{IMAGE} is missing: run `make image` (make test does)")
    m = Machine(memory_mb=request.param).boot(IMAGE)
    yield m
    m.kill()


def test_heaptest_passes_and_restores_the_heap(machine):
    before = machine.run("mem")
    out = machine.run("heaptest 20000", timeout=240)
    assert "heaptest: ok, heap intact" in out, out
    assert "error" not in out, out
    assert re.search(r"heaptest: 20000 ops, blocks up to \d+ KiB, \d+ out of memory", out), out
    # The same heap use before and after: nothing leaked, everything merged back.
    heap_line = re.compile(r"heap:.*")
    assert heap_line.search(machine.run("mem")).group(0) == heap_line.search(before).group(0)


def test_heaptest_rejects_bad_arguments(machine):
    for bad in ("heaptest x", "heaptest 0", "heaptest 12abc", "heaptest 1 2", "heaptest 999999999999"):
        out = machine.run(bad)
        assert out.strip().startswith("error: usage: heaptest"), (bad, out)
