"""`make bench` / `python -m myos bench`: the OS's `bench` command in QEMU
(software emulation) for two CPU models, the OpenAI-compatible API
(myos.bench_api), then the host program against llama.cpp
(myos.bench_engine), in one run. Writes the emulation section of
docs/benchmarks.md (between marker comments; other sections are kept) and
prints it.

    python -m myos bench [--cpus max,core2duo] [--skip-host] [--skip-api] [--api-only]
"""
from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

from . import bench_api, bench_engine
from .qemu import Machine

BEGIN, END = "<!-- kernels-tcg: begin -->", "<!-- kernels-tcg: end -->"
TARGETS = {"max": (15.0, 40.0), "core2duo": (3.0, None)}  # generation, prompt tok/s

NOTES = """\
How the kernels work (llm/repack.h has the full recipe): weights are repacked at load time into
groups of 8 rows, one 32-bit lane per row, Q4_1 keeping its nibbles with its block scales turned
into integers (14-bit integer weights per row), Q8_0 keeping its bytes with 11-bit integer block
scales; activations become 12-bit integers with one power-of-two step per block of 32. Every
block's dot product is an exact 32-bit integer, blocks combine with integer shifts, and one float
multiply per row ends it, so all variants give bit-identical logits (tests/llm/test_kernels.py
checks it on the model). The variants: scalar (the reference; its 32-bit build keeps the eight
activations of a column block in xmm0-7 and reads them with movd, so that eight rows share one
load of each), avx2 (only instructions TCG translates inline: vpbroadcastd, vpsrld, vpmulld,
vpaddd and one 256-bit load per 64 multiply-accumulates; packed fields need no mask thanks to a
transformed activation vector, t_j = q_j - 16 q_(j-1); two groups per pass share the
broadcasts, and each pair of weight words is loaded while the previous pair is multiplied),
avx2-madd and sse2 (pmaddwd on two fields per lane: half the instructions on a real CPU, a
helper call under TCG). The choice is made by timing: on the test matrix first, then on the
model's own matrices after repacking. Attention keeps its keys in blocks of 8 positions so
that the AVX2 dot product scores 8 positions per instruction with the query broadcast.

What an instruction costs under TCG on this host (qemu-i386 on single instructions, and the
code TCG generates, `-d out_asm`): a scalar integer instruction about 0.3 ns; a VEX vector
instruction 0.6-1.5 ns, because each one loads its operands from the emulated register file and
stores its result there, and a dependent instruction waits about 3 ns for that store; a 256-bit
load from guest memory about 7 ns (four 64-bit loads into a temporary that is then read back
whole, which stalls the first instruction using it); every guest memory access also pays a
software TLB lookup, which is why the scalar kernel doubled its speed once its activations came
from registers; an indirect call and its return each look up translated code. The matrices
therefore cost about 0.5 ns per multiply-accumulate with AVX2 here, not the 0.22 of the design
notes. A 16-row layout with 16-bit lanes (widened every 4 columns, which needs 10-bit
activations: KL 1.0e-3 against the reference instead of 1.7e-4) measured 0.61-0.73 ns/MAC in
qemu-i386 as a plain loop and 0.44-0.47 with two column chunks interleaved, against 0.51 for
the kernel above before its loads were pipelined; three groups per pass instead of two made no
measurable difference. Neither was adopted. The prompt runs in batches of up to 16 tokens (each
weight group read once per batch, the output matrix only for the last token): that pays on a
real CPU, where the cost is memory traffic, but little under TCG, where it is instructions.
Figures vary by up to a factor of 2 between runs while other jobs share the host."""

KERNEL_RE = re.compile(r"kernel ([\w-]+)\s+Q4_1\s+([\d.]+) ns/MAC\s+Q8_0\s+([\d.]+) ns/MAC")
UNSUPPORTED_RE = re.compile(r"kernel ([\w-]+)\s+not supported")
CHOSEN_RE = re.compile(r"chosen: Q4_1 ([\w-]+), Q8_0 ([\w-]+)")
RATE_RE = re.compile(r"(prompt|generation)\s+(\d+) tokens\s+([\d.]+) tok/s\s+([\d.]+) ms/token: matmul ([\d.]+) "
                     r"\(([\d.]+) ns/MAC\), quantize ([\d.]+), attention ([\d.]+), other (-?[\d.]+)")


