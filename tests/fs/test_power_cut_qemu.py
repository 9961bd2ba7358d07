"""Power cuts in QEMU: QEMU is killed (SIGKILL, the emulated machine's power
cut) at many moments of each kind of write the OS makes (`set`, `system`,
`write`, `append`), each the first write after a boot. Every trial's image is
then checked twice: read with mtools (the file holds its old or its new
content, and fsck.fat finds nothing but the leftovers the mount repairs), and
by the next boot, which must mount it, repair those leftovers (fsck.fat clean
afterwards) and read the same content (`sum`, against zlib's CRC-32). That
boot then makes the next trial's write, so each trial costs one boot.

The kill moments are fractions of the write's own time, measured on the same
disk first: from the moment Enter is sent (after the shell has echoed the
typed line) to its next prompt; the fractions run from 0 to 1.25 so that cuts land before,
all through, and after the write. The outcomes are recorded per trial
("old", "new", with "*" when fsck.fat found leftovers on the cut image)."""
import re
import time
import zlib

import pytest

from myos.qemu import Machine
from tests.fs.fatimage import copy_sparse, fsck_findings, mread, mtools, not_power_cut_leftovers

pytestmark = pytest.mark.qemu

TRIALS = 30                    # kills per kind of write
LAST_FRACTION = 1.25           # the last kill comes this far past the measured write
# A floor for the measured time, in case the prompt arrives in the same read
# of the serial pipe as Enter's echo; writes measure 11-85 ms.
MIN_SECONDS = 0.03


def text(i, length):
    """Printable text that differs from trial to trial and spans clusters."""
    words = f"trial {i} of the power cut test; "
    return (words * (length // len(words) + 1))[:length].strip()


def settings_lines(data):
    return dict(line.split(" ", 1) for line in data.decode().splitlines())


class Kind:
    """One kind of write: the file it changes, its command for trial i, and
    whether some content is the new content after that command."""

    def __init__(self, path, command, is_new):
        self.path, self.command, self.is_new = path, command, is_new


def temperature(i):
    return round(0.05 + 0.01 * i, 2)


def set_is_new(old, got, i):
    """The old settings with only the temperature changed (the kernel's own
    number format, read as a number)."""
    if not got or not got.endswith(b"\n"):
        return False
    try:
        after = settings_lines(got)
        before = settings_lines(old) if old else None
        value = float(after["temperature"])
    except (ValueError, KeyError, UnicodeDecodeError):
        return False
    if abs(value - temperature(i)) > 1e-6:
        return False
    # The first `set` on a fresh disk creates the file: nothing to compare.
    return before is None or (before.keys() == after.keys() and all(
        after[k] == v for k, v in before.items() if k != "temperature"))


KINDS = {
    "set": Kind("MYOS/SETTINGS.TXT", lambda i: f"set temperature {temperature(i)}", set_is_new),
    "system": Kind("MYOS/SYSTEM.TXT", lambda i: f"system {text(i, 700)}",
                   lambda old, got, i: got == text(i, 700).encode()),
    "write": Kind("NOTES/POWER.TXT", lambda i: f"write /NOTES/POWER.TXT {text(i, 900)}",
                  lambda old, got, i: got == text(i, 900).encode() + b"\n"),
    "append": Kind("NOTES/LOG.TXT", lambda i: f"append /NOTES/LOG.TXT {text(i, 300)}",
                   lambda old, got, i: got == (old or b"") + text(i, 300).encode() + b"\n"),
}


def read_or_none(image, path):
    try:
        return mread(image, path)
    except AssertionError:
        return None


def boot_and_check(image, kind, expect, tmp_path):
    """Boot on the image: the mount must repair what the last cut left
    (fsck.fat clean while the shell waits at its prompt) and the OS must read
    the content mtools read."""
    m = Machine(snapshot=False).boot(image)
    try:
        assert "storage: damaged" not in m.transcript, m.transcript
        code, lines = fsck_findings(image, tmp_path)
        assert code == 0 and len(lines) == 2, lines
        out = m.run(f"sum /{kind.path}")
        if expect is None:
            assert "no such file" in out, out
        else:
            crc = int(re.search(r"crc32 ([0-9a-f]{8})", out).group(1), 16)
            assert crc == zlib.crc32(expect), out
        return m
    except BaseException:
        m.kill()
        raise


def timed_write(m, line):
    """Type a command, wait for the line editor's echo of it, then press
    Enter: returns the moment Enter was sent (the write starts after it)."""
    m.write(line)
    m.wait_for(re.escape(line[-40:]), 60)
    start = time.monotonic()
    m.write("\r")
    return start


@pytest.fixture(scope="module")
def disk(tmp_path_factory, build_dir):
    img = tmp_path_factory.mktemp("power") / "myos.img"
    copy_sparse(build_dir / "myos.img", img)
    mtools("mmd", img, "::/NOTES")
    return img


@pytest.mark.parametrize("name", KINDS)
def test_power_cut_leaves_old_or_new(disk, tmp_path, name, record_property):
    kind = KINDS[name]
    current = read_or_none(disk, kind.path)

    # The write's own time, on this disk, as the first write after a boot.
    m = boot_and_check(disk, kind, current, tmp_path)
    line = kind.command(TRIALS)
    start = timed_write(m, line)
    m.wait_for(r"myos> ", 60)
    seconds = max(MIN_SECONDS, time.monotonic() - start)
    m.kill()
    got = read_or_none(disk, kind.path)
    assert kind.is_new(current, got, TRIALS), got
    current = got

    outcomes = []
    for i in range(TRIALS):
        delay = seconds * LAST_FRACTION * i / (TRIALS - 1)
        m = boot_and_check(disk, kind, current, tmp_path)
        start = timed_write(m, kind.command(i))
        time.sleep(max(0.0, start + delay - time.monotonic()))
        m.kill()
        got = read_or_none(disk, kind.path)
        new = kind.is_new(current, got, i)
        assert new or got == current, (f"{name}: cut {delay * 1000:.1f} ms into a "
                                       f"{seconds * 1000:.1f} ms write left {len(got or b'')} bytes")
        code, lines = fsck_findings(disk, tmp_path)
        assert not not_power_cut_leftovers(lines), f"{name}: cut {delay * 1000:.1f} ms in: fsck.fat {lines}"
        outcomes.append(("new" if new else "old") + ("*" if len(lines) > 2 else ""))
        current = got
    # The last boot checks the last cut.
    boot_and_check(disk, kind, current, tmp_path).kill()
    record_property("write_ms", round(seconds * 1000, 1))
    record_property("outcomes", " ".join(outcomes))
    kinds = [o.rstrip("*") for o in outcomes]
    print(f"{name}: write {seconds * 1000:.1f} ms; {TRIALS} cuts: {kinds.count('old')} old, "
          f"{kinds.count('new')} new, {sum(o.endswith('*') for o in outcomes)} left leftovers "
          "for the mount to repair")
    assert "old" in kinds and "new" in kinds, outcomes
