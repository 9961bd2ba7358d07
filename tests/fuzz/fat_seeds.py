"""Seeds for fuzz_fat: a disk made by mformat and mcopy (long names, nested
directories, files of one and many clusters, an empty file), the same disk
with what a power cut can leave (FAT copies that differ, lost clusters, an
orphaned long name), and with hostile damage: boot sectors with impossible
fields, FAT chains that loop or point past the end, entries with absurd
sizes or clusters, long-name slots out of order, a directory that contains
itself. Each is stored as fuzz_fat.c reads it: the disk's non-zero sectors,
each a 4-byte sector number and its 512 bytes."""
from __future__ import annotations

import struct
from pathlib import Path

from tests.fs.fatimage import PART_LBA, SECTOR, clusters_of, geometry, make_image

DISK_SECTORS = 36 * 2048          # fuzz_fat.c's disk
PART_MB = 34                      # the smallest size mformat makes FAT32 of, near enough


def encode(data: bytes) -> bytes:
    data = data[:DISK_SECTORS * SECTOR]
    out = bytearray()
    for lba in range(len(data) // SECTOR):
        sector = data[lba * SECTOR:(lba + 1) * SECTOR]
        if sector.count(0) != SECTOR:
            out += struct.pack("<I", lba) + sector
    return bytes(out)


class Disk:
    """A bytearray copy of an image with helpers to damage its partition."""

    def __init__(self, image: Path):
        self.b = bytearray(image.read_bytes())
        self.g = geometry(image)
        self.base = PART_LBA * SECTOR

    def put(self, offset: int, data: bytes):
        self.b[self.base + offset:self.base + offset + len(data)] = data

    def fat(self, cluster: int, value: int, copies=None):
        for i in copies if copies is not None else range(self.g["nfats"]):
            self.put((self.g["reserved"] + i * self.g["fat_sectors"]) * SECTOR + cluster * 4,
                     struct.pack("<I", value))

    def cluster_offset(self, cluster: int) -> int:
        return (self.g["data"] + (cluster - 2) * self.g["spc"]) * SECTOR

    def entry(self, dir_cluster: int, short_name: bytes) -> int:
        """Offset (in the partition) of an 8.3 entry in a one-cluster directory."""
        off = self.cluster_offset(dir_cluster)
        size = self.g["spc"] * SECTOR
        for k in range(0, size, 32):
            if bytes(self.b[self.base + off + k:self.base + off + k + 11]) == short_name:
                return off + k
        raise KeyError(short_name)


def write_fat_seeds(out: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    files = {
        "HELLO.TXT": b"hello\n",
        "EMPTY.TXT": b"",
        "A rather long file name.txt": b"long name\n" * 30,
        "Docs/Second level/nested file.bin": bytes(range(256)) * 20,
        "BIG.BIN": bytes((i * 13) & 255 for i in range(9000)),
    }
    img = make_image(work / "clean.img", size_mb=PART_MB, dirs=["/Docs", "/Docs/Second level"],
                     files=files)
    (out / "clean").write_bytes(encode(img.read_bytes()))
    g = geometry(img)
    root = g["root"]
    big = clusters_of(img, "BIG.BIN")
    docs = Disk(img).entry(root, b"DOCS       ")

    def variant(name, change):
        d = Disk(img)
        change(d)
        (out / name).write_bytes(encode(d.b))

    # What a power cut can leave; the mount repairs these.
    variant("cut-fat-copies-differ", lambda d: d.fat(big[-1] + 40, 0x0FFFFFFF, copies=[0]))
    variant("cut-lost-clusters", lambda d: [d.fat(c, c + 1) for c in range(big[-1] + 50, big[-1] + 53)]
            + [d.fat(big[-1] + 53, 0x0FFFFFFF)])
    variant("cut-orphan-long-name", lambda d: d.put(d.entry(root, b"ARATHE~1TXT"), b"\xe5"))
    # Chains that loop or leave the volume.
    variant("chain-loop", lambda d: d.fat(big[-1], big[0]))
    variant("chain-self-loop", lambda d: d.fat(big[2], big[2]))
    variant("chain-past-end", lambda d: d.fat(big[3], g["clusters"] + 7))
    variant("chain-into-free", lambda d: d.fat(big[3], big[-1] + 100))
    variant("root-chain-loop", lambda d: d.fat(root, root))
    # Entries with absurd sizes or clusters.
    variant("size-huge", lambda d: d.put(d.entry(root, b"BIG     BIN") + 28, struct.pack("<I", 0xFFFFFFF0)))
    variant("size-beyond-chain", lambda d: d.put(d.entry(root, b"HELLO   TXT") + 28, struct.pack("<I", 70000)))
    variant("cluster-huge", lambda d: d.put(d.entry(root, b"BIG     BIN") + 20, b"\xff\x0f"))
    variant("cluster-one", lambda d: d.put(d.entry(root, b"HELLO   TXT") + 26, b"\x01\x00"))
    variant("empty-with-cluster", lambda d: d.put(d.entry(root, b"EMPTY   TXT") + 26,
                                                   struct.pack("<H", big[0])))
    variant("dir-contains-root", lambda d: d.put(docs + 26, struct.pack("<H", root)))
    variant("dir-is-a-file", lambda d: d.put(d.entry(root, b"BIG     BIN") + 11, b"\x10"))
    variant("cross-link", lambda d: d.put(d.entry(root, b"HELLO   TXT") + 26, struct.pack("<H", big[1])))

    def lfn_swap(d):
        off = d.entry(root, b"ARATHE~1TXT")
        a = bytes(d.b[d.base + off - 64:d.base + off - 32])
        b = bytes(d.b[d.base + off - 32:d.base + off])
        d.put(off - 64, b)
        d.put(off - 32, a)
    variant("long-name-out-of-order", lfn_swap)
    variant("long-name-bad-sequence", lambda d: d.put(d.entry(root, b"ARATHE~1TXT") - 32, b"\x1f"))
    # Boot sectors with impossible fields.
    for name, off, data in [("bs-spc-zero", 13, b"\x00"), ("bs-spc-three", 13, b"\x03"),
                            ("bs-reserved-zero", 14, b"\x00\x00"), ("bs-nfats-zero", 16, b"\x00"),
                            ("bs-fat-size-huge", 36, b"\xff\xff\xff\x00"), ("bs-root-zero", 44, b"\x00\x00\x00\x00"),
                            ("bs-root-huge", 44, b"\xff\xff\xff\x0f"), ("bs-total-huge", 32, b"\xff\xff\xff\xff"),
                            ("bs-fsinfo-past-reserved", 48, b"\xff\x00"), ("bs-no-signature", 510, b"\x00\x00")]:
        variant(name, lambda d, off=off, data=data: d.put(off, data))
    variant("mbr-partition-past-disk", lambda d: d.b.__setitem__(slice(446 + 12, 446 + 16),
                                                                 struct.pack("<I", 0x7FFFFFFF)))
    img.unlink()
