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
    measured = {l.split()[1]: tuple(float(v) for v in l.split()[3::3])
                for l in lines if l.startswith("kernel ") and "ns/MAC" in l}
    assert "scalar" in measured and "sse2" in measured, out
    if cpu == "max":
        assert "avx2" in measured, out
    else:
        assert any(l.split()[:2] == ["kernel", "avx2"] and l.endswith("not supported by this CPU")
                   for l in lines), out
    fastest = [min(measured, key=lambda k: measured[k][f]) for f in range(4)]
    assert chosen == f"chosen: Q4_1 {fastest[0]}, Q8_0 {fastest[1]}, Q6_K {fastest[2]}, Q5_1 {fastest[3]}"
    for figures in measured.values():
        assert len(figures) == 4 and all(0 < ns < 1000 for ns in figures)


def test_every_repacked_format_is_timed(kernels):
    """`bench` times each repacked file format with the chosen kernel and
    gives its cost per multiply-accumulate next to Q4_1's."""
    _, out, _ = kernels
    formats = {l.split()[1]: (float(l.split()[2]), l.split()[4]) for l in out.splitlines()
               if l.startswith("format ")}
    assert list(formats) == ["Q4_1", "Q8_0", "Q4_0", "Q5_0", "Q5_1", "Q4_K", "Q5_K", "Q6_K", "BF16"], out
    q4_1 = formats["Q4_1"][0]
    for name, (ns, ratio) in formats.items():
        assert 0 < ns < 1000, out
        assert ratio.endswith("x") and abs(float(ratio[:-1]) - ns / q4_1) < 0.011, out


def test_bench_rejects_bad_arguments(kernels):
    _, _, bad = kernels
    assert bad.strip() == "error: usage: bench [kernels | model | parallel [JOBS]]"


def test_bench_parser_wants_the_full_run(kernels):
    _, out, _ = kernels
    with pytest.raises(RuntimeError, match="no prompt/generation figures"):
        parse(out)
