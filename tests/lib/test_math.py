"""Float math of kernel/lib compared with glibc over 2^24 inputs per function
(host build): at most 1 ulp from glibc (0 for the exact functions), except
where glibc is itself the less accurate one."""
import re


def test_math_within_one_ulp_of_glibc(run_lib_program):
    result = run_lib_program("lib_math", timeout=300)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = re.findall(r"^(\w+)\s+max ulp (\d+) vs glibc, (\d+) vs correctly rounded, over (\d+) inputs.*?; "
                       r"(\d+) failures", result.stdout, re.M)
    measured = {name: (int(ulp), int(ref), int(n), int(fail)) for name, ulp, ref, n, fail in lines}
    assert set(measured) == {"expf", "logf", "sqrtf", "powf", "tanhf", "floorf", "ceilf", "roundf",
                             "fabsf", "sinf", "cosf"}
    for name, (ulp, ref, n, fail) in measured.items():
        assert n >= 2 ** 24, name
        assert fail == 0, name
        exact = name in ("sqrtf", "floorf", "ceilf", "roundf", "fabsf")
        assert ref <= (0 if exact else 1), name
        if exact:
            assert ulp == 0, name
