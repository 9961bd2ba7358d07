"""Host-side helpers for the storage tests: build a partitioned FAT32 image with
mtools, look inside it with mtools, check it with fsck.fat, and inspect or damage
its on-disk structures (boot sector, FSInfo, FAT copies)."""
import os
import re
import struct
import subprocess
from pathlib import Path

PART_LBA = 2048            # where myos/image.py puts the FAT32 partition too
SECTOR = 512
ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")


def mtools(cmd, image, *args, check=True, lba=PART_LBA):
    """Run an mtools command on the partition of `image` that starts at `lba`;
    returns stdout bytes."""
    p = subprocess.run([cmd, "-i", f"{image}@@{lba * SECTOR}", *args],
                       env=ENV, capture_output=True)
    if check and p.returncode != 0:
        raise AssertionError(f"{cmd} {args}: {p.stderr.decode()}")
    return p.stdout


def make_image(path, size_mb=64, dirs=(), files=None, label="MYOS", lba=PART_LBA):
    """A sparse MBR disk with one FAT32 partition (type 0x0C) of size_mb MiB
    starting at `lba` and running to the end of the disk."""
    path = Path(path)
    count = size_mb * 1024 * 1024 // SECTOR
    mbr = bytearray(SECTOR)
    mbr[446 + 4] = 0x0C
    mbr[446 + 8:446 + 16] = struct.pack("<II", lba, count)
    mbr[510:512] = b"\x55\xaa"
    with open(path, "wb") as f:
        f.write(mbr)
        f.truncate((lba + count) * SECTOR)
    mtools("mformat", path, "-F", "-v", label, "::", lba=lba)
    for d in dirs:
        mtools("mmd", path, f"::{d}", lba=lba)
    for name, data in (files or {}).items():
        src = path.with_name(path.name + ".src")
        src.write_bytes(data)
        mtools("mcopy", path, str(src), f"::{name}", lba=lba)
        src.unlink()
    return path


def mread(image, name, lba=PART_LBA):
    """A file's bytes as mtools sees them."""
    return mtools("mtype", image, f"::{name}", lba=lba)


def mlist(image, directory="/"):
    """Long names (or 8.3 names) in a directory, via mdir -b."""
    out = mtools("mdir", image, "-b", f"::{directory}").decode()
    prefix = "::" + directory.rstrip("/") + "/"
    return sorted(line[len(prefix):] if line.startswith(prefix) else line
                  for line in out.splitlines() if line.strip())


def partition_bytes(image, lba=PART_LBA):
    """From the partition start to the end of the disk."""
    with open(image, "rb") as f:
        f.seek(lba * SECTOR)
        return f.read()


def copy_sparse(src, dst, offset=0):
    """Copy `src` from byte `offset` into a new file `dst`, leaving holes where
    it is zero (images are mostly empty: this keeps copies cheap)."""
    chunk = 1 << 20
    with open(src, "rb") as f, open(dst, "wb") as out:
        f.seek(offset)
        while data := f.read(chunk):
            if data.count(0) == len(data):
                out.seek(len(data), os.SEEK_CUR)
            else:
                out.write(data)
        out.truncate()


def copy_partition(image, dst, lba=PART_LBA):
    """The partition of `image` alone, as a sparse file `dst` (for fsck.fat)."""
    copy_sparse(image, dst, lba * SECTOR)


def fsck(image, tmp_path, lba=PART_LBA):
    """fsck.fat -n on a copy of the partition; returns its output. Fails the
    test if fsck finds anything to fix."""
    part = Path(tmp_path) / "fsck-partition.img"
    copy_partition(image, part, lba)
    p = subprocess.run(["fsck.fat", "-n", str(part)], capture_output=True, text=True)
    part.unlink()
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    lines = out.strip().splitlines()
    # A clean run prints the version line and one summary line.
    assert len(lines) == 2 and "clusters" in lines[1], out
    return out


# What fsck.fat may report on an image cut off by a power cut in the middle
# of a write: the leftovers the next mount repairs (docs/storage.md).
POWER_CUT_LEFTOVERS = ("fsck.fat ", "FATs differ but appear to be intact", "Using first FAT",
                       "Reclaimed ", "Orphaned long file name part", "Auto-deleting",
                       "Free cluster summary wrong", "Auto-correcting", "Leaving filesystem unchanged",
                       " files, ")


