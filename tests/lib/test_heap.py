"""The kernel heap (kernel/lib/memory.c) built for the host: a randomized stress
against a model in 32- and 64-bit builds, and one test per misuse detection."""
import re

import pytest


@pytest.mark.parametrize("program,ops,seed", [
    ("lib_heap_stress32", 10_000_000, 1),   # the kernel's pointer size, full length
    ("lib_heap_stress64", 2_000_000, 2),
])
def test_heap_stress_against_model(run_lib_program, program, ops, seed):
    result = run_lib_program(program, "stress", str(ops), str(seed), timeout=120)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"heap stress: {ops} ops, 0 failures" in result.stdout


def test_out_of_memory_returns_null_and_heap_recovers(run_lib_program):
    result = run_lib_program("lib_heap_errors", "oom")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failures" in result.stdout


@pytest.mark.parametrize("case", [
    "double_free", "double_free_merged", "realloc_freed", "foreign_stack",
    "foreign_interior", "header_overrun", "free_list",
])
def test_misuse_is_reported_with_its_address(run_lib_program, case):
    result = run_lib_program("lib_heap_errors", case)
    expect = re.search(r"^expect (.+) (0x[0-9a-f]+) (0x[0-9a-f]+)$", result.stdout, re.M)
    report = re.search(r"^heap_fatal: (.+) at (0x[0-9a-f]+)$", result.stdout, re.M)
    assert expect and report, result.stdout + result.stderr
    assert result.returncode == 3
    what, lo, hi = expect.group(1), int(expect.group(2), 16), int(expect.group(3), 16)
    assert report.group(1) == what
    assert lo <= int(report.group(2), 16) <= hi
