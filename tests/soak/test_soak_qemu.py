"""The soak (tests/soak/soak.py) for SOAK_SECONDS (60 by default, as part of
`make test`; `make soak SOAK_SECONDS=1800` for a long one), then the disk:
the files the soak left are what its commands made of them and fsck.fat is
clean. SOAK_SEED replays a run."""
import os
import random

import pytest

from myos.qemu import Machine
from tests.fs.fatimage import check_consistent, copy_sparse, mlist, mread
from tests.soak.soak import Soak

pytestmark = pytest.mark.qemu

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
SEED = int(os.environ.get("SOAK_SEED", str(random.randrange(1 << 32))))


def test_soak(tmp_path, build_dir, record_property):
    img = tmp_path / "myos.img"
    copy_sparse(build_dir / "myos.img", img)
    soak = None
    with Machine(snapshot=False).boot(img) as m:
        soak = Soak(m, SEED)
        try:
            report = soak.go(SECONDS)
        except AssertionError as e:
            print(m.transcript[-3000:])
            # The summary line of a failed run names the seed that replays it.
            raise AssertionError(f"soak seed {SEED} (SOAK_SEED={SEED} replays it): {e}") from e
        except BaseException:
            print(m.transcript[-3000:])
            raise
        finally:
            print(soak.report.line())
        m.poweroff(60)
    record_property("soak", report.line())
    names = {f"/SOAK/{n}".lower() for n in mlist(img, "/SOAK")}
    assert names == {p.lower() for p in soak.files}, (names, sorted(soak.files))
    for path, data in soak.files.items():
        assert mread(img, path) == data, path
    check_consistent(img, tmp_path)
