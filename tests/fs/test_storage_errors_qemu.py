"""Storage failures in QEMU, each on its own damaged or tiny disk: a corrupt
boot sector, a broken cluster chain and a full disk each give one clear error
line, the shell keeps working, and a writable volume stays fsck-clean."""
import shutil

import pytest

from myos import BUILD
from myos.image import build_image
from myos.qemu import Machine
from tests.fs.fatimage import (PART_LBA, SECTOR, check_consistent, clusters_of, count_free,
                               geometry, mlist, mread, mtools, patch, set_fat_entry)

pytestmark = pytest.mark.qemu

MODEL = "/MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"


@pytest.fixture
def image_copy(tmp_path, build_dir):
    img = tmp_path / "myos.img"
    shutil.copyfile(build_dir / "myos.img", img)
    return img


def test_corrupt_boot_sector(image_copy):
    patch(image_copy, 11, b"\x00\x04")          # 1024 bytes per sector
    with Machine().boot(image_copy) as m:
        assert ("error: storage: not a valid FAT32 volume (boot sector: bytes per sector is not 512)"
                in m.transcript)
        out = m.run("ls /MODELS").strip()
        assert out.startswith("error: ls: no filesystem mounted (not a valid FAT32 volume")
        assert "\n" not in out
        assert "ata0-master: QEMU HARDDISK" in m.run("disk")
        assert m.run("echo still alive").strip() == "still alive"


def test_bad_cluster_chain(image_copy):
    chain = clusters_of(image_copy, MODEL)
    set_fat_entry(image_copy, chain[1000], 0)   # the chain now runs into a free cluster
    with Machine().boot(image_copy) as m:
        out = m.run(f"sum {MODEL}", timeout=60).strip().splitlines()[-1]
        assert out == (f"error: sum: filesystem corrupt (bad cluster chain: cluster {chain[1000]}"
                       " -> free 0)"), out
        assert "SmolLM2-135M-Instruct.Q4_1.gguf" in m.run("ls /MODELS")


def test_disk_full(tmp_path):
    img = build_image(tmp_path / "tiny.img", BUILD / "boot" / "stage1.bin",
                      BUILD / "boot" / "stage2.bin", BUILD / "kernel" / "kernel.bin", [], 64)
    cluster = geometry(img)["spc"] * SECTOR
    filler = tmp_path / "filler"
    filler.write_bytes(b"\xa5" * ((count_free(img) - 1) * cluster))   # one cluster stays free
    mtools("mcopy", img, str(filler), "::/FILLER.BIN")
    assert count_free(img) == 1
    long_text = "x" * (cluster + 10)
    with Machine(snapshot=False).boot(img) as m:
        out = m.run(f"write /MYOS/big.txt {long_text}").strip()
        assert out.startswith("error: write: disk full") and "\n" not in out, out
        assert m.run("write /MYOS/small.txt fits").strip() == ""
        out = m.run("write /MYOS/more.txt no room").strip()
        assert out.startswith("error: write: disk full"), out
        assert "0 bytes free" in m.run("df")
        m.poweroff()
    assert mread(img, "/MYOS/small.txt") == b"fits\n"
    # Refused before anything was written: the file was not created either.
    assert [n.lower() for n in mlist(img, "/MYOS")] == ["small.txt"]
    check_consistent(img, tmp_path)


def test_disk_read_error_is_decoded(tmp_path, image_copy, boot_only_image):
    """A second disk whose reads fail at one sector (QEMU blkdebug): loading the
    model hits the bad sector over DMA, retries with PIO, and reports the
    drive's error register."""
    g = geometry(image_copy)
    cluster = clusters_of(image_copy, MODEL)[2000]
    bad_lba = PART_LBA + g["reserved"] + g["nfats"] * g["fat_sectors"] + (cluster - 2) * g["spc"]
    cfg = tmp_path / "blkdebug.cfg"
    cfg.write_text(f'[inject-error]\nevent = "read_aio"\nerrno = "5"\nsector = "{bad_lba}"\n')
    drive = f"file=blkdebug:{cfg}:{image_copy},format=raw,if=ide,index=1,snapshot=on"
    with Machine(extra_args=("-drive", drive)).boot(boot_only_image) as m:
        assert "storage: FAT32 volume MYOS on ata0-slave" in m.transcript
        out = m.run(f"sum {MODEL}", timeout=60).strip().splitlines()[-1]
        assert out.startswith("error: sum: disk I/O error (ata0-slave: DMA read of "), out
        assert "failed: command aborted (status 0x" in out, out
        # PIO hit the same sector, so DMA was not blamed and stays on.
        assert "using PIO" not in m.transcript and ", DMA" in m.run("disk")
        assert "SmolLM2-135M-Instruct.Q4_1.gguf" in m.run("ls /MODELS")
