"""Benchmark of one LoRA training step (`make bench` runs it): SmolLM2-135M-Instruct
(the default catalogue model), rank 8 on q and v, 64 tokens per step, on
the committed held-out text. On the host, myos-llm --train (one thread)
against PyTorch (one thread) taking the same step in float32 on the base
weights dequantized by the gguf package (myos.torch_lora: forward,
backward, clipping, AdamW) in alternating runs, best step of each; then
seconds per step of the OS's `train` command under QEMU. Writes its
section of docs/benchmarks.md (between marker comments) and prints it.

    python -m myos.bench_train [--runs N] [--steps N] [--qemu-steps N] [--skip-qemu]
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from . import BUILD, ROOT
from .bench_engine import host_cpu, write_doc_section
from .image import default_image
from .models import DEFAULT, default_model
from .qemu import Machine

BEGIN, END = "<!-- train: begin -->", "<!-- train: end -->"
TEXT = ROOT / "tests" / "train" / "heldout.txt"
OS_TEXT = "/TRAIN/HELDOUT.TXT"
# The step measured, as OS settings (myos.torch_lora.HOST_OPTION gives myos-llm's spelling).
SETTINGS = {"train_ctx": 64, "lora_rank": 8, "lora_alpha": 16.0, "lora_targets": "q,v", "train_lr": 0.001,
            "train_seed": 0}
QEMU_STEP_TIMEOUT = 900   # seconds; a step takes about 3 minutes under TCG on a 2-core host


def host_run(tmp: Path, steps: int, *extra) -> list[tuple[float, float]]:
    """(loss, seconds) of each step of one myos-llm --train process."""
    from .torch_lora import HOST_STEP, host_args, run_myos_train

    out = run_myos_train(default_model(), TEXT, tmp / "bench.gguf", "--threads", 1,
                         *host_args(dict(SETTINGS, train_steps=steps)), *extra)
    return [(float(loss), float(sec)) for loss, sec in HOST_STEP.findall(out)]


def torch_run(model, pairs: dict, tokens: list[int], steps: int) -> list[tuple[float, float]]:
    """(loss, seconds) of each step of PyTorch's training from the engine's
    starting adapter on the engine's chunks."""
    import torch

    from .torch_lora import adamw_step, chunk, lora_params

    params, flat = lora_params(pairs)
    opt = torch.optim.AdamW(flat, lr=SETTINGS["train_lr"])
    ctx, rank, alpha = SETTINGS["train_ctx"], SETTINGS["lora_rank"], SETTINGS["lora_alpha"]
    res = []
    for step in range(steps):
        t0 = time.perf_counter()
        loss = adamw_step(model, chunk(tokens, ctx, step), params, flat, opt, alpha, rank)
        res.append((loss, time.perf_counter() - t0))
    return res


def measure_host(runs: int, steps: int) -> dict[str, list[tuple[float, float]]]:
    """{engine: every step of every run}, the engines alternating run by run."""
    import torch

    from .torch_lora import TorchLora, host_args, myos_train, read_adapter

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # The engine's starting adapter (A random, B zero) and training tokens, for PyTorch.
        _, tokens = myos_train(default_model(), TEXT, tmp / "start.gguf", "--threads", 1,
                               *host_args(dict(SETTINGS, train_steps=0)))
        pairs, _ = read_adapter(tmp / "start.gguf")
        model = TorchLora(default_model())
        torch.set_num_threads(1)
        res = {"myos-llm": [], "myos-llm --train-int": [], "torch": []}
        for _ in range(runs):
            res["myos-llm"] += host_run(tmp, steps)
            res["myos-llm --train-int"] += host_run(tmp, steps, "--train-int")
            res["torch"] += torch_run(model, pairs, tokens, steps)
    return res


