"""`ai` where it cannot run: a disk without models, and a machine whose memory
cannot hold the default model with its KV cache (detected before loading).
Each case boots once."""
import pytest

from myos import BUILD
from myos.image import build_image
from myos.qemu import Machine

from .conftest import AI_BUILD, SMOLLM

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def no_model_image():
    AI_BUILD.mkdir(parents=True, exist_ok=True)
    return build_image(AI_BUILD / "no-model.img", BUILD / "boot" / "stage1.bin",
                       BUILD / "boot" / "stage2.bin", BUILD / "kernel" / "kernel.bin", [])


def test_no_model_on_the_disk(no_model_image):
    with Machine().boot(no_model_image) as m:
        assert m.run("models").strip().endswith("(no model files in /MODELS)")
        out = m.run("ai hello")
        assert out.startswith("error: no model in /MODELS"), out
        assert m.run("chat").startswith("error: no model in /MODELS")
        assert m.run("echo ok").strip() == "ok"


def test_too_little_memory_is_refused_before_loading(ai_image):
    with Machine(memory_mb=128).boot(ai_image) as m:
        out = m.run("ai hello", 60)
        assert out.startswith(f"error: not enough memory for {SMOLLM} with a context of 2048"), out
        assert "reading" not in out, "refused before reading the file"
        assert m.run("echo ok").strip() == "ok"
