"""Power off (QEMU debug-exit and ACPI) and reboot. Each test ends its
machine, so each boots its own."""
import re

import pytest

from myos.qemu import POWEROFF_STATUS, PROMPT, debug_exit_status

from .conftest import boot

pytestmark = pytest.mark.qemu


def test_poweroff_exit_status():
    m = boot()
    try:
        assert m.poweroff() == POWEROFF_STATUS == 1
        assert "powering off" in m.transcript
    finally:
        m.kill()


def test_poweroff_with_code():
    m = boot()
    try:
        m.write("poweroff 21\r")
        assert m.wait_exit() == debug_exit_status(21) == 43
    finally:
        m.kill()


def test_poweroff_bad_argument_keeps_running():
    m = boot()
    try:
        assert m.run("poweroff soon").startswith("error: poweroff: exit code must be")
        assert m.run("poweroff 1 2").startswith("error: usage: poweroff")
        assert m.run("echo up") == "up\n"
    finally:
        m.kill()


def test_acpi_poweroff_without_debug_exit():
    m = boot(debug_exit=False)
    try:
        assert m.poweroff() == 0  # QEMU's status after an ACPI S5 shutdown
    finally:
        m.kill()


def test_reboot_comes_back():
    m = boot()
    try:
        m.write("reboot\r")
        m.wait_for("rebooting")
        m.wait_for("MyOS kernel ready", 60)
        m.wait_for(re.escape(PROMPT))
        assert m.run("echo second life") == "second life\n"
    finally:
        m.kill()
