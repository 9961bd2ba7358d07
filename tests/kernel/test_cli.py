"""`python -m myos exec`: output of each command and the exit status rules
(0 all good, 1 a command failed or the kernel panicked, 2 timeout)."""
import subprocess
import sys

from myos import ROOT

from .conftest import IMAGE


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
