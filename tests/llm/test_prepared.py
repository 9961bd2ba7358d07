"""Prepared weights (llm/formats/prepared.h, myos-llm --prepared and
--save-prepared): a load that uses them computes exactly what a load that
repacks computes (the same prompt and greedy ids, and the matrices saved
again are the same bytes); their bytes do not depend on the kernels the
machine chose; and a file that does not belong to the model (another model
file, one changed tensor byte) or is damaged (cut, a flipped byte, another
magic or version) is refused with one line saying why, after which the load
repacks and still gives the same results."""
import struct
import subprocess

import pytest

from myos import BUILD, tiny_gguf

from . import synthetic_models as synth

MYOS_LLM = BUILD / "host" / "myos-llm"


def run(*args, ok=True):
    r = subprocess.run([str(MYOS_LLM), *map(str, args)], capture_output=True, text=True, timeout=600)
    assert (r.returncode == 0) == ok, r.stderr[-3000:]
    return r


def answer(model, *extra):
    """(stdout, the prepared-weights line of stderr or None)."""
    r = run("-m", model, "--ids", "1 2 3 4", "-n", 12, "--temp", 0, "--print-ids", *extra)
    notes = [line for line in r.stderr.splitlines() if line.startswith("prepared weights ")]
    return r.stdout, notes[0] if notes else None


def save(model, out, *extra):
    run("-m", model, "--save-prepared", out, *extra)
    return out.read_bytes()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("prepared")
    tiny, other = d / "tiny.gguf", d / "other.gguf"
    tiny_gguf.write(tiny, ["<|endoftext|>"], bos=0, eos=0)
    tiny_gguf.write(other, ["<|endoftext|>"], bos=0, eos=0, seed=1)  # same shapes, other weights
    return {"dir": d, "tiny": tiny, "other": other, "synth": synth.write_gguf(d / "synth.gguf")}


@pytest.mark.parametrize("name", ["tiny", "synth", "smollm2"])
def test_prepared_weights_give_the_same_results(models, smollm2_path, name):
    model = smollm2_path if name == "smollm2" else models[name]
    prp = models["dir"] / f"{name}.prp"
    first = save(model, prp)
    fresh, note = answer(model)
    assert note is None
    used, note = answer(model, "--prepared", prp)
    assert note == f"prepared weights {prp}: used"
    assert used == fresh
    # The matrices read back are the repacked ones, byte for byte.
    again = models["dir"] / f"{name}.again.prp"
    assert save(model, again, "--prepared", prp) == first


def test_prepared_bytes_do_not_depend_on_the_kernels(models):
    d, model = models["dir"], models["synth"]
    files = {k: save(model, d / f"kernel-{k}.prp", "--kernel", k) for k in ("scalar", "sse2", "auto")}
    assert files["scalar"] == files["sse2"] == files["auto"]


def damaged(prp: bytes) -> dict[str, tuple[bytes, str]]:
    return {
        "cut": (prp[:len(prp) - 100], f"cut short: {len(prp) - 100} bytes where {len(prp)} were written"),
        "long": (prp + b"\0", f"too long: {len(prp) + 1} bytes where {len(prp)} were written"),
        "tiny": (prp[:40], "too short for prepared weights (40 bytes)"),
        "magic": (b"NOTPREP!" + prp[8:], "not a prepared-weights file"),
        "version": (prp[:8] + struct.pack("<I", 99) + prp[12:], "prepared weights of format version 99"),
        "digest": (prp[:30] + bytes([prp[30] ^ 1]) + prp[31:], "prepared from another model file (stale)"),
        "record": (prp[:64] + struct.pack("<I", 7) + prp[68:], "damaged: the record of "),
        "flipped": (prp[:len(prp) // 2] + bytes([prp[len(prp) // 2] ^ 0x10]) + prp[len(prp) // 2 + 1:],
                    "damaged (its check digest does not match)"),
    }


@pytest.mark.parametrize("case", ["cut", "long", "tiny", "magic", "version", "digest", "record", "flipped"])
def test_damaged_prepared_weights_are_refused_and_rebuilt(models, case):
    d, model = models["dir"], models["synth"]
    prp = save(model, d / "good.prp")
    fresh, _ = answer(model)
    data, message = damaged(prp)[case]
    bad = d / f"{case}.prp"
    bad.write_bytes(data)
    out, note = answer(model, "--prepared", bad)
    assert note.startswith(f"prepared weights {bad}: {message}"), note
    assert out == fresh


def test_prepared_weights_of_another_model_file_are_stale(models):
    d = models["dir"]
    other = save(models["other"], d / "other.prp")
    fresh, _ = answer(models["tiny"])
    (d / "stale.prp").write_bytes(other)
    out, note = answer(models["tiny"], "--prepared", d / "stale.prp")
    assert note == f"prepared weights {d / 'stale.prp'}: prepared from another model file (stale)"
    assert out == fresh


def test_one_changed_tensor_byte_makes_them_stale(models):
    d, model = models["dir"], models["tiny"]
    prp = d / "tiny-original.prp"
    save(model, prp)
    data = bytearray(model.read_bytes())
    data[-1] ^= 1  # the last tensor's last byte (ffn_down, F32: the model still loads)
    changed = d / "changed.gguf"
    changed.write_bytes(bytes(data))
    _, note = answer(changed, "--prepared", prp)
    assert note == f"prepared weights {prp}: prepared from another model file (stale)"


def test_a_missing_prepared_file_is_one_error_line(models):
    r = run("-m", models["tiny"], "--ids", "1", "-n", 1, "--prepared", models["dir"] / "nothing.prp", ok=False)
    assert r.stderr.strip().startswith("myos-llm: cannot open ")


# Byte-level BPE with merges (Qwen2), SentencePiece without (Gemma 3): digits,
# accents, a CJK run, emoji (byte fallback), spaces and a control piece's text.
TOKENIZER_PROMPT = "Prepared 2048 tokens: café, 東京, 🐧🐧 —  spaced\ttabs <|im_start|> <start_of_turn> end."


@pytest.mark.parametrize("name", ["qwen", "gemma"])
def test_tokenizer_tables_read_back_tokenize_alike(models, qwen_path, gemma_path, name):
    # The prepared file carries the tokenizer's lookup tables; a load that
    # takes them must tokenize (and so generate) exactly as one that builds
    # them, and save the same bytes again.
    model = {"qwen": qwen_path, "gemma": gemma_path}[name]
    prp = models["dir"] / f"{name}.prp"
    first = save(model, prp)

    def ids(*extra):
        r = run("-m", model, "-p", TOKENIZER_PROMPT, "-n", 2, "--temp", 0, "--print-ids", *extra)
        return r.stdout, [line for line in r.stderr.splitlines() if line.startswith("prepared weights ")]

    fresh, notes = ids()
    assert notes == [] and "prompt_ids" in fresh
    used, notes = ids("--prepared", prp)
    assert notes == [f"prepared weights {prp}: used"]
    assert used == fresh
    assert save(model, models["dir"] / f"{name}.again.prp", "--prepared", prp) == first
