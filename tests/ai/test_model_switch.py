"""`model NAME` when the new model cannot work: a missing, empty, damaged,
truncated or too large file is refused before the current model is freed
(which then stays loaded and named); a file whose damage only the full load
finds (a non-finite scale inside the tensor data, named with its tensor)
brings the previous model back; names that leave /MODELS are refused and
never saved. One boot for the module."""
import re

import numpy as np
import pytest
from gguf import GGUFReader

from myos.image import default_image
from myos.models import DEFAULT, default_model, stories260k
from myos.qemu import Machine

from .conftest import AI_BUILD, SMOLLM, STORIES, configure

pytestmark = pytest.mark.qemu

BAD_ROW = 168
BAD_TENSOR = "blk.0.attn_q.weight"


def nonfinite_scale_copy(src, dest):
    """The default model with one Q4_1 block scale of BAD_TENSOR's row
    BAD_ROW set to +inf (F16 0x7c00): the header is fine, the data is not."""
    tensor = next(t for t in GGUFReader(str(src)).tensors if t.name == BAD_TENSOR)
    assert tensor.tensor_type.name == "Q4_1"
    row_bytes = int(tensor.shape[0]) // 32 * 20
    data = bytearray(src.read_bytes())
    at = int(tensor.data_offset) + BAD_ROW * row_bytes
    data[at:at + 2] = np.float16(np.inf).tobytes()
    dest.write_bytes(bytes(data))
    return dest


@pytest.fixture(scope="module")
def m(tokenizer_bin):
    AI_BUILD.mkdir(parents=True, exist_ok=True)
    empty = AI_BUILD / "empty.gguf"
    empty.write_bytes(b"")
    files = [str(stories260k()), str(tokenizer_bin), str(empty),
             str(nonfinite_scale_copy(default_model(), AI_BUILD / "badrow.gguf"))]
    image = default_image(AI_BUILD / "switch.img", [DEFAULT], files, None)
    machine = Machine().boot(image)
    yield machine
    machine.kill()


def current(m):
    return m.run("model").strip()


def saved_model(m):
    settings = dict(line.split(None, 1) for line in m.run("set").splitlines() if " " in line.strip())
    return settings.get("model", "").strip()


def errors(out):
    return [line for line in out.splitlines() if line.startswith("error:")]


def test_empty_file_is_named_so(m):
    out = m.run("models")
    line = next(l for l in out.splitlines() if "empty.gguf" in l)
    assert "not loadable: empty file" in line, line
    out = m.run("model empty.gguf")
    assert errors(out) == ["error: empty.gguf: empty file"], out


def test_a_refused_switch_keeps_the_current_model(m):
    configure(m, ctx=512, max_tokens=12)
    assert f"loaded {STORIES}" in m.run(f"model {STORIES}", 60)
    for name, message in [("nosuch.gguf", "error: nosuch.gguf: /MODELS/nosuch.gguf:"),
                          ("empty.gguf", "error: empty.gguf: empty file")]:
        out = m.run(f"model {name}", 60)
        assert len(errors(out)) == 1 and errors(out)[0].startswith(message), out
        assert "loading" not in out, "refused before anything was read or freed"
        assert current(m) == f"current model: {STORIES}"
        assert saved_model(m) == STORIES
    assert f"* {STORIES}" in m.run("models")
    out = m.run("ai Once upon a time", 120)
    assert re.search(r"^\[\d+ tokens", out, re.M) and "loading" not in out, "the model stayed loaded and works"


def test_a_model_too_large_for_memory_keeps_the_current_one(m):
    assert current(m) == f"current model: {STORIES}"
    configure(m, ctx=32768)  # SmolLM2's KV cache alone would be about 780 MB
    out = m.run(f"model {SMOLLM}", 60)
    assert len(errors(out)) == 1, out
    assert errors(out)[0].startswith(f"error: not enough memory for {SMOLLM} with a context of 32768"), out
    assert "with the current model unloaded" in out and "reading" not in out
    assert current(m) == f"current model: {STORIES}"
    configure(m, ctx=512)


def test_names_outside_models_are_refused_and_not_saved(m):
    assert current(m) == f"current model: {STORIES}"
    for name in ["../MODELS/stories260K.bin", "/MODELS/stories260K.bin", "..\\MODELS\\stories260K.bin",
                 "sub/x.gguf"]:
        out = m.run(f"model {name}", 60)
        assert len(errors(out)) == 1 and "may not contain '/' or '\\'" in errors(out)[0], (name, out)
        assert "loading" not in out
        assert current(m) == f"current model: {STORIES}"
        assert saved_model(m) == STORIES
        assert name not in m.run("cat /MYOS/SETTINGS.TXT")


def test_damaged_tensor_data_reloads_the_previous_model(m):
    assert current(m) == f"current model: {STORIES}"
    out = m.run("model badrow.gguf", 300)
    assert errors(out) == [f"error: badrow.gguf: repack: {BAD_TENSOR}: row {BAD_ROW} has a non-finite scale"], out
    assert f"loading the previous model {STORIES} again" in out
    assert f"loaded {STORIES}" in out
    assert current(m) == f"current model: {STORIES}"
    assert saved_model(m) == STORIES
    assert m.run("echo still here").strip() == "still here"


def test_loaded_line_and_listing_keep_their_format(m):
    out = m.run(f"model {SMOLLM}", 300)
    loaded = next(l for l in out.splitlines() if l.startswith(f"loaded {SMOLLM}"))
    assert re.fullmatch(rf"loaded {re.escape(SMOLLM)}: gguf llama Q4_1, 98\.4 MB in \d+\.\d\d s "
                        r"\(read \d+ ms, prepare \d+ ms, prepared weights read\)", loaded), loaded
    listing = m.run("models")
    assert f"* {SMOLLM}" in listing
    line = next(l for l in listing.splitlines() if SMOLLM in l)
    assert line.split()[2:] == ["gguf", "llama", "134.5M", "Q4_1", "98.4", "MB", "8192"]
