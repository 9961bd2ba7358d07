"""Kernel selection inside MyOS under two QEMU CPU models: with AVX2
(`-cpu max`) every variant is measured; without AVX (`-cpu core2duo`) the
AVX2 kernels are refused by CPUID and only scalar and SSE2 are measured. In
both the fastest measured one is chosen. One boot per CPU model, `bench
kernels` only (no model needed)."""
import pytest

from myos.bench import parse
from myos.qemu import Machine

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module", params=["max", "core2duo"])
def kernels(request, build_dir):
    image = build_dir / "myos.img"
    if not image.exists():
        pytest.fail(f"{image} is missing: run make")
    with Machine(cpu=request.param).boot(image, timeout=120) as m:
        out = m.run("bench kernels", timeout=120)
        bad = m.run("bench everything", timeout=30)
        m.poweroff()
    return request.param, out, bad


def test_selection_follows_cpuid_and_timing(kernels):
    cpu, out, _ = kernels
    assert "error" not in out, out
    lines = out.splitlines()
    chosen = next(l for l in lines if l.startswith("chosen:"))
    measured = {l.split()[1]: (float(l.split()[3]), float(l.split()[6]))
                for l in lines if l.startswith("kernel ") and "ns/MAC" in l}
    assert "scalar" in measured and "sse2" in measured, out
    if cpu == "max":
        assert "avx2" in measured, out
    else:
        assert any(l.split()[:2] == ["kernel", "avx2"] and l.endswith("not supported by this CPU")
                   for l in lines), out
    fastest_q4 = min(measured, key=lambda k: measured[k][0])
    fastest_q8 = min(measured, key=lambda k: measured[k][1])
    assert chosen == f"chosen: Q4_1 {fastest_q4}, Q8_0 {fastest_q8}"
    for q4, q8 in measured.values():
        assert 0 < q4 < 1000 and 0 < q8 < 1000


def test_bench_rejects_bad_arguments(kernels):
    _, _, bad = kernels
    assert bad.strip() == "error: usage: bench [kernels | parallel [JOBS]]"


def test_bench_parser_wants_the_full_run(kernels):
    _, out, _ = kernels
    with pytest.raises(RuntimeError, match="no prompt/generation figures"):
        parse(out)
