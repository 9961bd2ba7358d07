"""The shell over the serial console: boot, every basic command, errors,
line editing and history. One QEMU boot for the whole module."""
import re
import time

import pytest

from myos.qemu import PROMPT

pytestmark = pytest.mark.qemu


def test_boot_reaches_prompt(machine):
    assert machine.boot_seconds is not None and machine.boot_seconds < 30
    banner = machine.transcript
    assert "MyOS kernel ready" in banner
    assert banner.rstrip().endswith(PROMPT.rstrip())


def test_help_lists_every_command(machine):
    out = machine.run("help")
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    for cmd in ("help", "clear", "echo", "mem", "cpu", "uptime", "reboot", "poweroff", "crash"):
        assert cmd in names, out
    assert names == sorted(names)
    for line in out.splitlines():  # every command has a description
        assert len(line.split()) >= 2, line


def test_echo_prints_the_text_as_typed(machine):
    """The rest of the line after "echo ", byte for byte."""
    assert machine.run("echo hello   world") == "hello   world\n"
    assert machine.run('echo "two  spaces" kept') == '"two  spaces" kept\n'
    assert machine.run("echo") == "\n"
    text = '  \tlead, a tab, a back\\slash, an "open quote and trailing spaces  '
    assert machine.run("echo " + text) == text + "\n"


def test_unclosed_quote(machine):
    assert machine.run('ls "oops') == "error: missing closing quote\n"
    assert machine.run('write "/oops text') == "error: missing closing quote\n"


def test_mem_shows_e820_map_and_totals(machine):
    out = machine.run("mem")
    assert "BIOS memory map (E820):" in out
    assert re.search(r"0x000100000 - 0x[0-9a-f]{9}\s+\d+ KiB\s+usable", out), out
    total = int(re.search(r"usable RAM: (\d+) MiB", out).group(1))
    assert 500 <= total <= 512  # booted with 512 MiB
    heap_total = int(re.search(r"heap:\s+(\d+) KiB total", out).group(1))
    assert 480 * 1024 <= heap_total <= 512 * 1024
    assert re.search(r"kernel:\s+0x00100000 - 0x[0-9a-f]{8}", out)
    assert re.search(r"largest free block \d+ KiB, \d+ live allocations", out)
    assert max(len(line) for line in out.splitlines()) < 80


def test_cpu_reports_features_and_tsc(machine):
    out = machine.run("cpu")
    assert re.search(r"vendor:\s+\S+", out)
    features = re.search(r"features: ((?:.*\n)+?)AVX:", out).group(1).split()
    for f in ("fpu", "tsc", "sse", "sse2", "avx", "avx2", "osxsave"):  # -cpu max
        assert f in features, features
    assert "AVX:      enabled" in out
    assert max(len(line) for line in out.splitlines()) < 80
    mhz = float(re.search(r"TSC:\s+([\d.]+) MHz", out).group(1))
    assert 100 < mhz < 10000


def test_uptime_advances(machine):
    def up():
        out = machine.run("uptime")
        m = re.match(r"up (\d+)\.(\d{3}) s \((\d+) timer ticks\)", out)
        assert m, out
        return int(m.group(1)) * 1000 + int(m.group(2)), int(m.group(3))
    ms1, ticks1 = up()
    time.sleep(0.3)
    ms2, ticks2 = up()
    assert ms2 - ms1 >= 250
    assert ticks2 > ticks1


def test_unknown_command(machine):
    out = machine.run("frobnicate now")
    assert out == "error: unknown command 'frobnicate' (type 'help' for the list)\n"
    assert machine.run("echo still here") == "still here\n"


def test_a_full_line_of_words_is_split(machine):
    """As many one-letter words as a line holds after `echo` (1022
    characters): every word is an argument."""
    words = " ".join(["a"] * 509)
    assert machine.run("echo " + words) == words + "\n"


def test_overlong_line_is_refused(machine):
    out = machine.run("x" * 10000, timeout=60)
    assert out.splitlines()[-1] == \
        "error: input line too long (at most 1023 characters), ignored"
    assert machine.run("echo alive") == "alive\n"


def test_fast_paste_loses_nothing(machine):
    """20 long command lines sent at once (18 KB, more than the input ring
    holds): every one arrives complete and runs."""
    lines = [f"echo paste-{i:02d}-" + "y" * 900 for i in range(20)]
    machine.write("".join(line + "\r" for line in lines))
    for i in range(20):
        m = machine.wait_for(r"\r\n(paste-\d\d-y*)\r\n" + re.escape(PROMPT), 60)
        assert m.group(1).decode() == lines[i][5:]


def test_empty_line_gives_prompt(machine):
    assert machine.run("") == ""
    assert machine.run("   ") == ""


def test_history_up_arrow(machine):
    machine.run("echo first entry")
    machine.run("echo second entry")
    assert machine.run("\x1b[A\x1b[A").endswith("first entry\n")
    assert machine.run("\x1b[A").endswith("first entry\n")  # most recent is now that one


def test_history_down_returns_to_draft(machine):
    machine.run("echo one")
    out = machine.run("echo dr\x1b[A\x1b[Baft")
    assert out.endswith("draft\n")


def test_cursor_editing(machine):
    assert machine.run("echo helo\x1b[Dl").endswith("hello\n")     # left, insert
    assert machine.run("echo abx\x7fc").endswith("abc\n")           # backspace
    assert machine.run("Xecho xyz\x1b[H\x1b[3~\x1b[F!").endswith("xyz!\n")  # home, del, end
    assert machine.run("echo 12345\x1b[D\x1b[D\x1b[3~").endswith("1235\n")  # delete


def test_ctrl_c_cancels_line(machine):
    machine.write("echo never\x03")
    machine.wait_for(r"\^C\r\n" + re_prompt())
    assert machine.run("echo after") == "after\n"


def re_prompt():
    return re.escape(PROMPT)
