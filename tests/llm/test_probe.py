"""The header probe and the memory estimate (llm_probe, llm_memory_needed):
the info a probe reads from a file's first bytes equals what the gguf
package's GGUFReader reads from the whole file, however few bytes the probe
is given first; broken headers give one line that says what is wrong; and
the memory estimate covers what a real load, session and generation take by
the host allocator's own count, without being far above it. Runs through
build/tests/probe_harness (AddressSanitizer + UBSan, which catch any read past
the bytes given) and its 32-bit build (size_t as narrow as in the kernel)."""
import struct
import subprocess
from collections import Counter

import numpy as np
import pytest
from gguf import GGUFReader

from myos import BUILD

from . import synthetic_models as synth

PROBE = BUILD / "tests" / "probe_harness"
PROBE32 = BUILD / "tests" / "probe_harness32"
# What the estimate may exceed the measured peak by.
OVER_AT_MOST = 1.05


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    return {**synth.write_all(d), "dir": d}


@pytest.fixture(params=[PROBE, PROBE32], ids=["64bit", "32bit"])
def program(request):
    assert request.param.exists(), f"{request.param} is missing: run `make test`"
    return request.param


def probe(program, path, first=65536, *measure):
    args = [str(program), str(path), str(first)] + (["measure", *map(str, measure)] if measure else [])
    r = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"probe harness failed:\n{r.stdout[-2000:]}\n{r.stderr[-3000:]}"
    if r.stdout.startswith("error "):
        return r.stdout.strip()
    return dict(line.split(" ", 1) if " " in line else (line, "") for line in r.stdout.splitlines())


def reader_info(path):
    """The probe's fields as GGUFReader reads them from the whole file."""
    r = GGUFReader(str(path))

    def scalar(key, default=None):
        f = r.fields.get(key)
        return default if f is None else f.parts[f.data[0]][0].item()

    def string(key):
        f = r.fields.get(key)
        return None if f is None else bytes(f.parts[f.data[0]]).decode()

    arch = string("general.architecture")
    by_type = Counter()
    bytes_by_type = Counter()
    for t in r.tensors:
        by_type[t.tensor_type.name] += 1
        bytes_by_type[t.tensor_type.name] += int(t.n_bytes)
    emb = next(t for t in r.tensors if t.name == "token_embd.weight")
    heads = scalar(f"{arch}.attention.head_count")
    dim = scalar(f"{arch}.embedding_length")
    return {
        "format": "gguf", "arch": arch, "name": string("general.name") or "",
        "n_layers": scalar(f"{arch}.block_count"), "dim": dim,
        "hidden_dim": scalar(f"{arch}.feed_forward_length"), "n_heads": heads,
        "n_kv_heads": scalar(f"{arch}.attention.head_count_kv", heads), "head_dim": dim // heads,
        "n_vocab": int(emb.shape[1]), "ctx_train": scalar(f"{arch}.context_length", 2048),
        "rope_base": np.float32(scalar(f"{arch}.rope.freq_base", 10000.0)),
        "rms_eps": np.float32(scalar(f"{arch}.attention.layer_norm_rms_epsilon", 1e-5)),
        "n_params": sum(int(t.n_elements) for t in r.tensors),
        "weight_bytes": sum(int(t.n_bytes) for t in r.tensors),
        "quant": max(bytes_by_type, key=bytes_by_type.get), "quant_mix": dict(by_type),
        "tied_output": int(all(t.name != "output.weight" for t in r.tensors)),
        "has_tokenizer": int("tokenizer.ggml.model" in r.fields),
        "has_chat_template": int("tokenizer.chat_template" in r.fields),
        "version": scalar("GGUF.version"), "alignment": scalar("general.alignment", 32),
        "n_kv": scalar("GGUF.kv_count"), "n_tensors": len(r.tensors), "file_size": path.stat().st_size,
        "header_bytes": r.data_offset,
    }


def as_reader_types(p):
    got = dict(p)
    for k in ["n_layers", "dim", "hidden_dim", "n_heads", "n_kv_heads", "head_dim", "n_vocab", "ctx_train",
              "n_params", "weight_bytes", "tied_output", "has_tokenizer", "has_chat_template", "version",
              "alignment", "n_kv", "n_tensors", "file_size", "header_bytes"]:
        got[k] = int(got[k])
    got["rope_base"] = np.float32(float(got["rope_base"]))
    got["rms_eps"] = np.float32(float(got["rms_eps"]))
    got["quant_mix"] = {t: int(n) for t, n in (x.split(":") for x in got["quant_mix"].split())}
    return got