def fsck_findings(image, tmp_path, lba=PART_LBA):
    """fsck.fat -n's exit status and non-empty output lines, for a partition."""
    part = Path(tmp_path) / "fsck-partition.img"
    copy_partition(image, part, lba)
    p = subprocess.run(["fsck.fat", "-n", str(part)], capture_output=True, text=True)
    part.unlink()
    return p.returncode, [line for line in (p.stdout + p.stderr).splitlines() if line.strip()]


def not_power_cut_leftovers(lines):
    """The fsck.fat findings that a power cut cannot explain."""
    return [line for line in lines if not any(a in line for a in POWER_CUT_LEFTOVERS)]


def check_consistent(image, tmp_path, lba=PART_LBA):
    """fsck.fat clean, every FAT copy identical, FSInfo's free count right."""
    fsck(image, tmp_path, lba)
    copies = fat_copies(image, lba)
    assert all(c == copies[0] for c in copies[1:]), "FAT copies differ"
    assert fsinfo_free(image, lba) == count_free(image, lba), "FSInfo free count is stale"


def read_part(image, offset, size, lba=PART_LBA):
    """`size` bytes at byte `offset` inside the partition."""
    with open(image, "rb") as f:
        f.seek(lba * SECTOR + offset)
        return f.read(size)


def geometry(image, lba=PART_LBA):
    """Boot sector fields: sectors per cluster, reserved sectors, FAT count and
    size, FSInfo sector, total sectors, root cluster, data clusters."""
    bs = read_part(image, 0, SECTOR, lba)
    g = dict(spc=bs[13], reserved=struct.unpack_from("<H", bs, 14)[0], nfats=bs[16],
             fat_sectors=struct.unpack_from("<I", bs, 36)[0],
             fsinfo=struct.unpack_from("<H", bs, 48)[0], total=struct.unpack_from("<I", bs, 32)[0],
             root=struct.unpack_from("<I", bs, 44)[0])
    g["data"] = g["reserved"] + g["nfats"] * g["fat_sectors"]
    g["clusters"] = (g["total"] - g["data"]) // g["spc"]
    return g


def fat_copies(image, lba=PART_LBA):
    g = geometry(image, lba)
    size = g["fat_sectors"] * SECTOR
    return [read_part(image, (g["reserved"] + i * g["fat_sectors"]) * SECTOR, size, lba)
            for i in range(g["nfats"])]


def fsinfo_free(image, lba=PART_LBA):
    g = geometry(image, lba)
    return struct.unpack_from("<I", read_part(image, g["fsinfo"] * SECTOR + 488, 4, lba))[0]


def count_free(image, lba=PART_LBA):
    """Free clusters counted in the first FAT."""
    g = geometry(image, lba)
    entries = struct.unpack_from(f"<{g['clusters'] + 2}I", fat_copies(image, lba)[0])
    return sum(1 for e in entries[2:] if e & 0x0FFFFFFF == 0)


def patch(image, offset, data):
    """Overwrite bytes at a byte offset inside the partition."""
    with open(image, "r+b") as f:
        f.seek(PART_LBA * SECTOR + offset)
        f.write(data)


def root_entry_cluster(image, short_name):
    """First cluster of an 8.3 entry (e.g. b"BIG     BIN") in the root directory."""
    g = geometry(image)
    cluster_bytes = g["spc"] * SECTOR
    root = read_part(image, g["data"] * SECTOR + (g["root"] - 2) * cluster_bytes, cluster_bytes)
    for off in range(0, cluster_bytes, 32):
        if root[off:off + 11] == short_name:
            hi, = struct.unpack_from("<H", root, off + 20)
            lo, = struct.unpack_from("<H", root, off + 26)
            return hi << 16 | lo
    raise KeyError(short_name)


def set_fat_entry(image, cluster, value):
    """Write one FAT entry in every FAT copy (a consistent but wrong chain)."""
    g = geometry(image)
    for i in range(g["nfats"]):
        patch(image, (g["reserved"] + i * g["fat_sectors"]) * SECTOR + cluster * 4,
              struct.pack("<I", value))


def clusters_of(image, name):
    """The cluster numbers of a file, from mtools' mshowfat ("<5-48033> <9>")."""
    out = mtools("mshowfat", image, f"::{name}").decode()
    clusters = []
    for a, b in re.findall(r"<(\d+)(?:-(\d+))?>", out):
        clusters += range(int(a), int(b or a) + 1)
    return clusters
