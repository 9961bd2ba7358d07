"""Host benchmark of the inference engine: build/host/myos-llm against
llama.cpp (llama-cpp-python), on SmolLM2-135M-Instruct Q4_1 with one and
with two threads and on every catalogue model with one, measured in the same
run on the same machine. Writes its section of
docs/benchmarks.md (between marker comments, so other benchmarks can share
the file) and prints it.

    python -m myos.bench_engine [--runs N] [--tokens N]
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import time

from . import BUILD, ROOT
from .models import CATALOG, default_model, model_path

PROMPT = ("The history of the lighthouse begins in the ancient world, when fires were lit on hills "
          "to guide ships safely into harbour. Over the centuries these simple beacons became")
BEGIN, END = "<!-- engine-host: begin -->", "<!-- engine-host: end -->"
DOC = ROOT / "docs" / "benchmarks.md"


def write_doc_section(begin: str, end: str, section: str) -> None:
    """Replaces the part of docs/benchmarks.md between the markers `begin` and
    `end` (`section` includes them), or appends it: each benchmark owns one part."""
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n\n"
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)


THREADS = (1, 2)


def bench_myos(model, tokens: int, threads: int) -> tuple[float, float, int]:
    """(prompt tok/s, generation tok/s, prompt tokens) from myos-llm's report."""
    r = subprocess.run([str(BUILD / "host" / "myos-llm"), "-m", str(model), "-p", PROMPT, "-n", str(tokens),
                        "--temp", "0", "--threads", str(threads)], capture_output=True, text=True, check=True)
    m = re.search(r"prompt: (\d+) tokens, [\d.]+ s, ([\d.]+) tok/s \| generation: (\d+) tokens, [\d.]+ s, "
                  r"([\d.]+) tok/s", r.stderr)
    if not m:
        raise RuntimeError(f"no timing line from myos-llm:\n{r.stderr}")
    return float(m.group(2)), float(m.group(4)), int(m.group(1))


def bench_llama_cpp(llm, tokens: int) -> tuple[float, float, int]:
    """The same work in llama.cpp: evaluate the prompt, then greedy decode."""
    import numpy as np

    llm.reset()
    ids = llm.tokenize(PROMPT.encode(), add_bos=False)
    t0 = time.perf_counter()
    llm.eval(ids)
    t1 = time.perf_counter()
    for _ in range(tokens):
        llm.eval([int(np.argmax(llm.scores[llm.n_tokens - 1]))])
    t2 = time.perf_counter()
    return len(ids) / (t1 - t0), tokens / (t2 - t1), len(ids)


def measure(model, threads: tuple[int, ...], runs: int, tokens: int) -> tuple[dict, dict]:
    """({threads: myos-llm's runs}, {threads: llama.cpp's runs}) on `model`.
    Alternating runs, best of each (see best): other load on the machine only
    slows a run down, so the fastest one is the least disturbed measurement."""
    from .llama_ref import open_model

    llms = {t: open_model(model, n_ctx=2048, n_threads=t, n_threads_batch=t, verbose=False)
            for t in threads}
    ours = {t: [] for t in threads}
    theirs = {t: [] for t in threads}
    for _ in range(runs):
        for t in threads:
            ours[t].append(bench_myos(model, tokens, t))
            theirs[t].append(bench_llama_cpp(llms[t], tokens))
    return ours, theirs


def best(runs: list, i: int) -> float:
    return max(r[i] for r in runs)


def host_cpu() -> str:
    try:
        return next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args(argv)

    ours, theirs = measure(default_model(), THREADS, args.runs, args.tokens)
    rows = []
    for t in THREADS:
        for name, runs in ((f"build/host/myos-llm --threads {t}", ours[t]),
                           (f"llama.cpp (llama-cpp-python, {t} thread{'s' if t > 1 else ''})", theirs[t])):
            base = ours[1] if runs is ours[t] else theirs[1]
            rows.append(f"| {name} | {best(runs, 0):.1f} | {best(runs, 0) / best(base, 0):.2f}x | "
                        f"{best(runs, 1):.1f} | {best(runs, 1) / best(base, 1):.2f}x |")
    # Every catalogue model with one thread, against llama.cpp in the same run.
    model_rows = []
    for name in CATALOG:
        mine, ref = measure(model_path(name), (1,), args.runs, args.tokens)
        mine, ref = mine[1], ref[1]
        model_rows.append(f"| {name} | {mine[0][2]} / {ref[0][2]} | {best(mine, 0):.1f} | {best(ref, 0):.1f} | "
                          f"{best(mine, 0) / best(ref, 0):.2f}x | {best(mine, 1):.1f} | {best(ref, 1):.1f} | "
                          f"{best(mine, 1) / best(ref, 1):.2f}x |")
    load = os.getloadavg()[0]
    section = "\n".join([
        BEGIN,
        "## Inference engine on the host",
        "",
        f"`python -m myos.bench_engine` — {time.strftime('%Y-%m-%d')}, {host_cpu()} ({os.cpu_count()} cores), "
        f"best of {args.runs} alternating runs (load average {load:.1f} at the end), {args.tokens} generated "
        f"tokens, greedy.",
        "",
        f"SmolLM2-135M-Instruct Q4_1 with one and two threads, prompt of {ours[1][0][2]} tokens (llama.cpp: "
        f"{theirs[1][0][2]}). x: against the same engine with one thread.",
        "",
        "| engine | prompt tok/s | x | generation tok/s | x |",
        "|---|---|---|---|---|",
        *rows,
        "",
        "With two threads myos-llm shares out every matrix product by row groups and the attention",
        "by heads (llm_parallel_for on POSIX threads); llama.cpp splits its matrix products too.",
        "llama.cpp evaluates the prompt as one batch (matrix-matrix products); myos-llm evaluates it",
        "in batches of up to 16 tokens, each weight group read once per batch.",
        "",
        "Each catalogue model (`python -m myos models`) with one thread: myos-llm against llama.cpp.",
        "",
        "| model | prompt tokens (ours / llama.cpp) | prompt tok/s | llama.cpp | ratio | generation tok/s "
        "| llama.cpp | ratio |",
        "|---|---|---|---|---|---|---|---|",
        *model_rows,
        END,
    ])
    write_doc_section(BEGIN, END, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
