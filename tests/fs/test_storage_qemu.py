"""Storage end to end in QEMU: the kernel reads the default model through DMA and
FAT32 (checksum equal to the host's), writes files with long names in nested
directories, and the host then reads them with mtools byte for byte, fsck.fat
finds the volume clean, and a second boot of the same disk still has them."""
import hashlib
import re
import shutil
import zlib

import pytest

from myos.models import default_model
from myos.qemu import Machine
from tests.fs.fatimage import check_consistent, mlist, mread

pytestmark = pytest.mark.qemu

MODEL = "/MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
NOTES = "/Kernel Notes/Second Level/a long file name with spaces.txt"
BIG = "/Kernel Notes/multi cluster file.log"
LINE = "".join(chr(ord("a") + i % 26) for i in range(400))
# Text after "write FILE " and "append FILE ", kept byte for byte.
VERBATIM = '  "quoted"   words,\ta tab, a back\\slash \\" and trailing spaces  '


@pytest.fixture(scope="module")
def disk(tmp_path_factory, build_dir):
    """A private copy of the built image: the tests write to it."""
    img = tmp_path_factory.mktemp("storage") / "myos.img"
    shutil.copyfile(build_dir / "myos.img", img)
    return img


@pytest.fixture(scope="module")
def machine(disk):
    m = Machine(snapshot=False).boot(disk)
    yield m
    m.kill()


def ok(m, cmd, timeout=60):
    out = m.run(cmd, timeout)
    assert "error" not in out, f"{cmd}: {out}"
    return out


def test_boot_mounts_the_partition(machine):
    assert re.search(r"storage: FAT32 volume MYOS on ata0-master \(DMA\), \d+ MiB free",
                     machine.transcript)
    out = ok(machine, "disk")
    assert "bus-master DMA" in out
    assert re.search(r"ata0-master: QEMU HARDDISK, \d+ MiB \(\d+ sectors\), LBA48, DMA", out)


def load(machine, mode):
    ok(machine, f"disk dma {mode}")
    out = ok(machine, f"sum {MODEL}", timeout=120)
    crc = int(re.search(r"crc32 ([0-9a-f]{8})", out).group(1), 16)
    ms, rate = re.search(r"loaded in (\d+) ms \(([\d.]+) MB/s\)", out).groups()
    return crc, int(ms), float(rate), out


def test_model_checksum_equals_host_dma_and_pio(machine, record_property):
    host = zlib.crc32(default_model().read_bytes())
    crc, ms, rate, out = load(machine, "on")
    assert crc == host, out
    assert "100%" in out and "MB/s" in out     # the progress bar reached the end
    record_property("model_load_dma", f"{ms} ms, {rate} MB/s")
    pio_crc, pio_ms, pio_rate, out = load(machine, "off")
    ok(machine, "disk dma on")
    assert pio_crc == host, out
    record_property("model_load_pio", f"{pio_ms} ms, {pio_rate} MB/s")
    assert ms < pio_ms


def test_write_files(machine):
    for cmd in ["mkdir \"/Kernel Notes\"", "mkdir \"/Kernel Notes/Second Level\"",
                f"write \"{NOTES}\" first version that will be overwritten",
                f"write \"{NOTES}\" Hello from the MyOS kernel",
                "write /MYOS/settings.txt temperature=0.7",
                "write /MYOS/delete-me.txt short lived",
                "rm /MYOS/DELETE-ME.TXT"]:
        ok(machine, cmd)
    for i in range(12):        # 12 x 401 bytes spans several 2 KiB clusters
        ok(machine, f"append \"{BIG}\" {LINE}")
    out = ok(machine, f"cat \"{NOTES}\"")
    assert out.strip() == "Hello from the MyOS kernel"
    out = ok(machine, "ls \"/kernel notes\"")
    assert "multi cluster file.log" in out and str(12 * 401) in out


def test_sha256_of_a_written_file(machine):
    out = ok(machine, "sum -s /MYOS/settings.txt")
    want = hashlib.sha256(b"temperature=0.7\n").hexdigest()
    assert f"sha256 {want}" in out
    assert f"crc32 {zlib.crc32(b'temperature=0.7' + bytes([10])):08x}" in out


@pytest.mark.parametrize("cmd,message", [
    ("cat /no/such/file.txt", "error: cat: no such file or directory"),
    ("cat /MODELS", "error: cat: is a directory"),
    ("rm /MODELS", "error: rm: directory not empty"),
    ("mkdir /MYOS", "error: mkdir: already exists"),
    ("write /MYOS/bad*name.txt x", "error: write: invalid argument"),
    ("ls /MYOS/settings.txt/x", "error: ls: not a directory"),
    ("sum", "error: usage: sum"),
    ("disk bogus", "error: usage: disk"),
])
def test_errors_are_one_line(machine, cmd, message):
    out = machine.run(cmd).strip()
    assert out.startswith(message) and "\n" not in out, out


def test_write_and_append_keep_the_text_as_typed(machine):
    ok(machine, f"write /MYOS/verbatim.txt {VERBATIM}")
    ok(machine, f'append "/MYOS/verbatim.txt" {VERBATIM[::-1]}')


def test_host_reads_what_the_kernel_wrote(machine, disk, tmp_path):
    assert machine.poweroff() == 1                   # isa-debug-exit status of code 0
    assert mread(disk, NOTES) == b"Hello from the MyOS kernel\n"
    assert mread(disk, BIG) == (LINE + "\n").encode() * 12
    assert mread(disk, "/MYOS/settings.txt") == b"temperature=0.7\n"
    assert mread(disk, "/MYOS/verbatim.txt") == f"{VERBATIM}\n{VERBATIM[::-1]}\n".encode()
    assert "delete-me.txt" not in mlist(disk, "/MYOS")
    assert mlist(disk, "/Kernel Notes") == ["Second Level/", "multi cluster file.log"]
    check_consistent(disk, tmp_path)


def test_files_survive_a_reboot(disk):
    with Machine(snapshot=False).boot(disk) as m:
        assert ok(m, f"cat \"{NOTES}\"").strip() == "Hello from the MyOS kernel"
        ok(m, "append /MYOS/settings.txt top_p=0.9")
        m.poweroff()
    assert mread(disk, "/MYOS/settings.txt") == b"temperature=0.7\ntop_p=0.9\n"
