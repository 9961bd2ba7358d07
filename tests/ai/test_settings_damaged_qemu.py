"""Saved settings that are present but cannot be used, in QEMU: an empty
/MYOS/SETTINGS.TXT (what a power cut used to leave) and a /MYOS/SYSTEM.TXT
whose entry claims more bytes than its chain holds are each reported at boot
in one line, the defaults are used, and neither file is silently replaced."""
import struct

import pytest

from myos import BUILD
from myos.image import build_image
from myos.qemu import Machine
from tests.fs.fatimage import SECTOR, geometry, mread, mtools, patch, read_part

pytestmark = pytest.mark.qemu


def entry_offset(image, directory_cluster, short_name):
    """Partition offset of an 8.3 entry in a one-cluster directory."""
    g = geometry(image)
    base = (g["data"] + (directory_cluster - 2) * g["spc"]) * SECTOR
    data = read_part(image, base, g["spc"] * SECTOR)
    for off in range(0, len(data), 32):
        if data[off:off + 11] == short_name and not data[off + 11] & 0x08:   # not the volume label
            return base + off, data[off:off + 32]
    raise KeyError(short_name)


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    d = tmp_path_factory.mktemp("settings")
    img = build_image(d / "disk.img", BUILD / "boot" / "stage1.bin", BUILD / "boot" / "stage2.bin",
                      BUILD / "kernel" / "kernel.bin", [], 64)
    (d / "empty").write_bytes(b"")
    (d / "system").write_bytes(b"You are terse.")
    mtools("mcopy", img, str(d / "empty"), "::/MYOS/SETTINGS.TXT")
    mtools("mcopy", img, str(d / "system"), "::/MYOS/SYSTEM.TXT")
    _, myos = entry_offset(img, geometry(img)["root"], b"MYOS       ")
    myos_cluster = struct.unpack_from("<H", myos, 20)[0] << 16 | struct.unpack_from("<H", myos, 26)[0]
    off, _ = entry_offset(img, myos_cluster, b"SYSTEM  TXT")
    patch(img, off + 28, struct.pack("<I", 70000))      # its one cluster cannot hold that
    m = Machine(snapshot=False).boot(img)
    yield m, img
    m.kill()


def test_damaged_settings_files_are_reported_at_boot(machine):
    m, img = machine
    warnings = [line for line in m.transcript.splitlines() if line.startswith("warning:")]
    assert warnings == ["warning: /MYOS/SETTINGS.TXT is empty: using the defaults",
                        "warning: /MYOS/SYSTEM.TXT is unreadable (filesystem corrupt (bad cluster chain: "
                        "ends after 1 clusters, file needs more)): using the defaults"], m.transcript
    shown = dict(line.split(None, 1) for line in m.run("set").splitlines() if line.strip())
    assert shown["model"] == "(first in /MODELS)", shown
    assert m.run("system").strip() == "(the model's default system prompt)"
    # Nothing was written over them.
    assert mread(img, "/MYOS/SETTINGS.TXT") == b""
