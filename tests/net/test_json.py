"""The kernel's JSON reader and writer (kernel/net/json.c, json_write.c, run
on the host as build/tests/json_host) against Python's json module: the
same documents accepted, the same values read, and what we write read back
by Python as the same values. Where RFC 8259 leaves the choice to the
reader, ours refuses: lone surrogates, nesting deeper than 64, numbers
beyond a double's range (Python accepts them)."""
import json
import math
import random
import subprocess

import pytest

CASES = [
    b'{}', b'[]', b'""', b'0', b'-0', b'1.5e3', b'-1E-2', b'1e+2', b'true', b'false', b'null', b' [1 , 2 ] ',
    b'{"a":1,"a":2}', b'"\\u00e9\\u20ac\\ud83d\\ude00"', b'"\\"\\\\\\/\\b\\f\\n\\r\\t"', b'"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"',
    b'[1,[2,[3,[4]]]]', b'{"k":{"k":{"k":[]}}}', b'123456789012345678901234567890', b'0.1', b'3.141592653589793',
    b'1e308', b'5e-324', b'2.2250738585072014e-308', b'[0.7, 0.95, 1.1, 0.05]', b'"\\u0000"', b'"a\\u0000b"',
    # refused by both
    b'', b' ', b'[', b']', b'{', b'{"a"}', b'{"a":}', b'{"a" 1}', b'[1,]', b'{"a":1,}', b'[,1]', b'01', b'1.',
    b'.5', b'-', b'+1', b'1e', b'1e+', b'0x10', b'NaN', b'Infinity', b'-Infinity', b'nul', b'tru', b'True',
    b"'a'", b'"a', b'"\\x41"', b'"\\u12"', b'"\\u12G4"', b'"\t"', b'"\n"', b'"\x01"', b'[1 2]', b'{"a":1 "b":2}',
    b'1 2', b'[]]', b'{}}', b'"\xff"', b'"\xc0\xaf"', b'"\xe0\x80\xaf"', b'"\xed\xa0\x80"', b'"\xf4\x90\x80\x80"',
    b'"\xc3"', b'\xef\xbb\xbf{}', b'/* c */ 1', b'[1] // c',
    # refused by ours only (see the module's docstring)
    b'"\\ud800"', b'"\\udc00"', b'"\\ud800\\u0041"', b'[' * 65 + b']' * 65, b'1e400', b'-1e400',
]


def ours(json_host, tmp_path, data: bytes):
    path = tmp_path / "doc.json"
    path.write_bytes(data)
    out = subprocess.run([str(json_host), str(path)], capture_output=True, timeout=30)
    assert out.returncode == 0, out.stderr
    if out.stdout.startswith(b"error: "):
        return ("error", out.stdout.decode())
    return ("ok", json.loads(out.stdout.decode("utf-8"), object_pairs_hook=list))


def depth(v) -> int:
    if isinstance(v, list):
        return 1 + max((depth(x) for x in v), default=0)
    return 0


def reference(data: bytes):
    """Python's reading, with the RFC's open choices made as ours makes them."""
    def reject(name):
        raise ValueError(name)
    try:
        v = json.loads(data.decode("utf-8"), object_pairs_hook=list, parse_constant=reject)
    except (UnicodeDecodeError, ValueError):
        return ("error", None)

    def acceptable(x) -> bool:
        if isinstance(x, str):
            return not any(0xD800 <= ord(c) <= 0xDFFF for c in x)
        if isinstance(x, float):
            return math.isfinite(x)
        if isinstance(x, int) and not isinstance(x, bool):
            return abs(x) < 1.8e308
        if isinstance(x, list):
            return all(acceptable(i) for i in x)
        if isinstance(x, tuple):
            return acceptable(x[0]) and acceptable(x[1])
        return True
    if not acceptable(v) or depth(v) > 64:
        return ("error", None)
    return ("ok", v)


def same(a, b) -> bool:
    if isinstance(b, bool) or b is None or isinstance(b, str):
        return a == b and type(a) is type(b)
    if isinstance(b, (int, float)):
        return isinstance(a, (int, float)) and not isinstance(a, bool) and \
            math.isclose(float(a), float(b), rel_tol=1e-15, abs_tol=1e-320)
    if isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return False


@pytest.fixture(scope="module")
def json_host(built):
    return built("tests/json_host")


@pytest.mark.parametrize("data", CASES, ids=[repr(c)[:40] for c in CASES])
def test_agrees_with_python(json_host, tmp_path, data):
    got, want = ours(json_host, tmp_path, data), reference(data)
    assert got[0] == want[0], (data, got)
    if want[0] == "ok":
        assert same(got[1], want[1]), (data, got[1], want[1])


def random_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(8 if depth < 6 else 5)
    if kind == 0:
        return rng.choice([True, False, None])
    if kind == 1:
        return rng.randint(-10**12, 10**12)
    if kind == 2:
        return rng.uniform(-1e6, 1e6) * 10 ** rng.randint(-30, 30)
    if kind in (3, 4):
        alphabet = "ab \"\\/\n\t\x00\x1f\x7fé€😀日"
        return "".join(rng.choice(alphabet) for _ in range(rng.randrange(12)))
    if kind in (5, 6):
        return [random_value(rng, depth + 1) for _ in range(rng.randrange(5))]
    return {f"k{rng.randrange(100)}": random_value(rng, depth + 1) for _ in range(rng.randrange(5))}


@pytest.mark.parametrize("seed", range(40))
def test_random_documents_read_back_alike(json_host, tmp_path, seed):
    rng = random.Random(seed)
    value = random_value(rng)
    for ensure_ascii in (True, False):
        data = json.dumps(value, ensure_ascii=ensure_ascii, indent=rng.choice([None, 2])).encode()
        got = ours(json_host, tmp_path, data)
        assert got[0] == "ok", (data, got)
        assert same(got[1], reference(data)[1]), data
