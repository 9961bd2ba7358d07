"""A CPU exception on an application processor (`crash ap`: the last CPU
reads address 0 inside a parallel job) shows the panic screen naming that
CPU, on serial and VGA, and stops the other CPUs."""
import re

import pytest

from myos.qemu import KernelPanic, Machine

from .conftest import IMAGE

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def panicked():
    m = Machine(smp=2).boot(IMAGE, timeout=90)
    with pytest.raises(KernelPanic) as info:
        m.run("crash ap", 60)
    yield str(info.value), m
    m.kill()


def test_serial_report_names_the_ap(panicked):
    report, _ = panicked
    assert "*** MyOS KERNEL PANIC ***" in report
    assert "CPU 1 (APIC id 1) of 2 online" in report
    assert "Exception 14: Page Fault (#PF)" in report
    assert re.search(r"CR2: 0x00000000 \(page not present, read, data\)", report)
    assert report.rstrip().endswith("System halted.")


def test_vga_screen_names_the_ap(panicked):
    _, m = panicked
    screen = m.vga_text()
    assert "*** MyOS KERNEL PANIC ***" in screen
    assert "CPU 1 (APIC id 1) of 2 online" in screen
    assert set(m.vga_attributes()) == {0x4F}


def test_every_cpu_is_stopped(panicked):
    _, m = panicked
    regs = m.hmp("info registers -a")
    # Both halted: the AP after its report, the boot CPU by the panic's NMI.
    assert re.findall(r"HLT=(\d)", regs) == ["1", "1"]
    m.write("echo hello\r")
    assert "hello" not in m.transcript.split("System halted.")[-1]

