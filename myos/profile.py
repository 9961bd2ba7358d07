"""`python -m myos profile "CMD" [...]`: a sampling profiler for the kernel
under QEMU. Boots the image, starts the commands on the serial console and,
while they run, reads the guest's EIP through the QEMU monitor
(`info registers`) every few milliseconds; each sample is charged to the
kernel symbol containing it (build/kernel/kernel.sym). TCG stops the vCPU
only between translated blocks, so a sample lands on a block boundary: the
profile is by function, not by instruction.

    python -m myos profile "model" "bench" --top 30
"""
import argparse
import bisect
import collections
import re
import sys
import threading
import time
from pathlib import Path

from . import BUILD
from .build import make
from .qemu import Machine

SYMBOLS = BUILD / "kernel" / "kernel.sym"
EIP = re.compile(r"EIP=([0-9a-f]{8})")


def load_symbols(path: Path = SYMBOLS) -> tuple[list[int], list[str]]:
    """Function start addresses (sorted) and names from `nm -n` output."""
    addrs, names = [], []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def symbolize(eip: int, addrs: list[int], names: list[str]) -> str:
    i = bisect.bisect_right(addrs, eip) - 1
    return names[i] if i >= 0 else f"{eip:#x}"


def sample(m: Machine, done: threading.Event, interval: float) -> collections.Counter:
    counts: collections.Counter = collections.Counter()
    while not done.is_set():
        match = EIP.search(m.hmp("info registers"))
        if match:
            counts[int(match.group(1), 16)] += 1
        time.sleep(interval)
    return counts


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="myos profile", description=__doc__.split("\n\n")[0])
    ap.add_argument("commands", nargs="+", help="shell commands; the last one is profiled")
    ap.add_argument("--top", type=int, default=25, help="functions to list")
    ap.add_argument("--interval", type=float, default=0.002, help="seconds between samples")
    ap.add_argument("--cpu", default="max", help="QEMU CPU model")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args(argv)
    make("image", quiet=True)
    addrs, names = load_symbols()
    with Machine(cpu=args.cpu) as m:
        m.boot()
        for command in args.commands[:-1]:
            print(m.run(command, args.timeout), end="")
        done = threading.Event()
        result: dict = {}
        sampler = threading.Thread(target=lambda: result.update(c=sample(m, done, args.interval)))
        sampler.start()
        try:
            print(m.run(args.commands[-1], args.timeout), end="")
        finally:
            done.set()
            sampler.join()
    by_function = collections.Counter()
    for eip, n in result["c"].items():
        by_function[symbolize(eip, addrs, names)] += n
    total = sum(by_function.values())
    print(f"\n{total} samples")
    for name, n in by_function.most_common(args.top):
        print(f"{100.0 * n / total:6.2f}%  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
