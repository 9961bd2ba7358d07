"""The engine's settings table (llm/settings.c) through build/host/myos-llm's
options and the host harness build/tests/settings_harness: every setting
accepts its range and refuses what is beside it with one error line naming
the option and the range, and numbers are read to the float that strtod
(Python's float) rounded to single precision gives. tests/ai/test_ai.py holds
the OS's `set` to the same cases."""
import random
import struct
import subprocess

import pytest

from .settings_cases import MYOS_LLM, RANGES, SHORT, boundary_values, option_verdict, range_text

CASES = [(name, value, ok) for name in RANGES for value, ok in boundary_values(name)]


@pytest.mark.parametrize("name,value,accepted", CASES, ids=[f"{n}={v}" for n, v, _ in CASES])
def test_options_accept_exactly_the_range(name, value, accepted):
    option = RANGES[name][0]
    ok, err = option_verdict(option, value)
    assert ok == accepted, err
    if not accepted:
        line = err.strip()
        assert "\n" not in line and line.startswith(f"myos-llm: {option}: ") and line.endswith(range_text(name)), line


@pytest.mark.parametrize("name", sorted(SHORT))
def test_short_spellings_are_the_same_options(name):
    option, _, lo, hi = RANGES[name]
    assert option_verdict(SHORT[name], str(lo))[0]
    ok, err = option_verdict(SHORT[name], str(hi + 1))
    assert not ok and f"myos-llm: {option}: " in err


def test_help_lists_every_setting_with_its_range():
    out = subprocess.run([str(MYOS_LLM), "--help"], capture_output=True, text=True, check=True).stdout
    for name, (option, *_) in RANGES.items():
        assert option in out and range_text(name)[:-1] in out and f"`set {name}`" in out, name


def test_temperature_is_temp_and_t_is_threads():
    assert option_verdict("-t", "1")[0] and option_verdict("--threads", "64")[0]
    ok, err = option_verdict("-t", "0.8")
    assert not ok and "--threads: 0.8 is out of range (1 to 64)" in err and "--temp" in err
    assert not option_verdict("-t", "65")[0]
    assert option_verdict("--temp", "0.8")[0]


@pytest.fixture(scope="module")
def harness(built):
    path = built("tests/settings_harness")

    def run(lines: list[str]) -> list[str]:
        out = subprocess.run([str(path)], input="".join(l + "\n" for l in lines), capture_output=True,
                             text=True, check=True).stdout.splitlines()
        assert len(out) == len(lines)
        return out
    return run


def f32_bits(text: str) -> int:
    return struct.unpack("<I", struct.pack("<f", float(text)))[0]


def decimals():
    """Decimal spellings a user types, and random ones of 1 to 9 digits."""
    rng = random.Random(11)
    fixed = ["0.8", "0.95", "0.05", "0.1", "0.7", "1.1", "0.01", "99.99", "1e-5", "7.5e-1", "+0.3",
             "00.100", "1.", ".5", "3.4028e-3", "0.3333333333333333333333", "12345678901234567890e-20"]
    rand = [f"{rng.uniform(0, 1):.{rng.randint(1, 9)}f}" for _ in range(300)]
    return fixed + rand


def test_floats_parse_as_strtod_and_show_back_the_same(harness):
    values = decimals()
    for value, line in zip(values, harness([f"temperature {v}" for v in values])):
        status, bits, shown = line.split()
        assert status == "ok" and int(bits, 16) == f32_bits(value), (value, line)
        f = struct.unpack("<f", struct.pack("<f", float(value)))[0]
        short = f"{f:.6g}"  # `set` shows the shorter spelling when it reads back the same
        assert shown == (short if f32_bits(short) == f32_bits(value) else f"{f:.9g}"), (value, shown)


def test_integers_and_seeds_are_stored_exactly(harness):
    lines = harness(["ctx 1e3", "max_tokens -1", "repeat_last_n 64", "seed 18446744073709551615", "seed 0007"])
    assert [l.split()[1:] for l in lines] == [["3e8", "1000"], ["ffffffff", "-1"], ["40", "64"],
                                              ["ffffffffffffffff", "18446744073709551615"], ["7", "7"]]


def test_errors_read_as_the_shell_prints_them(harness):
    assert harness(["top_p 2", "temperature warm", "top_k 2.5", "seed -1", "bogus 1", "temperature -0"]) == [
        "error top_p: 2 is out of range (0 to 1)",
        "error temperature: 'warm' is not a number (0 to 100)",
        "error top_k: '2.5' is not a whole number (0 to 1048576)",
        "error seed: '-1' is not a whole number (0 to 18446744073709551615)",
        "error unknown setting 'bogus'",
        "ok 0 0",
    ]
