"""printf and string functions of kernel/lib compared with glibc (host builds)."""
import re


def test_snprintf_matches_glibc(run_lib_program):
    result = run_lib_program("lib_printf")
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    cases = int(re.search(r"printf: (\d+) cases, 0 mismatches", result.stdout).group(1))
    assert cases >= 300


def test_string_functions_match_glibc(run_lib_program):
    result = run_lib_program("lib_string")
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"string: \d+ checks, 0 failures", result.stdout)
