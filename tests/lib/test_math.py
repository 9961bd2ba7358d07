"""Float math of kernel/lib compared with glibc over 2^24 inputs per function
(host build): at most 1 ulp from glibc (0 for the exact functions), except
where glibc is itself the less accurate one."""
import re

import pytest


@pytest.mark.parametrize("program,log2_inputs", [
    ("lib_math", 24),     # the full measurement (64-bit build, glibc x86-64 libm)
    ("lib_math32", 20),   # the kernel's 32-bit code generation, against glibc i386 libm
])
def test_math_within_one_ulp_of_glibc(run_lib_program, program, log2_inputs):
    result = run_lib_program(program, str(log2_inputs), timeout=300)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = re.findall(r"^(\w+)\s+max ulp (\d+) vs glibc, (\d+) vs correctly rounded, over (\d+) inputs.*?; "
                       r"(\d+) failures", result.stdout, re.M)
    measured = {name: (int(ulp), int(ref), int(n), int(fail)) for name, ulp, ref, n, fail in lines}
    assert set(measured) == {"expf", "logf", "sqrtf", "powf", "tanhf", "floorf", "ceilf", "roundf",
                             "fabsf", "sinf", "cosf"}
    for name, (ulp, ref, n, fail) in measured.items():
        assert n >= 2 ** log2_inputs, name
        assert fail == 0, name
        exact = name in ("sqrtf", "floorf", "ceilf", "roundf", "fabsf")
        assert ref <= (0 if exact else 1), name
        if exact:
            assert ulp == 0, name
