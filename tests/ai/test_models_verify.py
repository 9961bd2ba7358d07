"""`models verify [NAME]` against /MODELS/SHA256.TXT, which the image builder
writes from the catalogue (myos/models.py): the default model is ok, a copy
damaged inside its tensor data (its header still loads) and recorded with
the model's hash is DAMAGED with the hash hashlib computes, and the command
fails; a file with no record says so; Ctrl+C stops the hashing; a hostile hashes file (an over-long
line, bad hex, a name with a path) gets one line per bad record while the
good records still count, and a missing one is named. One boot."""
import hashlib
import re

import pytest
from gguf import GGUFReader

from myos.image import default_image
from myos.models import DEFAULT, default_model, lookup, sha256_of, stories260k
from myos.qemu import Machine

from .conftest import AI_BUILD, SMOLLM, STORIES

pytestmark = pytest.mark.qemu

DAMAGED = "tensor-damaged.gguf"
HASHES = "/MODELS/SHA256.TXT"
BAR = re.compile(r"^\s*(hashing \[[#.]+\][^\n]*)+$")


def tensor_damaged_copy(src, dest):
    """The default model with one byte of its last tensor's data inverted:
    the header and every scale are intact, so it loads as if nothing were wrong."""
    last = max(GGUFReader(str(src)).tensors, key=lambda t: int(t.data_offset))
    data = bytearray(src.read_bytes())
    at = int(last.data_offset) + int(last.n_bytes) // 2
    data[at] ^= 0xFF
    dest.write_bytes(bytes(data))
    return dest


@pytest.fixture(scope="module")
def m():
    AI_BUILD.mkdir(parents=True, exist_ok=True)
    damaged = tensor_damaged_copy(default_model(), AI_BUILD / DAMAGED)
    image = default_image(AI_BUILD / "verify.img", [DEFAULT], [str(stories260k()), str(damaged)], None)
    machine = Machine().boot(image)
    machine.damaged_sha256 = sha256_of(damaged)
    yield machine
    machine.kill()


def lines(out):
    """The output without the progress bar (fs/progress.c), whose line ends
    when the file is hashed."""
    return [l for l in out.splitlines() if l.strip() and not BAR.match(l)]


def errors(out):
    return [l for l in lines(out) if l.startswith("error:")]


def test_default_model_ok_and_unrecorded_files_said(m):
    out = m.run("models verify", timeout=300)
    got = lines(out)
    assert f"{SMOLLM}: ok" in got, out
    assert f"{DAMAGED}: no recorded hash" in got, out
    assert f"{STORIES}: no recorded hash" in got, out
    assert errors(out) == [], out


def test_damaged_tensor_data_is_reported_and_fails(m):
    recorded = lookup(DEFAULT).sha256
    assert "error" not in m.run(f"append {HASHES} {recorded}  {DAMAGED}")
    out = m.run("models verify", timeout=300)
    got = lines(out)
    assert f"{SMOLLM}: ok" in got, out
    assert f"{DAMAGED}: DAMAGED (sha256 {m.damaged_sha256}, expected {recorded})" in got, out
    assert errors(out) == ["error: models verify: 1 of 3 file(s) damaged or unreadable"], out
    # Its header still reads as a good model's: only the hash tells.
    listing = m.run("models")
    assert DAMAGED in listing and "not loadable" not in listing, listing


def test_ctrl_c_stops_the_hashing(m):
    m.write(f"models verify {SMOLLM}\r")
    m.wait_for(r"hashing \[", 30)
    m.write("\x03")
    m.wait_for(r"error: models verify: stopped\r?\n", 10)
    m.wait_for(r"myos> ", 10)
    assert errors(m.run("help")) == []


def test_names_stay_inside_models(m):
    assert errors(m.run("models verify ../MYOS/SETTINGS.TXT")) == [
        "error: models verify: the name may not contain '/' or '\\' "
        "(only a file of the folder itself can be named)"]
    out = m.run("models verify nothere.gguf")
    assert len(errors(out)) == 1 and "no such file" in errors(out)[0], out
    assert errors(m.run("models verify a b")) == ["error: usage: models [verify [NAME]]"]


def test_hostile_hashes_file(m):
    stories_hash = hashlib.sha256(stories260k().read_bytes()).hexdigest()
    assert "error" not in m.run(f"write {HASHES} {'a' * 600}  {STORIES}")
    for text in (f"{'z' * 64}  {STORIES}", f"{stories_hash}  ../{STORIES}", f"{stories_hash} {STORIES}",
                 f"{stories_hash}  {STORIES}"):
        assert "error" not in m.run(f"append {HASHES} {text}")
    out = m.run(f"models verify {STORIES}", timeout=120)
    assert lines(out) == [
        "SHA256.TXT line 1: longer than a record can be, ignored",
        "SHA256.TXT line 2: the hash is not 64 hex digits, ignored",
        "SHA256.TXT line 3: the name is not a file of /MODELS, ignored",
        "SHA256.TXT line 4: the hash is not followed by two spaces (or \" *\") and a name, ignored",
        f"{STORIES}: ok"], out


def test_missing_hashes_file(m):
    assert "error" not in m.run(f"rm {HASHES}")
    out = m.run(f"models verify {STORIES}", timeout=120)
    got = lines(out)
    assert len(got) == 2 and got[0].startswith(f"{HASHES}: no such file") \
        and got[0].endswith(": no recorded hashes"), out
    assert got[1] == f"{STORIES}: no recorded hash", out
    assert "error" not in m.run("help")