def measure_qemu(steps: int) -> list[tuple[float, float]]:
    """(loss, seconds) of each step of `train` in the OS, one boot."""
    from .torch_lora import OS_STEP

    image = default_image(BUILD / "bench" / "train.img", [DEFAULT], [f"{TEXT}={OS_TEXT}"], None)
    name = default_model().name
    with Machine().boot(image, timeout=120) as m:
        out = m.run(f"model {name}", 120)
        if f"loaded {name}" not in out:
            raise RuntimeError(f"model {name} did not load:\n{out}")
        for setting, value in dict(SETTINGS, train_steps=steps).items():
            out = m.run(f"set {setting} {value}")
            if "error" in out:
                raise RuntimeError(f"set {setting} {value}: {out}")
        out = m.run(f"train {OS_TEXT} bench", QEMU_STEP_TIMEOUT * (steps + 1))
        m.poweroff()
    found = [(float(s.group(3)), float(s.group(5))) for s in OS_STEP.finditer(out)]
    if len(found) != steps:
        raise RuntimeError(f"expected {steps} step lines from `train`:\n{out}")
    return found


def best(steps: list[tuple[float, float]]) -> float:
    """The fastest step: other load on the machine only slows a step down."""
    return min(sec for _, sec in steps)


def section(host: dict, qemu: list | None, runs: int, steps: int) -> str:
    import torch

    ctx = SETTINGS["train_ctx"]
    ref = best(host["torch"])
    label = {"myos-llm": "`myos-llm --train` (float32 forward)",
             "myos-llm --train-int": "`myos-llm --train --train-int` (integer kernels for q, k, o and the output)",
             "torch": f"PyTorch {torch.__version__.split('+')[0]} float32"}
    rows = [f"| {label[name]} | {best(s) * 1e3:.0f} | {ctx / best(s):.1f} | {best(s) / ref:.2f}x | "
            f"{s[0][0]:.6f} |" for name, s in host.items()]
    lines = [BEGIN, "## LoRA training on the host and in QEMU", "",
             f"`python -m myos.bench_train` (part of `make bench`) — {time.strftime('%Y-%m-%d')}, {host_cpu()} "
             f"({os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at the end). One training step of "
             f"SmolLM2-135M-Instruct Q4_1: LoRA rank {SETTINGS['lora_rank']} (alpha {SETTINGS['lora_alpha']:g}) "
             f"on {SETTINGS['lora_targets']}, {ctx} tokens of tests/train/heldout.txt: forward, backward into the "
             f"LoRA matrices, clipping by global norm, AdamW. One thread each: PyTorch "
             f"(`torch.set_num_threads(1)`) takes the same step from the same starting adapter on the same "
             f"tokens, with the base weights dequantized to float32 by the `gguf` package (myos/torch_lora.py). "
             f"Best step of {runs} alternating runs of {steps} steps; x: time against PyTorch's (goal <= 1.0x); "
             f"loss: of the first step (the integer kernels' differs slightly from float32's).", "",
             "| engine | ms per step | tokens/s trained | x PyTorch | step 1 loss |", "|---|---|---|---|---|",
             *rows]
    if qemu:
        settings = ", ".join(f"`set {k} {v}`" for k, v in dict(SETTINGS, train_steps=len(qemu)).items())
        # The first host run's losses, step by step: the OS takes the same steps.
        host_losses = [f"{loss:.6f}" for loss, _ in host["myos-llm"][:steps]]
        lines += ["", f"In the OS under QEMU (qemu-system-i386, TCG, `-cpu max`, one vCPU): {settings}, then "
                  f"`train {OS_TEXT}`: the same steps as `myos-llm --train` above, whose first run's losses "
                  f"are beside the OS's.", "",
                  "| step | loss | myos-llm's loss | s per step | tokens/s trained |", "|---|---|---|---|---|"]
        lines += [f"| {i} | {loss:.6f} | {host_losses[i - 1] if i <= steps else '-'} | {sec:.1f} | "
                  f"{ctx / sec:.2f} |" for i, (loss, sec) in enumerate(qemu, 1)]
    lines.append(END)
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="myos.bench_train", description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="alternating host runs of each engine")
    ap.add_argument("--steps", type=int, default=3, help="steps per host run")
    ap.add_argument("--qemu-steps", type=int, default=2, help="steps of `train` in QEMU")
    ap.add_argument("--skip-qemu", action="store_true", help="only the host part")
    args = ap.parse_args(argv)
    host = measure_host(args.runs, args.steps)
    qemu = None if args.skip_qemu else measure_qemu(args.qemu_steps)
    text = section(host, qemu, args.runs, args.steps)
    write_doc_section(BEGIN, END, text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
