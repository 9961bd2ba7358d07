"""The disk image: MBR partition table, stage 2 header and kernel placement,
the FAT32 partition (checked with mtools and fsck.fat), the recorded model
hashes (against sha256sum), the builder's errors, and the boot loader's
message when the disk cannot be read."""
import os
import re
import shutil
import struct
import subprocess
import time

import pytest

from myos import BUILD
from myos.image import (KERNEL_LBA, PART_START, SECTOR, STAGE2_SECTORS, ImageError,
                        build_image, parse_add)
from myos.models import default_model
from myos.qemu import Machine

IMAGE = BUILD / "myos.img"
STAGE1 = BUILD / "boot" / "stage1.bin"
STAGE2 = BUILD / "boot" / "stage2.bin"
KERNEL = BUILD / "kernel" / "kernel.bin"
MTOOLS_ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")


def mtools(*args):
    return subprocess.run(list(args), env=MTOOLS_ENV, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def image_bytes_head():
    with open(IMAGE, "rb") as f:
        return f.read(PART_START * SECTOR)


def test_partition_table(image_bytes_head):
    mbr = image_bytes_head[:SECTOR]
    assert mbr[510:] == b"\x55\xaa"
    status, ptype = mbr[446], mbr[450]
    start, count = struct.unpack("<II", mbr[454:462])
    assert (status, ptype, start) == (0x80, 0x0C, PART_START)
    assert (start + count) * SECTOR == IMAGE.stat().st_size
    assert mbr[462:510] == bytes(48)  # the other three entries are empty


def test_stage2_and_kernel_placement(image_bytes_head):
    s2 = image_bytes_head[SECTOR:SECTOR * (1 + STAGE2_SECTORS)]
    assert s2[4:8] == b"YMS2"
    lba, sectors = struct.unpack("<II", s2[8:16])
    kernel = KERNEL.read_bytes()
    assert lba == KERNEL_LBA and sectors == -(-len(kernel) // SECTOR)
    assert image_bytes_head[lba * SECTOR:lba * SECTOR + len(kernel)] == kernel


def test_fat32_contents():
    part = f"{IMAGE}@@{PART_START * SECTOR}"
    listing = mtools("mdir", "-a", "-i", part, "::/MODELS")
    model = default_model()
    assert re.search(rf"\b{model.stat().st_size}\b.*{re.escape(model.name)}", listing), listing
    assert "MYOS" in mtools("mdir", "-i", part, "::/")
    assert "FAT32" in mtools("minfo", "-i", part, "::")


def test_recorded_hashes_match_sha256sum():
    """/MODELS/SHA256.TXT says what coreutils' sha256sum says of the model
    file, and `sha256sum -c` accepts it."""
    part = f"{IMAGE}@@{PART_START * SECTOR}"
    recorded = mtools("mtype", "-i", part, "::/MODELS/SHA256.TXT")
    model = default_model()
    computed = subprocess.run(["sha256sum", model.name], cwd=model.parent, capture_output=True,
                              text=True, check=True).stdout
    assert recorded == computed
    subprocess.run(["sha256sum", "--check", "--strict", "-"], cwd=model.parent, input=recorded,
                   text=True, check=True, capture_output=True)


def test_fsck_clean(tmp_path):
    part = tmp_path / "part.img"
    with open(IMAGE, "rb") as src, open(part, "wb") as dst:
        src.seek(PART_START * SECTOR)
        shutil.copyfileobj(src, dst, 1 << 20)
    fsck = shutil.which("fsck.fat") or "/usr/sbin/fsck.fat"
    r = subprocess.run([fsck, "-n", str(part)], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_add_file_and_size(tmp_path):
    extra = tmp_path / "notes.txt"
    extra.write_text("hello from the host\n")
    out = build_image(tmp_path / "t.img", STAGE1, STAGE2, KERNEL,
                      [parse_add(str(extra)), parse_add(f"{extra}=/MYOS/README.TXT")], size_mb=70)
    assert out.stat().st_size == (PART_START * SECTOR) + 70 * 2**20
    part = f"{out}@@{PART_START * SECTOR}"
    assert mtools("mtype", "-i", part, "::/MODELS/notes.txt") == "hello from the host\n"
    assert mtools("mtype", "-i", part, "::/MYOS/README.TXT") == "hello from the host\n"


def test_builder_errors(tmp_path):
    big = tmp_path / "big.bin"
    big.write_bytes(bytes((PART_START - KERNEL_LBA) * SECTOR + 1))
    with pytest.raises(ImageError, match="boot gap"):
        build_image(tmp_path / "x.img", STAGE1, STAGE2, big, [])
    with pytest.raises(ImageError, match="at least"):
        build_image(tmp_path / "x.img", STAGE1, STAGE2, KERNEL,
                    [(default_model(), "/MODELS/m.gguf")], size_mb=80)
    with pytest.raises(ImageError, match="not a file"):
        parse_add(str(tmp_path / "missing.gguf"))
    with pytest.raises(ImageError, match="boot sector"):
        build_image(tmp_path / "x.img", STAGE2, STAGE2, KERNEL, [])


@pytest.mark.qemu
def test_disk_read_error_message(tmp_path):
    """A disk that ends inside the kernel: stage 2 says so on screen."""
    s2 = bytearray(STAGE2.read_bytes())
    s2[8:16] = struct.pack("<II", KERNEL_LBA, 200)
    disk = tmp_path / "short.img"
    disk.write_bytes(STAGE1.read_bytes() + bytes(s2) + bytes(8 * SECTOR))
    m = Machine().boot(disk, wait_prompt=False)
    expected = re.compile(r"MyOS boot: disk read error at LBA 0x00000011, int 13h status 0x[0-9a-f]{8}")
    try:
        deadline = time.monotonic() + 30
        text = ""
        # The BIOS prints one character at a time: poll until the line is complete.
        while time.monotonic() < deadline and not expected.search(text):
            time.sleep(0.1)
            text = "\n".join(m.vga_text())
        assert expected.search(text), text
        assert m.proc.poll() is None  # halted, not rebooting or exiting
    finally:
        m.kill()
