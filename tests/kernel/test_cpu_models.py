"""Other processors: without AVX the kernel runs with SSE2 and saves the FPU
state around interrupts with fxsave instead of xsave; without SSE2 it stops
with a message."""
import re
import time

import pytest

from myos.qemu import Machine

from .conftest import IMAGE

pytestmark = pytest.mark.qemu


def test_core2duo_without_avx():
    with Machine(cpu="core2duo").boot(IMAGE) as m:
        out = m.run("cpu")
        assert "AVX:      not available" in out
        features = re.search(r"features: ((?:.*\n)+?)AVX:", out).group(1).split()
        assert "sse2" in features and "avx" not in features and "osxsave" not in features

        def ticks():
            return int(re.search(r"\((\d+) timer ticks\)", m.run("uptime")).group(1))
        first = ticks()  # interrupts keep coming (the fxsave path) while commands run
        time.sleep(0.2)
        assert ticks() > first
        assert m.run("echo still fine") == "still fine\n"


def test_pentium3_is_refused():
    m = Machine(cpu="pentium3").boot(IMAGE, wait_prompt=False)
    try:
        deadline = time.monotonic() + 30
        screen = []
        while time.monotonic() < deadline:
            screen = m.vga_text()
            if screen[0] == "MyOS needs a CPU with SSE2":
                break
            time.sleep(0.2)
        assert screen[0] == "MyOS needs a CPU with SSE2"
        assert all(line == "" for line in screen[1:])
    finally:
        m.kill()
