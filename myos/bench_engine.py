"""Host benchmark of the inference engine: build/host/myos-llm against
llama.cpp (llama-cpp-python, one thread) on SmolLM2-135M-Instruct Q4_1,
measured in the same run on the same machine. Writes its section of
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
from .models import default_model

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


def bench_myos(model, tokens: int) -> tuple[float, float, int]:
    """(prompt tok/s, generation tok/s, prompt tokens) from myos-llm's report."""
    r = subprocess.run([str(BUILD / "host" / "myos-llm"), "-m", str(model), "-p", PROMPT, "-n", str(tokens),
                        "-t", "0"], capture_output=True, text=True, check=True)
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


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--tokens", type=int, default=64)
    args = ap.parse_args(argv)
    from llama_cpp import Llama

    model = default_model()
    llm = Llama(model_path=str(model), n_ctx=2048, n_threads=1, n_threads_batch=1, verbose=False)
    # Alternating runs, best of each: other load on the machine only slows
    # a run down, so the fastest one is the least disturbed measurement.
    ours, theirs = [], []
    for _ in range(args.runs):
        ours.append(bench_myos(model, args.tokens))
        theirs.append(bench_llama_cpp(llm, args.tokens))
    best = lambda rows, i: max(r[i] for r in rows)  # noqa: E731
    load = os.getloadavg()[0]
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    section = "\n".join([
        BEGIN,
        "## Inference engine on the host (SmolLM2-135M-Instruct Q4_1)",
        "",
        f"`python -m myos.bench_engine` — {time.strftime('%Y-%m-%d')}, {cpu}, one thread each, "
        f"best of {args.runs} alternating runs (load average {load:.1f}), prompt of {ours[0][2]} tokens "
        f"(llama.cpp: {theirs[0][2]}), {args.tokens} generated tokens, greedy.",
        "",
        "| engine | prompt tok/s | generation tok/s |",
        "|---|---|---|",
        f"| build/host/myos-llm | {best(ours, 0):.1f} | {best(ours, 1):.1f} |",
        f"| llama.cpp (llama-cpp-python, 1 thread) | {best(theirs, 0):.1f} | {best(theirs, 1):.1f} |",
        "",
        "llama.cpp evaluates the prompt as one batch (matrix-matrix products); myos-llm evaluates it",
        "in batches of up to 16 tokens, each weight group read once per batch.",
        END,
    ])
    write_doc_section(BEGIN, END, section)
    print(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
