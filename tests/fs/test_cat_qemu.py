"""The shell's file commands on awkward input, in QEMU: `cat` of binary files
shows every byte that is not text as a visible escape (checked against
Python's strict UTF-8 decoder), passes well-formed UTF-8 through even when a
character straddles two reads, and ends with a newline before the prompt;
`sum` without a file is a usage error."""
import pytest

from myos import BUILD
from myos.image import build_image
from myos.qemu import Machine
from tests.fs.fatimage import mtools

pytestmark = pytest.mark.qemu

BINARY = (bytes(range(256)) + b" ESC c: \x1bc, CSI: \xc2\x9b2J, " + "héllo ✓ 🐧".encode()
          + b" overlong \xc0\xaf \xe0\x80\xaf surrogate \xed\xa0\x80 too big \xf4\x90\x80\x80"
          + b" cut \xe2\x82")
STRADDLE = b"a" * 4095 + "✓ 🐧 done\n".encode()     # ✓ is split by the first 4096-byte read


def visible(data: bytes) -> str:
    """What cat must show: text as it is, every other byte as \\xNN."""
    out = []
    for ch in data.decode("utf-8", "backslashreplace"):
        code = ord(ch)
        if (code < 0x20 and ch not in "\t\n\r") or 0x7F <= code <= 0x9F:
            out.append("".join(f"\\x{b:02x}" for b in ch.encode()))
        else:
            out.append(ch)
    return "".join(out)


@pytest.fixture(scope="module")
def machine(tmp_path_factory):
    d = tmp_path_factory.mktemp("cat")
    img = build_image(d / "disk.img", BUILD / "boot" / "stage1.bin", BUILD / "boot" / "stage2.bin",
                      BUILD / "kernel" / "kernel.bin", [], 64)
    for name, data in {"BINARY.BIN": BINARY, "STRADDLE.TXT": STRADDLE, "NOEOL.TXT": b"no newline"}.items():
        (d / name).write_bytes(data)
        mtools("mcopy", img, str(d / name), f"::/{name}")
    m = Machine(snapshot=False).boot(img)
    yield m
    m.kill()


def test_cat_escapes_binary_bytes(machine):
    out = machine.run("cat /BINARY.BIN")
    assert "\x1b" not in out
    assert out == visible(BINARY) + "\n"


def test_cat_passes_utf8_split_between_reads(machine):
    assert machine.run("cat /STRADDLE.TXT") == STRADDLE.decode()


def test_cat_ends_the_line_before_the_prompt(machine):
    assert machine.run("cat /NOEOL.TXT") == "no newline\n"


def test_sum_without_a_file_is_a_usage_error(machine):
    for cmd in ("sum -s", "sum -x /NOEOL.TXT", "sum"):
        assert machine.run(cmd) == "error: usage: sum [-s] FILE  (CRC-32; -s adds SHA-256)\n", cmd
