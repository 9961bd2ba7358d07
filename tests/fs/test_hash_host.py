"""kernel/lib's CRC-32 and SHA-256 against Python's zlib and hashlib, over the
lengths where padding and block boundaries change, fed in uneven pieces."""
import hashlib
import os
import subprocess
import zlib

import pytest

from myos import BUILD

HARNESS = BUILD / "tests" / "hash_host"
LENGTHS = [0, 1, 3, 7, 8, 9, 55, 56, 57, 63, 64, 65, 119, 120, 128, 1000, 4099, 1 << 20]


@pytest.mark.parametrize("pieces", [[], [1], [3, 61, 64, 5], [64], [4096, 17]])
def test_hashes_match_python(pieces):
    if not HARNESS.exists():
        pytest.fail(f"{HARNESS} is missing: run `make build/tests/hash_host`")
    for n in LENGTHS:
        data = os.urandom(n)
        out = subprocess.run([str(HARNESS), *map(str, pieces)], input=data, capture_output=True,
                             check=True).stdout.decode().split()
        assert out == [f"{zlib.crc32(data):08x}", hashlib.sha256(data).hexdigest()], (n, pieces)