def parse(output: str) -> dict:
    """The figures of one `bench` run."""
    res = {"kernels": {}, "unsupported": UNSUPPORTED_RE.findall(output), "rates": {}}
    for name, q4, q8 in KERNEL_RE.findall(output):
        res["kernels"][name] = (float(q4), float(q8))
    m = CHOSEN_RE.search(output)
    if not m or not res["kernels"]:
        raise RuntimeError(f"no kernel report in the bench output:\n{output}")
    res["chosen"] = m.groups()
    for what, n, rate, per, mat, ns, quant, attn, other in RATE_RE.findall(output):
        res["rates"][what] = dict(tokens=int(n), rate=float(rate), per=float(per), matmul=float(mat),
                                  ns_mac=float(ns), quantize=float(quant), attention=float(attn),
                                  other=float(other))
    if set(res["rates"]) != {"prompt", "generation"}:
        raise RuntimeError(f"no prompt/generation figures in the bench output:\n{output}")
    return res


def run_in_qemu(cpu: str, timeout: float) -> dict:
    with Machine(cpu=cpu).boot(timeout=120) as m:
        out = m.run("bench", timeout)
        m.poweroff()
    return parse(out)


def section(results: dict[str, dict], elapsed: float) -> str:
    lines = [BEGIN, "## Kernels and generation under QEMU software emulation (TCG)", "",
             f"`make bench` (`python -m myos bench`) — {time.strftime('%Y-%m-%d')}, qemu-system-i386 "
             f"(TCG, one vCPU) on the host below, the OS's `bench` command: kernels timed 100 ms each "
             f"(best of 3 interleaved rounds) on an 8192x576 test matrix; SmolLM2-135M-Instruct Q4_1, "
             f"a 64-token prompt, then 64 greedy tokens; times from the calibrated TSC. Run took "
             f"{elapsed:.0f} s.", "",
             "Speed-ups are against the scalar kernel timed in the same round.", "",
             "| CPU model | kernel | Q4_1 ns/MAC | Q4_1 speed-up | Q8_0 ns/MAC | Q8_0 speed-up |",
             "|---|---|---|---|---|---|"]
    for cpu, r in results.items():
        base_q4, base_q8 = r["kernels"]["scalar"]
        for name, (q4, q8) in r["kernels"].items():
            chosen = " (chosen)" if name in r["chosen"] else ""
            lines.append(f"| `-cpu {cpu}` | {name}{chosen} | {q4:.3f} | {base_q4 / q4:.2f}x | {q8:.3f} | "
                         f"{base_q8 / q8:.2f}x |")
        for name in r["unsupported"]:
            lines.append(f"| `-cpu {cpu}` | {name} | not supported | | not supported | |")
    lines += ["", "| CPU model | phase | tok/s | target | ms/token | matmul ms (ns/MAC) | quantize ms | attention ms "
              "| other ms |", "|---|---|---|---|---|---|---|---|---|"]
    for cpu, r in results.items():
        gen_target, prompt_target = TARGETS.get(cpu, (None, None))
        for what in ("prompt", "generation"):
            x = r["rates"][what]
            target = gen_target if what == "generation" else prompt_target
            lines.append(f"| `-cpu {cpu}` | {what} ({x['tokens']} tok) | {x['rate']:.2f} | "
                         f"{'>= %g' % target if target else '-'} | {x['per']:.1f} | "
                         f"{x['matmul']:.1f} ({x['ns_mac']:.3f}) | {x['quantize']:.1f} | {x['attention']:.1f} | "
                         f"{x['other']:.1f} |")
    lines += ["", "matmul: the integer matrix-vector kernels; quantize: activation quantization for them; "
              "attention: RoPE, storing keys and values, attention over the cache; other: norms, SwiGLU, the "
              "embedding, the argmax and the rest of the forward pass.", "",
              NOTES, END]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="myos bench", description=__doc__.splitlines()[0])
    ap.add_argument("--cpus", default="max,core2duo", help="QEMU CPU models, comma-separated")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds for one `bench` command")
    ap.add_argument("--skip-host", action="store_true", help="only the QEMU part")
    ap.add_argument("--skip-api", action="store_true", help="without the OpenAI API's part")
    ap.add_argument("--api-only", action="store_true", help="only the OpenAI API's part")
    args = ap.parse_args(argv)
    if args.api_only:
        return bench_api.main()
    t0 = time.monotonic()
    results = {cpu: run_in_qemu(cpu, args.timeout) for cpu in args.cpus.split(",")}
    text = section(results, time.monotonic() - t0)
    bench_engine.write_doc_section(BEGIN, END, text)
    print(text)
    if not args.skip_api:
        bench_api.main()
    return 0 if args.skip_host else bench_engine.main([])


if __name__ == "__main__":
    raise SystemExit(main())
