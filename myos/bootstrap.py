"""Install everything the build and tests need on a fresh Debian machine.

Runs with the system python3 (stdlib only), before .venv exists. Idempotent:
apt packages are installed only when missing, the venv only when
requirements.txt changed since the last successful run.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STAMP = VENV / ".requirements-installed"
REQUIREMENTS = ROOT / "requirements.txt"

APT_PACKAGES = [
    "qemu-system-x86", "qemu-utils", "nasm", "gcc-multilib", "mtools", "dosfstools",
    "clang", "libclang-rt-14-dev", "make",
]


def run(cmd):
    print("+", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def missing_apt_packages():
    missing = []
    for pkg in APT_PACKAGES:
        r = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg],
                           capture_output=True, text=True)
        if "install ok installed" not in r.stdout:
            missing.append(pkg)
    return missing


def install_apt():
    missing = missing_apt_packages()
    if not missing:
        return
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    env_cmd = sudo + ["env", "DEBIAN_FRONTEND=noninteractive"]
    run(env_cmd + ["apt-get", "update", "-qq"])
    run(env_cmd + ["apt-get", "install", "-y", "-qq"] + missing)


def install_venv():
    wanted = REQUIREMENTS.read_text()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (VENV / "bin" / "python").exists():
        run([sys.executable, "-m", "venv", str(VENV)])
    run([str(VENV / "bin" / "pip"), "install", "-q", "-r", str(REQUIREMENTS)])
    STAMP.write_text(wanted)


def main():
    install_apt()
    install_venv()
    for tool in ("qemu-system-i386", "nasm", "mformat", "fsck.fat"):
        if shutil.which(tool) is None and not Path("/usr/sbin", tool).exists():
            sys.exit(f"bootstrap: {tool} is still missing after installing packages")


if __name__ == "__main__":
    main()
