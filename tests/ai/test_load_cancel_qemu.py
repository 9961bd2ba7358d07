"""Ctrl+C while a model's weights are prepared (repacked as the file is read,
the longest part of a load without prepared weights): the load stops within
moments with one error line,
the previous model is loaded again (saying so), the shell answers and `ai`
still works; the stopped model then loads whole and answers as the host
program does. One boot for the module."""
import re
import time

import pytest

from myos.image import default_image
from myos.models import DEFAULT, default_model, stories260k
from myos.qemu import Machine

from .conftest import AI_BUILD, SMALL, SMOLLM, STATUS, STORIES, configure, host_answer, os_answer, use_model

pytestmark = pytest.mark.qemu


@pytest.fixture(scope="module")
def m(tokenizer_bin):
    AI_BUILD.mkdir(parents=True, exist_ok=True)
    image = default_image(AI_BUILD / "cancel.img", [DEFAULT], [str(stories260k()), str(tokenizer_bin)], None,
                          prepared=False)
    machine = Machine().boot(image)
    yield machine
    machine.kill()


def test_ctrl_c_while_preparing_a_model(m):
    use_model(m, STORIES)
    m.write(f"model {SMOLLM}\r")
    m.wait_for(rf"loading {re.escape(SMOLLM)}\r?\n", 30)
    # The weights are repacked as they are read (the image has no prepared
    # weights): a bar past 30% is the middle of the preparation.
    m.wait_for(r"reading \[[^\]]*\]\s+[3-9]\d%", 120)
    sent = time.monotonic()
    m.write("\x03")
    m.wait_for(rf"error: loading {re.escape(SMOLLM)} cancelled\r?\n", 60)
    # Preparing takes seconds under emulation; the stop is heard within a
    # fraction of one (a loose bound: the machine running QEMU is shared).
    assert time.monotonic() - sent < 5
    after = m.wait_for(r"(?s)(.*?)myos> ", 60).group(1).decode(errors="replace")
    assert f"loading the previous model {STORIES} again" in after, after
    assert f"loaded {STORIES}" in after, after
    assert f"loaded {SMOLLM}" not in after, after
    assert f"current model: {STORIES}" in m.run("model")
    configure(m, temperature=0, max_tokens=5, ctx=512, show_ids=0)
    out = m.run("ai Once upon a time", 60)
    assert "loading" not in out, out
    assert STATUS.search(out).group(1) == "5", out
    # Nothing of the stopped load stays behind: the model loads whole and
    # answers token for token as the host program does.
    use_model(m, SMOLLM)
    configure(m, show_ids=1, **SMALL)
    prompt = "What is the capital of France?"
    assert os_answer(m, prompt).gen_ids == host_answer(default_model(), prompt, **SMALL).gen_ids
