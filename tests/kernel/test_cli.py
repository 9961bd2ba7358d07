"""`python -m myos exec`: output of each command and the exit status rules
(0 all good, 1 a command failed or the kernel panicked, 2 timeout)."""
import subprocess
import sys

import pytest

from myos import ROOT

from .conftest import IMAGE

pytestmark = pytest.mark.qemu


def myos_exec(*args):
    return subprocess.run([sys.executable, "-m", "myos", "exec", "--image", str(IMAGE), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_exec_success():
    r = myos_exec("echo one", "echo two")
    assert r.returncode == 0, r.stderr
    assert r.stdout == "myos> echo one\none\nmyos> echo two\ntwo\n"


def test_exec_failing_command():
    r = myos_exec("echo before", "no-such-command", "echo after")
    assert r.returncode == 1
    assert "error: unknown command 'no-such-command'" in r.stdout
    assert r.stdout.endswith("myos> echo after\nafter\n")  # later commands still run


def test_exec_panic():
    r = myos_exec("crash opcode")
    assert r.returncode == 1
    assert "Invalid Opcode (#UD)" in r.stdout


def test_exec_boot_timeout():
    r = myos_exec("--boot-timeout", "0.05", "echo x")
    assert r.returncode == 2
    assert "no prompt within" in r.stderr


def test_profile_names_the_hot_functions():
    """`python -m myos profile`: samples while `bench kernels` runs land
    in the matrix kernels, which take nearly all of that command's time."""
    r = subprocess.run([sys.executable, "-m", "myos", "profile", "--top", "3", "bench kernels"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "chosen: Q4_1" in r.stdout  # the command's own output
    samples = int(r.stdout.split(" samples\n")[0].split()[-1])
    top = r.stdout.split(" samples\n")[1].splitlines()
    assert samples > 100 and len(top) == 3, r.stdout
    # The kernels of the three layouts share the time (beside the repacking
    # of `bench`'s test matrices, a larger share on a busy host).
    entries = [line.split() for line in top]
    kernels = [float(share.rstrip("%")) for share, name in entries if name.startswith(("q4_", "q8_", "q6_"))]
    assert entries[0][1].startswith(("q4_", "q8_", "q6_")) and sum(kernels) > 25, r.stdout
