"""Power cuts at every sector of a whole-file write, on the host: the harness
(kernel/fs built for Linux) dies after N sectors have reached the image, for
every N from 0 to the whole write. After each cut mtools must read the old or
the new content, fsck.fat may only find what a cut is allowed to leave (FAT
copies that differ, lost clusters, orphaned long-name slots, a stale free
count), and after the next mount (which repairs exactly those) fsck.fat must
be clean and the content still old or new."""
import os
import subprocess

import pytest

from tests.fs.conftest import HARNESS
from tests.fs.fatimage import (PART_LBA, SECTOR, check_consistent, copy_sparse, fsck_findings, make_image,
                               mread, not_power_cut_leftovers)

OLD = bytes(range(256)) * 9 + b"old settings end\n"          # 2320 bytes: 5 clusters
NEW = b"temperature 0.5\n" * 200                             # 3200 bytes: 7 clusters
TAIL = b"appended line\n" * 40


def harness(image, script, cut=None):
    env = dict(os.environ)
    if cut is not None:
        env["FAT_HOST_CUT_AFTER"] = str(cut)
    p = subprocess.run([str(HARNESS), str(image)], input=script, capture_output=True, text=True,
                       env=env, timeout=60)
    written = int(p.stderr.rsplit("sectors written: ", 1)[1]) if "sectors written: " in p.stderr else None
    return p, written


def read_or_none(image, name):
    try:
        return mread(image, name)
    except AssertionError:
        return None


SCENARIOS = {
    # name: (file on the disk before, harness command, its source bytes, expected new content)
    "replace": ("MYOS/SETTINGS.TXT", "save", NEW, NEW),
    "append": ("MYOS/SETTINGS.TXT", "extend", TAIL, OLD + TAIL),
    "create long name": (None, "save", NEW, NEW),
    "append to a new file": (None, "extend", TAIL, TAIL),
}


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_cut_at_every_sector_leaves_old_or_new(tmp_path, fat, scenario):
    existing, command, source, new = SCENARIOS[scenario]
    target = existing or "MYOS/A rather long new file name.txt"
    files = {"MYOS/SETTINGS.TXT": OLD, "MYOS/OTHER.TXT": b"untouched\n"}
    base = make_image(tmp_path / "base.img", size_mb=40, dirs=["/MYOS"], files=files)
    old = files.get(target)
    src = tmp_path / "src"
    src.write_bytes(source)
    script = f"{command}\t{src}\t/{target}\n"

    whole = tmp_path / "whole.img"
    copy_sparse(base, whole)
    p, total = harness(whole, script)
    assert p.returncode == 0 and p.stdout == "ok\n", p.stdout + p.stderr
    assert mread(whole, target) == new
    assert total and total > 5, total

    seen = set()
    for cut in range(total + 1):
        img = tmp_path / "cut.img"
        copy_sparse(base, img)
        p, written = harness(img, script, cut)
        assert written is None or cut == total, (cut, p.stdout, p.stderr)
        got = read_or_none(img, target)
        assert got in (old, new), f"cut after {cut} of {total} sectors: {len(got or b'')} bytes"
        seen.add("new" if got == new else "old")
        _, findings = fsck_findings(img, tmp_path)
        assert not not_power_cut_leftovers(findings), f"cut after {cut} of {total} sectors: {findings}"
        # The next mount repairs the leftovers; then fsck.fat finds nothing.
        p, _ = harness(img, "mountnote\n")
        assert p.returncode == 0, p.stdout
        check_consistent(img, tmp_path)
        assert read_or_none(img, target) == got
        assert mread(img, "MYOS/OTHER.TXT") == b"untouched\n"
        # Nothing before the partition (MBR, boot code) was touched.
        with open(img, "rb") as a, open(base, "rb") as b:
            assert a.read(PART_LBA * SECTOR) == b.read(PART_LBA * SECTOR)
    assert seen == {"old", "new"}
