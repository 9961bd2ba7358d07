"""`make bench` / `python -m myos bench`: the OS's `bench` command in QEMU
(software emulation) for two CPU models, the first one also with several
CPUs (`--smp`, multi-threaded TCG), `bench model` on every catalogue model
in one boot, the OpenAI-compatible API
(myos.bench_api), a LoRA training step on the host against PyTorch and in
QEMU (myos.bench_train), then the host program against llama.cpp
(myos.bench_engine), in one run. Writes the emulation sections of
docs/benchmarks.md (between marker comments; other sections are kept) and
prints them.

    python -m myos bench [--cpus max,core2duo] [--smp 1,2,4] [--skip-host] [--skip-api] [--skip-train]
                         [--api-only]
"""
from __future__ import annotations

import argparse
import os
import re
import time
from pathlib import Path

from . import BUILD, bench_api, bench_engine, bench_train
from .image import default_image
from .models import CATALOG, DEFAULT, model_path
from .qemu import Machine

BEGIN, END = "<!-- kernels-tcg: begin -->", "<!-- kernels-tcg: end -->"
SMP_ROUNDS = 3   # boots per CPU count for the scaling table, taken in turn
SMP_BEGIN, SMP_END = "<!-- smp-tcg: begin -->", "<!-- smp-tcg: end -->"
MODELS_BEGIN, MODELS_END = "<!-- models-tcg: begin -->", "<!-- models-tcg: end -->"
CATALOGUE_GUEST_MB = 768   # Qwen2.5-Coder-0.5B at a context of 2048, as the tests load it
TARGETS = {"max": (15.0, 40.0), "core2duo": (3.0, None)}  # generation, prompt tok/s

