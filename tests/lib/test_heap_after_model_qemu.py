"""The heap after a model has come and gone, in QEMU: the engine's buffers
that stay for the whole boot (and the filesystem's) come from the top end of
the heap, so when SmolLM2 is replaced by a small model the free memory is
one block again, big enough for the next large model. (Before, 394 KiB of
such buffers stayed where the model ended and the largest free block was
96 MiB smaller than the free total.)"""
import re

import pytest

from myos import BUILD
from myos.image import build_image
from myos.models import default_model
from myos.qemu import Machine
from tests.fuzz.seeds import tokenizer_bin

pytestmark = pytest.mark.qemu

MIB = 1024 * 1024
SLIVERS = 1 * MIB          # alignment gaps between the lasting buffers


def heap(m):
    out = m.run("mem")
    total, used, free = map(int, re.search(r"heap:\s+(\d+) KiB total, (\d+) KiB used, (\d+) KiB free",
                                           out).groups())
    largest = int(re.search(r"largest free block (\d+) KiB", out).group(1))
    return used * 1024, free * 1024, largest * 1024


@pytest.fixture(scope="module")
def machine(tmp_path_factory, stories260k_path):
    d = tmp_path_factory.mktemp("heap")
    tok = d / "tokenizer.bin"
    tok.write_bytes(tokenizer_bin(512))          # stories260K's vocabulary size
    model = default_model()
    img = build_image(d / "disk.img", BUILD / "boot" / "stage1.bin", BUILD / "boot" / "stage2.bin",
                      BUILD / "kernel" / "kernel.bin",
                      [(model, f"/MODELS/{model.name}"), (stories260k_path, "/MODELS/stories260K.bin"),
                       (tok, "/MODELS/tokenizer.bin")])
    m = Machine().boot(img)
    yield m
    m.kill()


def test_free_memory_is_one_block_after_a_model_is_replaced(machine):
    _, free_at_boot, _ = heap(machine)
    for round_ in range(2):
        out = machine.run(f"model {default_model().name}", timeout=300)
        assert "loaded" in out, out
        out = machine.run("model stories260K.bin", timeout=120)
        assert "loaded stories260K.bin" in out, out
        used, free, largest = heap(machine)
        # SmolLM2 is gone: what is used is the small model and the lasting buffers...
        assert used < 16 * MIB, (round_, used)
        # ...and they do not split the free memory.
        assert largest >= free - SLIVERS, (round_, free, largest)
        assert largest >= free_at_boot - used - SLIVERS, (round_, free_at_boot, largest)
