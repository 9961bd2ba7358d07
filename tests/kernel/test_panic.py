"""CPU exceptions raised from the shell show the panic screen (white on red
VGA, and the same report on serial) with the exception's name, the
registers, and CR2 for a page fault. A kernel stack overflow hits the guard
page and ends as a double fault, handled on its own stack. Each exception gets
its own boot (the machine halts)."""
import re

import pytest

from myos.qemu import KernelPanic

from .conftest import boot

pytestmark = pytest.mark.qemu

CASES = {
    "divide": "Exception 0: Divide Error (#DE)",
    "opcode": "Exception 6: Invalid Opcode (#UD)",
    "null": "Exception 14: Page Fault (#PF)",
    "stack": "Exception 8: Double Fault (#DF)",
}


@pytest.fixture(scope="module", params=sorted(CASES))
def panicked(request):
    m = boot()
    with pytest.raises(KernelPanic) as info:
        m.run(f"crash {request.param}")
    yield request.param, str(info.value), m
    m.kill()


def test_serial_report(panicked):
    kind, report, _ = panicked
    assert "*** MyOS KERNEL PANIC ***" in report
    assert CASES[kind] in report
    for reg in ("EIP", "EAX", "EBX", "ECX", "EDX", "ESI", "EDI", "EBP", "ESP", "EFLAGS",
                "CS", "DS", "CR0", "CR3", "CR4"):
        assert re.search(rf"\b{reg}: 0x[0-9a-f]+", report), reg
    eip = int(re.search(r"EIP: 0x([0-9a-f]{8})", report).group(1), 16)
    assert 0x100000 <= eip < 0x400000  # inside the kernel
    assert report.rstrip().endswith("System halted.")


def test_control_registers_match_the_monitor(panicked):
    _, report, m = panicked
    regs = m.hmp("info registers")
    for name in ("CR0", "CR3", "CR4"):
        shown = int(re.search(rf"{name}: 0x([0-9a-f]+)", report).group(1), 16)
        actual = int(re.search(rf"{name}=([0-9a-f]+)", regs).group(1), 16)
        assert shown == actual, name


def test_page_fault_reports_cr2(panicked):
    kind, report, _ = panicked
    if kind != "null":
        assert "CR2" not in report
        return
    assert re.search(r"CR2: 0x00000000 \(page not present, read, data\)", report)


def test_stack_overflow_is_diagnosed(panicked):
    kind, report, _ = panicked
    assert ("kernel stack overflow" in report) == (kind == "stack")


def test_vga_panic_screen(panicked):
    kind, report, m = panicked
    screen = m.vga_text()
    assert "*** MyOS KERNEL PANIC ***" in screen
    assert CASES[kind] in screen
    assert "System halted." in screen
    attrs = set(m.vga_attributes())
    assert attrs == {0x4F}  # white on red, whole screen


def test_machine_stays_halted(panicked):
    _, _, m = panicked
    m.write("echo hello\r")
    assert m.proc.poll() is None
    assert "hello" not in m.transcript.split("System halted.")[-1]
