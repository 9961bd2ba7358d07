"""The GGUF and llama2.c loaders: valid files of every supported kind load and
compute the reference's logits; truncated, bit-flipped and hostile files give
one clear error and never a crash. The corruption cases run through
build/tests/loader_harness, an AddressSanitizer + UBSan build that aborts on
any read outside the file bytes (and on leaks), and most of them also through
its 32-bit build, where size_t is as narrow as in the kernel."""
import struct
import subprocess

import numpy as np
import pytest
from gguf import GGUFReader

from myos import BUILD, reference

from . import synthetic_models as synth

LOADER = BUILD / "tests" / "loader_harness"
LOADER32 = BUILD / "tests" / "loader_harness32"
FORWARD = BUILD / "tests" / "forward_harness"
CLI = BUILD / "host" / "myos-llm"


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return synth.write_all(tmp_path_factory.mktemp("models"))


@pytest.fixture(params=[LOADER, LOADER32], ids=["64bit", "32bit"])
def loader(request):
    return request.param


def harness(commands, *args, eval_=False, program=LOADER):
    """Runs the ASan loader over the commands; one result line per command."""
    cmd = [str(program)] + (["--eval"] if eval_ else []) + [str(a) for a in args]
    r = subprocess.run(cmd, input="".join(c + "\n" for c in commands), capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, f"loader crashed:\n{r.stderr[-3000:]}"
    lines = r.stdout.splitlines()
    assert len(lines) == len(commands)
    for line in lines:
        assert line.startswith("ok ") or (line.startswith("error: ") and len(line) > 12), line
    return lines


# ---- valid files -----------------------------------------------------------

@pytest.mark.parametrize("name", ["gguf3", "gguf2", "gguf_align256", "l2c_shared", "l2c_own"])
def test_synthetic_model_matches_reference(files, name):
    ids = [1, 5, 9, 40, 2, 77, 3, 0, 12, 60, 33, 8]
    raw = subprocess.run([str(FORWARD), str(files[name]), *map(str, ids)], capture_output=True,
                         check=True).stdout
    ours = np.frombuffer(raw, np.float32).reshape(len(ids), -1)
    ref = reference.load(files[name]).forward(ids)
    assert reference.kl_divergence(ref, ours).max() < 1e-4
    assert (ours.argmax(axis=1) == ref.argmax(axis=1)).all()


def test_alignment_must_be_a_power_of_two(files):
    data = files["gguf_align256"].read_bytes()
    key = b"general.alignment"
    at = data.find(key) + len(key) + 4  # after the key and its u32 value type
    assert struct.unpack_from("<I", data, at)[0] == 256
    (line,) = harness([f"set {at} 30010000"], files["gguf_align256"])  # 0x130 = 304
    assert line.startswith("error: gguf: general.alignment is not a power of two")


def test_version_and_magic(files):
    lines = harness(["set 4 01000000", "set 4 04000000", "set 0 58585858", "trunc 3"], files["gguf3"])
    assert lines[0] == lines[1].replace("4", "1", 1) == "error: gguf: unsupported version 1 (2 and 3 are) (at byte 24)"
    assert lines[2].startswith("error: llama2.c:")  # no GGUF magic: taken for a llama2.c file
    assert lines[3].startswith("error: llama2.c: file too short")


def test_model_info(files):
    err = subprocess.run([str(CLI), "-m", str(files["gguf3"]), "--ids", "1", "-n", "1"],
                         capture_output=True, text=True, check=True).stderr
    assert "gguf llama 'synthetic test model'" in err and "2 layers, dim 64, 4 heads (2 kv), vocab 96" in err
    err = subprocess.run([str(CLI), "-m", str(files["l2c_own"]), "--ids", "1", "-n", "1"],
                         capture_output=True, text=True, check=True).stderr
    assert "llama2c llama" in err and "vocab 300" in err


def test_llama2c_with_tokenizer_generates_text(files):
    out = subprocess.run([str(CLI), "-m", str(files["l2c_own"]), "--tokenizer", str(files["tok"]), "-p",
                          "the cat", "-n", "8", "--temp", "0", "--print-ids"], capture_output=True,
                         check=True).stdout.decode(errors="replace").splitlines()  # random weights: any bytes
    assert out[-2].startswith("prompt_ids: 1 ")  # BOS first
    assert len(out[-1].split()) == 9


def test_unsupported_architecture_and_type_are_named(files, tmp_path):
    data = bytearray(files["gguf3"].read_bytes())
    at = data.find(b"llama")  # general.architecture's value comes first
    bad = tmp_path / "arch.gguf"
    bad.write_bytes(bytes(data[:at]) + b"mamba" + bytes(data[at + 5:]))
    (line,) = harness(["trunc 999999999"], bad)
    assert line == "error: gguf: unsupported architecture 'mamba'"
    # The first tensor's type field: rewrite Q8_0 (8) as Q2_K (10), which the
    # engine does not read, and as Q6_K (14), whose 256-element super-blocks
    # do not divide the 64-element rows.
    at = data.find(b"token_embd.weight") + len("token_embd.weight")
    n_dims = struct.unpack_from("<I", data, at)[0]
    type_at = at + 4 + 8 * n_dims
    assert struct.unpack_from("<I", data, type_at)[0] == 8
    unsupported, partial = harness([f"set {type_at} 0a000000", f"set {type_at} 0e000000"], files["gguf3"])
    assert "unsupported type Q2_K" in unsupported and "token_embd.weight" in unsupported
    assert "rows are not whole Q6_K blocks" in partial and "token_embd.weight" in partial


def test_a_repack_error_names_the_tensor(files):
    # output.weight is Q4_1: its row 3's first block scale (F16) set to +inf.
    r = GGUFReader(str(files["gguf3"]))
    t = next(t for t in r.tensors if t.name == "output.weight")
    assert t.tensor_type.name == "Q4_1"
    at = int(t.data_offset) + 3 * (int(t.shape[0]) // 32 * 20)
    (line,) = harness([f"set {at} 007c"], files["gguf3"])
    assert line == "error: repack: output.weight: row 3 has a non-finite scale"


# ---- corrupted files ---------------------------------------------------------

def gguf_fields(data: bytes, limit: int = 400):
    """Offsets of the u64 counts and lengths in a GGUF header (at most `limit`
    of the string lengths inside arrays), and where the tensor infos end."""
    pos, fields = 24, [8, 16]
    n_tensors, n_kv = struct.unpack_from("<QQ", data, 8)

    def u32():
        nonlocal pos
        pos += 4
        return struct.unpack_from("<I", data, pos - 4)[0]

    def string(record=True):
        nonlocal pos
        if record:
            fields.append(pos)
        n = struct.unpack_from("<Q", data, pos)[0]
        pos += 8 + n

    sizes = {0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8}

    def value(t, in_array=0):
        nonlocal pos
        if t == 8:
            string(record=in_array < limit)
        elif t == 9:
            et = u32()
            fields.append(pos)
            n = struct.unpack_from("<Q", data, pos)[0]
            pos += 8
            for i in range(n):
                value(et, i + 1)
        else:
            pos += sizes[t]

    for _ in range(n_kv):
        string()
        value(u32())
    for _ in range(n_tensors):
        string()
        n_dims = u32()
        fields.extend(pos + 8 * i for i in range(n_dims))
        pos += 8 * n_dims + 4
        fields.append(pos)  # the data offset
        pos += 8
    return fields, pos


HUGE = ["ffffffffffffffff", "0000000001000000", "ffffffff00000000", "00000080ffffffff"]


def test_gguf_hostile_counts_and_lengths(files, loader):
    data = files["gguf3"].read_bytes()
    fields, _ = gguf_fields(data)
    cmds = [f"set {off} {v}" for off in fields for v in HUGE]
    for c, line in zip(cmds, harness(cmds, files["gguf3"], eval_=True, program=loader)):
        assert line.startswith("error: "), f"{c}: {line}"


def test_gguf_truncated_anywhere(files, loader):
    path = files["gguf3"]
    size = path.stat().st_size
    # Every byte of the header region, then steps through the tensor data;
    # the last tensor ends at the end of the file, so every cut loses data.
    _, header_end = gguf_fields(path.read_bytes())
    cuts = list(range(0, header_end + 64)) + list(range(header_end + 64, size, 97))
    for n, line in zip(cuts, harness([f"trunc {n}" for n in cuts], path, program=loader)):
        assert line.startswith("error: "), f"cut at {n}: {line}"


def test_gguf_random_byte_flips(files, loader):
    data = files["gguf3"].read_bytes()
    _, header_end = gguf_fields(data)
    rng = np.random.default_rng(11)
    cmds = []
    for _ in range(600):
        n = int(rng.integers(1, 9))
        off = int(rng.integers(0, header_end)) if rng.random() < 0.8 else int(rng.integers(0, len(data) - n))
        cmds.append(f"set {off} {rng.integers(0, 256, n, dtype=np.uint8).tobytes().hex()}")
    harness(cmds, files["gguf3"], eval_=True, program=loader)  # any outcome but a crash


def test_real_gguf_corruptions(smollm2_path, tmp_path):
    # Header damage fails before the tensor data: a 4 MiB prefix of the file
    # (the whole header) keeps each attempt's copy small.
    prefix = tmp_path / "prefix.gguf"
    prefix.write_bytes(smollm2_path.read_bytes()[:4 << 20])
    fields, header_end = gguf_fields(prefix.read_bytes(), limit=20)
    rng = np.random.default_rng(3)
    picks = sorted(set(int(i) for i in rng.choice(len(fields), 60, replace=False)))
    cmds = [f"set {fields[i]} {HUGE[i % len(HUGE)]}" for i in picks]
    cmds += [f"trunc {int(n)}" for n in rng.integers(0, header_end + 2048, 40)]
    for c, line in zip(cmds, harness(cmds, prefix)):
        assert line.startswith("error: "), f"{c}: {line}"
    cmds = [f"trunc {int(n)}" for n in rng.integers(header_end, smollm2_path.stat().st_size, 3)]
    for c, line in zip(cmds, harness(cmds, smollm2_path)):
        assert line.startswith("error: "), f"{c}: {line}"
    flips = [f"set {int(rng.integers(0, header_end))} {int(rng.integers(0, 256)):02x}" for _ in range(12)]
    harness(flips, smollm2_path)


def test_llama2c_corruptions(files, stories260k_path, loader):
    size = stories260k_path.stat().st_size
    cuts = list(range(0, 64)) + [int(n) for n in np.linspace(64, size - 1, 120)]
    for n, line in zip(cuts, harness([f"trunc {n}" for n in cuts], stories260k_path, program=loader)):
        assert line.startswith("error: "), f"cut at {n}: {line}"
    # Header fields set to 0, negative, huge.
    cmds = [f"set {4 * f} {v}" for f in range(7) for v in ["00000000", "ffffffff", "ffffff7f", "00000080",
                                                            "00000100"]]
    lines = harness(cmds, stories260k_path, eval_=True, program=loader)
    for c, line in zip(cmds, lines):
        if not c.startswith("set 20 ffffffff"):  # vocab -1: a 1-token model with its own classifier
            assert line.startswith("error: "), f"{c}: {line}"
    rng = np.random.default_rng(5)
    flips = [f"set {int(rng.integers(0, size))} {int(rng.integers(0, 256)):02x}" for _ in range(200)]
    harness(flips, files["l2c_own"], eval_=True, program=loader)


def test_llama2c_header_beyond_the_engine_limits_is_named(files, loader):
    # 4096 kv heads (offset 16) or a 2^20 embedding (offset 0, with 4 heads):
    # the header is wrong, not the file short, and the error says which.
    cmds = ["set 16 00100000", "set 0 00001000"]
    lines = harness(cmds, files["l2c_own"], program=loader)
    assert "head counts inconsistent" in lines[0], lines[0]
    assert "embedding or feed-forward size out of range" in lines[1], lines[1]


def test_tokenizer_bin_corruptions(files, loader):
    tok = files["tok"]
    size = tok.stat().st_size
    cuts = list(range(0, size, 7))
    cmds = [f"tok-trunc {n}" for n in cuts]
    for c, line in zip(cmds, harness(cmds, files["l2c_own"], tok, program=loader)):
        assert line.startswith("error: "), f"{c}: {line}"
    # Token length fields set to negative or beyond the file.
    data = tok.read_bytes()
    pos, len_fields = 4, []
    while pos < len(data):
        len_fields.append(pos + 4)
        pos += 8 + struct.unpack_from("<i", data, pos + 4)[0]
    cmds = [f"tok-set {off} {v}" for off in len_fields[::10] for v in ["ffffffff", "ffffff7f", "00000100"]]
    for c, line in zip(cmds, harness(cmds, files["l2c_own"], tok, eval_=True, program=loader)):
        assert line.startswith("error: "), f"{c}: {line}"
    rng = np.random.default_rng(8)
    flips = [f"tok-set {int(rng.integers(0, size))} {int(rng.integers(0, 256)):02x}" for _ in range(200)]
    harness(flips, files["l2c_own"], tok, eval_=True, program=loader)
