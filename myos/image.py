"""Disk image builder.

Layout (512-byte sectors), matching boot/layout.inc:
  LBA 0          stage 1 (MBR code + partition table)
  LBA 1..16      stage 2; its header (offset 4) is patched with the kernel's
                 first LBA and length in sectors
  LBA 17..2047   the kernel (flat binary, loaded at 1 MiB)
  LBA 2048..     one FAT32 partition (type 0x0C) built with mtools, holding
                 /MODELS/<each --model's file> (default SmolLM2; the
                 catalogue is myos/models.py) with its prepared weights
                 /MODELS/<name>.prp, /MODELS/SHA256.TXT (their recorded
                 hashes, for `models verify`) (+ --add files, which may
                 replace it) and an empty /MYOS/

Prepared weights are the model's matrices already repacked for the integer
kernels, which the OS then reads instead of repacking them at every load
(docs/engine.md, "Loading"). build/host/myos-llm --save-prepared writes them:
the same bytes the OS would make, whichever kernels the host runs. They are
kept in build/prepared/ and made again when the model file or myos-llm is
newer.
"""
import os
import struct
import subprocess
import tempfile
from pathlib import Path

from . import BUILD
from .models import lookup, model_path, sha256sum_text

SECTOR = 512
STAGE2_SECTORS = 16
KERNEL_LBA = 1 + STAGE2_SECTORS
PART_START = 2048
PART_TYPE_FAT32_LBA = 0x0C
STAGE2_MAGIC = b"YMS2"
FREE_SPACE = 64 << 20
HASHES_PATH = "/MODELS/SHA256.TXT"  # the OS reads it as AI_MODELS_DIR/AI_HASHES_FILE
MIB = 1 << 20
HEADS, SECTORS_PER_TRACK = 64, 32  # geometry: one cylinder = 1 MiB

ENV = dict(os.environ, MTOOLS_SKIP_CHECK="1")  # our geometry is not a floppy's


class ImageError(Exception):
    pass


def _chs(lba: int) -> bytes:
    """CHS triple of an MBR entry; past cylinder 1023 the conventional maximum."""
    cyl, rem = divmod(lba, HEADS * SECTORS_PER_TRACK)
    head, sec = divmod(rem, SECTORS_PER_TRACK)
    if cyl > 1023:
        return bytes([0xFE, 0xFF, 0xFF])
    return bytes([head, ((cyl >> 2) & 0xC0) | (sec + 1), cyl & 0xFF])


def partition_entry(start: int, count: int) -> bytes:
    return (bytes([0x80]) + _chs(start) + bytes([PART_TYPE_FAT32_LBA]) + _chs(start + count - 1)
            + struct.pack("<II", start, count))


def _mtools(*args: str) -> None:
    r = subprocess.run(list(args), env=ENV, capture_output=True, text=True)
    if r.returncode != 0:
        raise ImageError(f"{args[0]} failed: {(r.stderr or r.stdout).strip()}")


def parse_add(spec: str) -> tuple[Path, str]:
    """`FILE` goes to /MODELS/<name>; `FILE=/DIR/NAME` goes where it says."""
    src, _, dest = spec.partition("=")
    path = Path(src)
    if not path.is_file():
        raise ImageError(f"--add: {src} is not a file")
    return path, dest or f"/MODELS/{path.name}"