@pytest.mark.parametrize("name", ["gguf3", "gguf2", "gguf_align256", "smollm2"])
def test_info_equals_the_gguf_reader(files, smollm2_path, program, name):
    path = smollm2_path if name == "smollm2" else files[name]
    want = reader_info(path)
    got = as_reader_types(probe(program, path))
    assert {k: got[k] for k in want} == want


def test_any_first_read_gives_the_same_info(smollm2_path, program):
    # The OS reads a first part and then what the probe asks for; the result
    # never depends on where the first part ended.
    whole = probe(program, smollm2_path, smollm2_path.stat().st_size)
    assert whole["reads"] == "1"
    for first in [0, 1, 3, 4, 27, 100, 4097, 65536, 1 << 20]:
        got = probe(program, smollm2_path, first)
        assert int(got["reads"]) >= 2, first
        assert {k: v for k, v in got.items() if k != "reads"} == \
            {k: v for k, v in whole.items() if k != "reads"}, first


def test_llama2c_info(files, stories260k_path, program):
    got = probe(program, stories260k_path, 16)
    assert (got["format"], got["quant"], got["n_layers"], got["dim"], got["n_vocab"], got["ctx_train"]) == \
        ("llama2c", "F32", "5", "64", "512", "512")
    assert got["n_params"] == "260032" and got["tied_output"] == "1"
    own = probe(program, files["l2c_own"])
    assert own["tied_output"] == "0" and int(own["n_params"]) == int(probe(program, files["l2c_shared"])["n_params"]) \
        + 300 * 32


def test_broken_headers_say_what_is_wrong(files, smollm2_path, program):
    d = files["dir"]
    head = smollm2_path.read_bytes()[:4 << 20]
    cases = {
        "empty.gguf": (b"", "error empty file"),
        "damaged.gguf": (head[:16] + struct.pack("<Q", 1 << 40) + head[24:],
                         "error damaged header: impossible key or tensor count"),
        "cut_data.gguf": (head, "error truncated (or damaged): the tensor data runs past the end of the file"),
        "cut_header.gguf": (head[:300000], "error truncated (or damaged): an array count is larger"),
        "cut_early.gguf": (head[:10000], "error truncated (or damaged): "),
        "short.bin": (b"\x01\x02", "error llama2.c: file too short for the header"),
    }
    for name, (data, message) in cases.items():
        (d / name).write_bytes(data)
        got = probe(program, d / name)
        assert isinstance(got, str) and got.startswith(message), (name, got)


def test_every_cut_of_a_header_is_an_error(files, program):
    data = files["gguf3"].read_bytes()
    r = GGUFReader(str(files["gguf3"]))
    header_end = int(min(t.data_offset for t in r.tensors))
    cut = files["dir"] / "cut.gguf"
    for n in list(range(0, header_end, 13)) + [header_end, header_end + 1, len(data) - 1]:
        cut.write_bytes(data[:n])
        for first in (1, 65536):
            got = probe(program, cut, first)
            assert isinstance(got, str) and got.startswith("error "), (n, first, got)


def measured(program, path, ctx, max_tokens, tok=None):
    got = probe(program, path, 65536, ctx, max_tokens, *([tok] if tok else []))
    assert not isinstance(got, str), got
    return int(got["need_total"]), int(got["actual_peak"]), got


@pytest.mark.parametrize("ctx, max_tokens", [(2048, 256), (256, 64), (8192, 1024)])
def test_memory_estimate_covers_a_real_load_of_smollm2(smollm2_path, program, ctx, max_tokens):
    need, actual, got = measured(program, smollm2_path, ctx, max_tokens)
    assert actual <= need <= actual * OVER_AT_MOST, (need, actual, got)
    print(f"SmolLM2 ctx {ctx}: estimate {need} bytes, measured peak {actual} ({need / actual - 1:+.2%})")


@pytest.mark.parametrize("name, tok", [("gguf3", None), ("gguf_align256", None), ("l2c_shared", "tok"),
                                       ("l2c_own", "tok"), ("l2c_own", None)])
def test_memory_estimate_covers_a_real_load_of_small_models(files, program, name, tok):
    need, actual, got = measured(program, files[name], 64, 16, files[tok] if tok else None)
    assert actual <= need <= actual * OVER_AT_MOST, (need, actual, got)


def test_memory_estimate_of_stories260k(stories260k_path, program):
    need, actual, _ = measured(program, stories260k_path, 512, 64)
    assert actual <= need <= actual * OVER_AT_MOST, (need, actual)
