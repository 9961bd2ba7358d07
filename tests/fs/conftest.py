"""Fixtures for the storage tests: the host FAT32 harness (kernel/fs built as a
Linux program) driven line by line, and a boot disk without a filesystem."""
import subprocess

import pytest

from myos import BUILD
from myos.image import build_image

HARNESS = BUILD / "tests" / "fat_host"


class Harness:
    def __init__(self, image):
        self.image = image

    def run(self, *commands, expect_ok=True):
        """Run tab-separated harness commands; returns stdout text."""
        script = "".join("\t".join(str(a) for a in c) + "\n" for c in commands)
        p = subprocess.run([str(HARNESS), str(self.image)], input=script, capture_output=True,
                           text=True, timeout=120)
        assert p.returncode in (0, 1), p.stderr
        if expect_ok:
            assert p.returncode == 0, p.stdout + p.stderr
        return p.stdout


@pytest.fixture
def fat(tmp_path):
    """Factory: fat(image) -> Harness."""
    if not HARNESS.exists():
        pytest.fail(f"{HARNESS} is missing: run `make {HARNESS.relative_to(BUILD.parent)}`")
    return Harness


@pytest.fixture
def boot_only_image(tmp_path):
    """A disk that boots MyOS but has no FAT32 partition (its type says Linux),
    so the kernel mounts the FAT32 partition of a second disk instead."""
    img = build_image(tmp_path / "boot.img", BUILD / "boot" / "stage1.bin",
                      BUILD / "boot" / "stage2.bin", BUILD / "kernel" / "kernel.bin", [], 64)
    with open(img, "r+b") as f:
        f.seek(446 + 4)
        f.write(b"\x83")
    return img
