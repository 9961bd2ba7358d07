"""A load stopped while it reads and prepares the weights (llm_load_file):
build/tests/cancel_harness, an AddressSanitizer + UBSan build, stops a load
of a synthetic GGUF model (every repacked type) at each of its polls in
turn, from bytes in memory and from its file read in parts. Every stop must give the "cancelled" error, free every byte the load
took (the host platform's live-byte count) and leave the kernel choice as
it was; a load that is never asked to stop still loads."""
import re
import subprocess

import pytest

from myos import BUILD

from . import synthetic_models as synth

HARNESS = BUILD / "tests" / "cancel_harness"
LINE = re.compile(r"^stop (\d+): (ok|error: .+) polls (\d+) leaked (-?\d+) tuning (same|changed)$")


@pytest.mark.parametrize("source", ["memory", "parts"])
def test_a_load_stopped_at_any_poll_frees_everything(tmp_path, source):
    model = synth.write_gguf(tmp_path / "model.gguf")
    r = subprocess.run([str(HARNESS), str(model), source], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    first, *lines = r.stdout.splitlines()
    n = int(re.fullmatch(r"polls (\d+)", first).group(1))
    # Polled per matrix, per 64 rows and while tuning: more than once.
    assert n > 10
    assert len(lines) == n + 1
    for k, line in enumerate(lines, 1):
        stop, result, polls, leaked, tuning = LINE.match(line).groups()
        assert int(stop) == k
        assert int(leaked) == 0, line
        if k <= n:
            assert (result, int(polls), tuning) == ("error: cancelled", k, "same"), line
        else:
            assert (result, int(polls)) == ("ok", n), line
