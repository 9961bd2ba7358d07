"""Building through the Makefile, so `python -m myos` and `make` agree on
what is up to date."""
import subprocess
import sys

from . import ROOT


def make(*targets: str, quiet: bool = False) -> None:
    """Runs make in the project root; exits with make's status on failure.
    Quiet: make's own output goes to stderr, keeping stdout for results."""
    cmd = ["make", "-C", str(ROOT)] + (["-s"] if quiet else []) + list(targets)
    r = subprocess.run(cmd, stdout=sys.stderr if quiet else None)
    if r.returncode != 0:
        sys.exit(f"myos: `{' '.join(cmd)}` failed")