def build_image(out: Path, stage1: Path, stage2: Path, kernel: Path,
                files: list[tuple[Path, str]], size_mb: int | None = None) -> Path:
    mbr = bytearray(stage1.read_bytes())
    s2 = bytearray(stage2.read_bytes())
    kern = kernel.read_bytes()
    if len(mbr) != SECTOR or mbr[510:512] != b"\x55\xaa":
        raise ImageError(f"{stage1}: not a 512-byte boot sector")
    if len(s2) != STAGE2_SECTORS * SECTOR or s2[4:8] != STAGE2_MAGIC:
        raise ImageError(f"{stage2}: not a stage 2 of {STAGE2_SECTORS} sectors")
    kernel_sectors = -(-len(kern) // SECTOR)
    if KERNEL_LBA + kernel_sectors > PART_START:
        limit = (PART_START - KERNEL_LBA) * SECTOR
        raise ImageError(f"kernel is {len(kern)} bytes; the boot gap holds {limit}")
    s2[8:16] = struct.pack("<II", KERNEL_LBA, kernel_sectors)

    content = sum(-(-p.stat().st_size // 4096) * 4096 for p, _ in files)
    needed = -(-(content + FREE_SPACE) // MIB)
    part_mb = needed if size_mb is None else size_mb
    if part_mb < needed:
        raise ImageError(f"--size-mb {size_mb}: the files need at least {needed} MiB")
    part_sectors = part_mb * MIB // SECTOR
    mbr[446:462] = partition_entry(PART_START, part_sectors)
    mbr[462:510] = bytes(48)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(out.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.truncate((PART_START + part_sectors) * SECTOR)  # sparse
        f.write(mbr)
        f.write(s2)
        f.write(kern)
    part = f"{tmp}@@{PART_START * SECTOR}"
    _mtools("mformat", "-i", part, "-F", "-T", str(part_sectors), "-h", str(HEADS),
            "-s", str(SECTORS_PER_TRACK), "-H", str(PART_START), "-v", "MYOS", "::")
    dirs = {"/MODELS", "/MYOS"} | {str(Path(d).parent) for _, d in files}
    for d in sorted(dirs - {"/"}):
        _mtools("mmd", "-D", "s", "-i", part, "::" + d)
    for src, dest in files:
        _mtools("mcopy", "-o", "-i", part, str(src), "::" + dest)
    tmp.replace(out)
    return out


PREPARED_DIR = BUILD / "prepared"
MYOS_LLM = BUILD / "host" / "myos-llm"


def prepared_name(file_name: str) -> str:
    """The prepared weights' name beside a model file: NAME.gguf -> NAME.prp
    (the OS's rule, ai_prepared_path in kernel/ai/model.c)."""
    stem = file_name[:-5] if file_name.lower().endswith(".gguf") else file_name
    return stem + ".prp"


def prepared_weights(model: Path) -> Path:
    """build/prepared/<name>.prp for a model file, made by myos-llm when it
    is missing or older than the model file or myos-llm."""
    out = PREPARED_DIR / prepared_name(model.name)
    if not MYOS_LLM.exists():
        raise ImageError(f"{MYOS_LLM} is missing (make host) to prepare the weights of {model.name}")
    newest = max(model.stat().st_mtime, MYOS_LLM.stat().st_mtime)
    if out.exists() and out.stat().st_mtime >= newest:
        return out
    PREPARED_DIR.mkdir(parents=True, exist_ok=True)
    r = subprocess.run([str(MYOS_LLM), "-m", str(model), "--save-prepared", str(out)], capture_output=True, text=True)
    if r.returncode != 0:
        raise ImageError(f"preparing the weights of {model.name}: {r.stderr.strip()}")
    return out


def default_image(out: Path, models: list[str], add: list[str], size_mb: int | None, prepared: bool = True) -> Path:
    """The catalogue models named (installed: ModelError otherwise), with
    their prepared weights unless `prepared` is False, their recorded
    hashes and the added files."""
    files = []
    for name in dict.fromkeys(models):
        model, on_disk = model_path(name), lookup(name).file_name
        files.append((model, f"/MODELS/{on_disk}"))
        if prepared:
            files.append((prepared_weights(model), f"/MODELS/{prepared_name(on_disk)}"))
    files += [parse_add(a) for a in add]
    with tempfile.TemporaryDirectory() as tmp:
        hashes = Path(tmp) / "SHA256.TXT"
        hashes.write_text(sha256sum_text(models))
        # Before the added files, so that an added /MODELS/SHA256.TXT replaces it.
        files.insert(len(files) - len(add), (hashes, HASHES_PATH))
        return build_image(out, BUILD / "boot" / "stage1.bin", BUILD / "boot" / "stage2.bin",
                           BUILD / "kernel" / "kernel.bin", files, size_mb)