NOTES = """\
How the kernels work (llm/matmul/repack.h has the full recipe): weights are repacked at load time into
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
helper call under TCG). The choice is made by timing (llm/matmul/select.c): on the test matrix
first, then on the model's own matrices after repacking. Attention keeps its keys in blocks of 8 positions so
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

SMP_NOTES = """\
Every output value (a row of a matrix product, an attention head of a token) is computed by one
CPU alone and every reduction runs in a fixed order, so the tokens are the same for any number of
CPUs (tests/ai/test_smp_ai.py). The ceiling on this {cores}-core host is the host itself: each
vCPU is a host thread, and other work on the machine takes cores from them; a vCPU thread the host
deschedules in the middle of its range holds the whole job up (one that has not started yet is
skipped: the boot CPU takes its ranges). More vCPUs than host cores only add that waiting."""

# One line per variant: its ns/MAC on each layout's test matrix (named by a file type of that layout).
LAYOUTS = ("Q4_1", "Q8_0", "Q6_K", "Q5_1")
KERNEL_RE = re.compile(r"kernel ([\w-]+)\s+" + r"\s+".join(rf"{n}\s+([\d.]+) ns/MAC" for n in LAYOUTS))
FORMAT_RE = re.compile(r"format (\w+)\s+([\d.]+) ns/MAC\s+([\d.]+)x Q4_1")
UNSUPPORTED_RE = re.compile(r"kernel ([\w-]+)\s+not supported")
CHOSEN_RE = re.compile(r"chosen: " + ", ".join(rf"{n} ([\w-]+)" for n in LAYOUTS))
RATE_RE = re.compile(r"(prompt|generation)\s+(\d+) tokens\s+([\d.]+) tok/s\s+([\d.]+) ms/token: matmul ([\d.]+) "
                     r"\(([\d.]+) ns/MAC\), quantize ([\d.]+), attention ([\d.]+), other (-?[\d.]+)")
LOADED_RE = re.compile(r"loaded \S+: .* in ([\d.]+) s \(read (\d+) ms, prepare (\d+) ms")
SHARE_RE = re.compile(r"(\d+) parallel jobs on (\d+) CPUs?, busy share of the job time:((?: \d+%)+) "
                      r"\(imbalance and hand-out (\d+)%\)")


def parse(output: str) -> dict:
    """The figures of one `bench` run."""
    res = {"kernels": {}, "unsupported": UNSUPPORTED_RE.findall(output), "rates": parse_rates(output),
           "formats": {name: (float(ns), float(ratio)) for name, ns, ratio in FORMAT_RE.findall(output)}}
    for name, *figures in KERNEL_RE.findall(output):
        res["kernels"][name] = tuple(map(float, figures))
    m = CHOSEN_RE.search(output)
    if not m or not res["kernels"]:
        raise RuntimeError(f"no kernel report in the bench output:\n{output}")
    res["chosen"] = m.groups()
    return res


def parse_rates(output: str) -> dict:
    """The prompt and generation figures of a `bench` or `bench model` run."""
    rates = {}
    for m in RATE_RE.finditer(output):
        what, n, rate, per, mat, ns, quant, attn, other = m.groups()
        rates[what] = dict(tokens=int(n), rate=float(rate), per=float(per), matmul=float(mat),
                           ns_mac=float(ns), quantize=float(quant), attention=float(attn), other=float(other))
        # The line after each rate: how the CPUs shared that phase's parallel jobs.
        following = output[m.end():].split("\n")[1:2]
        share = SHARE_RE.search(following[0]) if following else None
        if share:
            rates[what].update(jobs=int(share.group(1)), cpus=int(share.group(2)),
                               busy=[int(x) for x in share.group(3).replace("%", "").split()],
                               imbalance=int(share.group(4)))
    if set(rates) != {"prompt", "generation"}:
        raise RuntimeError(f"no prompt/generation figures in the bench output:\n{output}")
    return rates


def run_in_qemu(cpu: str, timeout: float, smp: int = 1) -> dict:
    with Machine(cpu=cpu, smp=smp).boot(timeout=120) as m:
        out = m.run("bench", timeout)
        m.poweroff()
    return parse(out)


def run_model_bench(cpu: str, timeout: float, smp: int) -> dict:
    """`bench model` alone (the default model's prompt and generation) in a
    fresh boot with `smp` CPUs."""
    with Machine(cpu=cpu, smp=smp).boot(timeout=120) as m:
        out = m.run("bench model", timeout)
        m.poweroff()
    return parse_rates(out)


def fastest(runs: list[dict]) -> dict:
    """Per phase, the figures of the fastest of several runs."""
    return {what: max((r[what] for r in runs), key=lambda x: x["rate"]) for what in ("prompt", "generation")}


LOAD_ROUNDS = 3  # loads of each catalogue model in the models boot, taken in turn


def load_model(m: Machine, name: str, timeout: float) -> dict:
    """`model FILE` of a catalogue model: its load time, read and prepare parts."""
    out = m.run(f"model {model_path(name).name}", timeout)
    loaded = LOADED_RE.search(out)
    if not loaded:
        raise RuntimeError(f"model {name} did not load:\n{out}")
    return dict(total=float(loaded.group(1)), read=int(loaded.group(2)), prepare=int(loaded.group(3)))


def run_models_in_qemu(cpu: str, timeout: float) -> dict[str, dict]:
    """`bench model` on each catalogue model, one after the other in one boot,
    then LOAD_ROUNDS - 1 more loads of each in turn: {catalogue name: prompt
    and generation figures, "loads": the load figures after the first}."""
    image = default_image(BUILD / "bench" / "catalogue.img", list(CATALOG), [], None)
    results = {}
    with Machine(cpu=cpu, memory_mb=CATALOGUE_GUEST_MB).boot(image, timeout=120) as m:
        for name in CATALOG:
            load_model(m, name, timeout)  # the first read also fills the host's page cache
            results[name] = parse_rates(m.run("bench model", timeout))
            results[name]["loads"] = []
        for _ in range(LOAD_ROUNDS - 1):
            for name in CATALOG:
                results[name]["loads"].append(load_model(m, name, timeout))
        m.poweroff()
    return results


def models_section(cpu: str, results: dict[str, dict]) -> str:
    """Each catalogue model's speed in one boot, against SmolLM2's."""
    base = results[DEFAULT]
    lines = [MODELS_BEGIN, "## The catalogue models under QEMU software emulation", "",
             f"`make bench` (`python -m myos bench`) — {time.strftime('%Y-%m-%d')}, `-cpu {cpu}`, one vCPU, "
             f"{CATALOGUE_GUEST_MB} MiB: `model FILE` then `bench model` (the 64-token prompt and 64 greedy "
             f"tokens of the section above) for each model, all in one boot. Work per token: "
             f"multiply-accumulates of the matrix products; per MAC: the matrix time divided by them, "
             f"against SmolLM2's (Q4_1) in the same boot.", "",
             "| model | phase | tok/s | vs SmolLM2 | matmul ns/MAC | vs SmolLM2 | ms/token | attention ms |",
             "|---|---|---|---|---|---|---|---|"]
    for name, rates in results.items():
        for what in ("prompt", "generation"):
            x, b = rates[what], base[what]
            lines.append(f"| {name} | {what} | {x['rate']:.2f} | {x['rate'] / b['rate']:.2f}x | "
                         f"{x['ns_mac']:.3f} | {x['ns_mac'] / b['ns_mac']:.2f}x | {x['per']:.1f} | "
                         f"{x['attention']:.1f} |")
    lines += ["", f"Loading each model (`model FILE`, with its prepared weights) {LOAD_ROUNDS - 1} more times in "
              "the same boot, in turn; the fastest load. Read: time in the disk reads (the digest of the "
              "bytes read runs while the next DMA transfer is in flight and counts here); prepare: the rest "
              "(parsing the header, building the tokenizer, what digest is left).", "",
              "| model | load s | read ms | prepare ms | prepare / read |", "|---|---|---|---|---|"]
    for name, rates in results.items():
        x = min(rates["loads"], key=lambda load: load["total"])
        lines.append(f"| {name} | {x['total']:.2f} | {x['read']} | {x['prepare']} | "
                     f"{x['prepare'] / max(x['read'], 1):.2f}x |")
    lines += ["", MODELS_END]
    return "\n".join(lines)


def section(results: dict[str, dict], elapsed: float) -> str:
    lines = [BEGIN, "## Kernels and generation under QEMU software emulation (TCG)", "",
             f"`make bench` (`python -m myos bench`) — {time.strftime('%Y-%m-%d')}, qemu-system-i386 "
             f"(TCG, one vCPU) on the host below, the OS's `bench` command: kernels timed 100 ms each "
             f"(best of 3 interleaved rounds; a kernel more than 2x slower than the fastest, the first round "
             f"only) on a 2048x576 test matrix; SmolLM2-135M-Instruct Q4_1, "
             f"a 64-token prompt, then 64 greedy tokens; times from the calibrated TSC. Run took "
             f"{elapsed:.0f} s.", "",
             "Speed-ups are against the scalar kernel timed in the same boot.", "",
             "| CPU model | kernel | " + " | ".join(f"{n} ns/MAC | {n} speed-up" for n in LAYOUTS) + " |",
             "|---|---|" + "---|---|" * len(LAYOUTS)]
    for cpu, r in results.items():
        base = r["kernels"]["scalar"]
        for name, figures in r["kernels"].items():
            chosen = " (chosen)" if name in r["chosen"] else ""
            cells = " | ".join(f"{ns:.3f} | {b / ns:.2f}x" for ns, b in zip(figures, base))
            lines.append(f"| `-cpu {cpu}` | {name}{chosen} | {cells} |")
        for name in r["unsupported"]:
            lines.append(f"| `-cpu {cpu}` | {name} | " + "not supported | | " * len(LAYOUTS) + "")
    names = list(next(iter(results.values()))["formats"])
    lines += ["", "Each repacked file format on its own 512x768 test matrix of random blocks with the chosen "
              "kernel (the fastest of single products taken in turn for 200 ms each), in the same boot (Q5_1, Q5_K and Q6_K share one layout, Q4_K Q4_1's, Q4_0, Q5_0 and "
              "BF16 Q8_0's):", "",
              "| CPU model | " + " | ".join(f"{n} ns/MAC (vs Q4_1)" for n in names) + " |",
              "|---|" + "---|" * len(names)]
    for cpu, r in results.items():
        cells = " | ".join(f"{ns:.3f} ({ratio:.2f}x)" for ns, ratio in r["formats"].values())
        lines.append(f"| `-cpu {cpu}` | {cells} |")
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


def smp_section(cpu: str, results: dict[int, dict]) -> str:
    """The same `bench` with 1, 2, 4 ... CPUs ({count: fastest rates}), each
    against one CPU."""
    base = results[min(results)]
    host_cores = os.cpu_count()
    lines = [SMP_BEGIN, "## Several CPUs under QEMU software emulation", "",
             f"`make bench` (`python -m myos bench --smp {','.join(map(str, results))}`) — "
             f"{time.strftime('%Y-%m-%d')}, the same `bench` as above with `-cpu {cpu} -smp N "
             f"-accel tcg,thread=multi` (one host thread per vCPU), the fastest of "
             f"{SMP_ROUNDS} boots per count taken in turn (1, 2, 4, 1, 2, 4, ...: a moment of other work on "
             f"the shared host slows one boot, not one count), on a {host_cores}-core host (load average "
             f"{os.getloadavg()[0]:.1f} at the end). Busy: each "
             f"CPU's time inside the parallel jobs (matrix row groups, attention heads, the prompt "
             f"batch's quantization) as a share of the jobs' wall time; imbalance: the rest, time a "
             f"CPU waited for the others or for its share to reach it.", "",
             "| CPUs | phase | tok/s | vs 1 CPU | ms/token | matmul ms | attention ms | jobs/token "
             "| busy per CPU | imbalance |", "|---|---|---|---|---|---|---|---|---|---|"]
    for n, r in results.items():
        for what in ("prompt", "generation"):
            x = r[what]
            busy = " ".join(f"{b}%" for b in x.get("busy", []))
            jobs = f"{x['jobs'] / x['tokens']:.0f}" if "jobs" in x else "-"
            lines.append(f"| {n} | {what} | {x['rate']:.2f} | {x['rate'] / base[what]['rate']:.2f}x | "
                         f"{x['per']:.1f} | {x['matmul']:.1f} | {x['attention']:.1f} | {jobs} | {busy} | "
                         f"{x.get('imbalance', '-')}% |")
    lines += ["", SMP_NOTES.format(cores=host_cores), SMP_END]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="myos bench", description=__doc__.splitlines()[0])
    ap.add_argument("--cpus", default="max,core2duo", help="QEMU CPU models, comma-separated")
    ap.add_argument("--smp", default="1,2,4",
                    help="CPU counts for the first CPU model, comma-separated (1 first)")
    ap.add_argument("--timeout", type=float, default=1800, help="seconds for one `bench` command")
    ap.add_argument("--skip-host", action="store_true", help="without the host program against llama.cpp")
    ap.add_argument("--skip-api", action="store_true", help="without the OpenAI API's part")
    ap.add_argument("--skip-train", action="store_true", help="without the LoRA training step's part")
    ap.add_argument("--api-only", action="store_true", help="only the OpenAI API's part")
    args = ap.parse_args(argv)
    if args.api_only:
        return bench_api.main()
    t0 = time.monotonic()
    cpus = args.cpus.split(",")
    counts = sorted({1} | {int(n) for n in args.smp.split(",")})
    smp_results = {n: run_in_qemu(cpus[0], args.timeout, n) for n in counts}
    smp_rates = {n: [smp_results[n]["rates"]] for n in counts}
    for _ in range(SMP_ROUNDS - 1 if len(counts) > 1 else 0):
        for n in counts:
            smp_rates[n].append(run_model_bench(cpus[0], args.timeout, n))
    results = {cpu: smp_results[1] if cpu == cpus[0] else run_in_qemu(cpu, args.timeout) for cpu in cpus}
    text = section(results, time.monotonic() - t0)
    bench_engine.write_doc_section(BEGIN, END, text)
    print(text)
    if len(counts) > 1:
        smp_text = smp_section(cpus[0], {n: fastest(runs) for n, runs in smp_rates.items()})
        bench_engine.write_doc_section(SMP_BEGIN, SMP_END, smp_text)
        print(smp_text)
    models_text = models_section(cpus[0], run_models_in_qemu(cpus[0], args.timeout))
    bench_engine.write_doc_section(MODELS_BEGIN, MODELS_END, models_text)
    print(models_text)
    if not args.skip_api:
        bench_api.main()
    if not args.skip_train:
        bench_train.main([])
    return 0 if args.skip_host else bench_engine.main([])


if __name__ == "__main__":
    raise SystemExit(main())
