"""LBA48: a sparse second disk whose FAT32 partition starts beyond LBA 2^28
(128 GiB), read and written by the kernel over DMA and over PIO, then checked
on the host with mtools and fsck.fat."""
import os
import re
import zlib

import pytest

from myos.qemu import Machine
from tests.fs.fatimage import check_consistent, make_image, mread

pytestmark = pytest.mark.qemu

FAR_LBA = (1 << 28) + 2048


def test_partition_beyond_128_gib(tmp_path, boot_only_image):
    data = os.urandom(3_000_000)
    big = make_image(tmp_path / "big.img", dirs=["/MODELS"], files={"/MODELS/data.bin": data},
                     lba=FAR_LBA)
    drive = f"file={big},format=raw,if=ide,index=1"
    cdrom = "if=ide,index=2,media=cdrom"          # ATAPI on ata1-master: not a disk
    with Machine(snapshot=False, extra_args=("-drive", drive, "-drive", cdrom)).boot(
            boot_only_image) as m:
        assert "storage: FAT32 volume MYOS on ata0-slave (DMA)" in m.transcript
        out = m.run("disk")
        sectors = int(re.search(r"ata0-slave: QEMU HARDDISK, \d+ MiB \((\d+) sectors\), LBA48",
                                out)[1])
        assert sectors > 1 << 28
        assert "ide1-cd0" in m.hmp("info block") and "ata1" not in out
        for mode in ("on", "off"):            # DMA, then PIO, both with LBA48 commands
            m.run(f"disk dma {mode}")
            out = m.run("sum /MODELS/data.bin", timeout=60)
            assert f"crc32 {zlib.crc32(data):08x}" in out, out
            assert m.run(f"append \"/far away.txt\" written with dma {mode}").strip() == ""
        m.poweroff()
    assert mread(big, "/far away.txt", lba=FAR_LBA) == b"written with dma on\nwritten with dma off\n"
    check_consistent(big, tmp_path, lba=FAR_LBA)
