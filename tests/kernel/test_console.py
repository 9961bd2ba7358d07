"""The VGA console and the PS/2 keyboard, driven through the QEMU monitor:
keys typed with sendkey reach the shell, and the VGA text buffer shows the
same lines as the serial console."""
import re

import pytest

from myos.qemu import PROMPT

pytestmark = pytest.mark.qemu

COLS, ROWS = 80, 25


def screen_lines_from_serial(text: str) -> list[str]:
    """What an 80-column screen shows for serial output: the text after the
    last clear-screen sequence, long lines wrapped."""
    text = text.split("\x1b[2J\x1b[H")[-1]
    lines = []
    for line in text.split("\n"):
        line = line.rstrip("\r")
        while len(line) > COLS:
            lines.append(line[:COLS])
            line = line[COLS:]
        lines.append(line.rstrip())
    return lines


def typed(machine, text: str) -> str:
    """Types text + Enter on the keyboard; returns the command's output."""
    machine.sendkeys(text + "\n")
    m = machine.wait_for(re.escape(text) + r"\r\n((?:.*\r\n)*?)" + re.escape(PROMPT), 30)
    return m.group(1).decode().replace("\r\n", "\n")


def test_keyboard_typing_reaches_shell(machine):
    assert typed(machine, "echo Hello, World! (a+b)*c=[x]_y {z}|<>?") == \
        "Hello, World! (a+b)*c=[x]_y {z}|<>?\n"


def test_caps_lock(machine):
    machine.sendkeys("echo ")
    machine.sendkey("caps_lock")
    machine.sendkeys("shout")
    machine.sendkey("caps_lock")
    machine.sendkeys(" quiet\n")
    machine.wait_for(r"SHOUT quiet\r\n" + re.escape(PROMPT))


def test_keyboard_arrows_and_history(machine):
    typed(machine, "echo from keyboard")
    machine.sendkey("up")         # recall "echo from keyboard"
    machine.sendkey("left")       # cursor before the final "d"
    machine.sendkey("backspace")  # removes the "r"
    machine.sendkeys("R\n")
    machine.wait_for(r"\r\nfrom keyboaRd\r\n" + re.escape(PROMPT))


def test_keyboard_ctrl_c(machine):
    machine.sendkeys("echo abandoned")
    machine.sendkey("ctrl", "c")
    machine.wait_for(r"\^C\r\n" + re.escape(PROMPT))


def test_vga_matches_serial(machine):
    machine.run("clear")
    machine.run("help")
    machine.run("echo same on both consoles")
    machine.run("nonsense")
    expected = screen_lines_from_serial(machine.transcript)[-ROWS:]  # older lines scrolled off
    screen = machine.vga_text()
    assert screen[:len(expected)] == expected
    assert all(line == "" for line in screen[len(expected):])
    assert expected[-1] == PROMPT.rstrip()
    assert "same on both consoles" in screen


def test_vga_scrolls(machine):
    for i in range(30):
        machine.run(f"echo line {i}")
    screen = machine.vga_text()
    assert screen[-1] == PROMPT.rstrip()
    assert screen[-2] == "line 29"
    assert "line 0" not in screen


def test_ctrl_l_clears_screen(machine):
    machine.run("echo before clear")
    machine.sendkey("ctrl", "l")
    machine.wait_for(re.escape("\x1b[2J\x1b[H" + PROMPT))
    screen = machine.vga_text()
    assert screen[0] == PROMPT.rstrip()
    assert all(line == "" for line in screen[1:])


def test_screendump_png(machine, tmp_path):
    png = machine.screendump(tmp_path / "screen.png")
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (720, 400)  # 80x25 cells of 9x16 pixels


@pytest.mark.parametrize("color_attr", [0x07])
def test_default_colours(machine, color_attr):
    attrs = machine.vga_attributes()
    assert attrs[0] == color_attr  # light grey on black
