"""Fixtures for the kernel's end-to-end tests: a MyOS image booted in QEMU
(software emulation), once per test module. MYOS_IMAGE selects another image
than build/myos.img."""
import os
from pathlib import Path

import pytest

from myos import BUILD
from myos.qemu import Machine

IMAGE = Path(os.environ.get("MYOS_IMAGE", BUILD / "myos.img"))


def boot(**kwargs) -> Machine:
    if not IMAGE.exists():
        pytest.fail(f"{IMAGE} is missing: run `make image` (make test does)")
    return Machine(**kwargs).boot(IMAGE)


@pytest.fixture(scope="module")
def machine():
    m = boot()
    yield m
    m.kill()
