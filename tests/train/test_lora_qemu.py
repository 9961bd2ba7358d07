"""`lora NAME|off` in MyOS: an adapter (made by myos-llm --train and copied
onto the disk) applied to the loaded model makes `ai` answer token for
token as `myos-llm --lora` does (stories260K raw, SmolLM2 in its chat
template, and `chat` too), and differently from the base model; the
choice survives a reboot (/MYOS/SETTINGS.TXT), as the training's settings
do, and `lora off` removes it;
`models` lists each adapter beside the model it fits; an adapter for
another model, a file that is no adapter and a missing one are one error
line each, and the adapter applied before stays; another model loads
without it. Two boots: the second is the reboot."""
import re
import shutil
from pathlib import Path

import pytest

from myos.image import default_image
from myos.models import DEFAULT, default_model, stories260k
from myos.qemu import Machine
from myos.torch_lora import host_args, myos_train
from tests.ai import llama2c_tokenizer
from tests.ai.conftest import (AI_BUILD, SMOLLM, STORIES, chat_mode, configure, host_answer, host_chat, os_answer,
                               os_chat_turn, parse_chat_turn, use_model)
from tests.fs.fatimage import mread

pytestmark = pytest.mark.qemu

LORA_DIR = AI_BUILD / "lora-qemu"
PROMPT = "Once upon a time"
CHAT_PROMPT = "Tell me about the girl and her red ball."
CHAT_TURNS = [CHAT_PROMPT, "What colour was the ball?"]
ANSWER = {"temperature": 0, "max_tokens": 12, "ctx": 256, "show_ids": 1}
# The training's settings, saved with the others (/MYOS/SETTINGS.TXT), as `set` shows them.
TRAIN_SETTINGS = {"lora_rank": "4", "lora_alpha": "8.5", "lora_targets": "q,k,down", "train_steps": "7",
                  "train_lr": "0.005", "train_ctx": "48", "train_seed": "9"}
# Strong enough to change stories260K's greedy tokens (test_train_qemu trains so in the OS too).
STORY_TRAIN = {"train_ctx": 32, "train_steps": 12, "train_lr": 0.05, "lora_rank": 4,
               "lora_targets": "q,v,o,down"}


def one_error(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    return lines[0]


def adapter_blocks(listing: str) -> dict[str, list[str]]:
    """`models` output: each model's name -> the adapter rows under it, their
    size dropped and their spaces made single."""
    blocks, name = {}, None
    for line in listing.splitlines():
        if m := re.match(r"^[* ] (\S+)\s+(gguf|llama2c)\s", line):
            name = m.group(1)
            blocks[name] = []
        elif line.startswith(("*   + ", "    + ")):
            blocks[name].append(line[:6] + " ".join(line[6:].split()[:-2]))
    return blocks


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    LORA_DIR.mkdir(parents=True, exist_ok=True)
    tok = llama2c_tokenizer.write(LORA_DIR / "tokenizer.bin")
    text = LORA_DIR / "story.txt"
    text.write_text(llama2c_tokenizer.STORY)
    story = LORA_DIR / "story.lora.gguf"
    myos_train(stories260k(), text, story, *host_args(STORY_TRAIN), "--tokenizer", tok)
    smol = LORA_DIR / "smol.lora.gguf"
    myos_train(default_model(), text, smol, "--steps", 3, "--lr", 0.02, "--train-ctx", 16)
    junk = LORA_DIR / "junk.lora.gguf"
    junk.write_text("not a GGUF file\n")
    return {"tokenizer": tok, "story": story, "smol": smol, "junk": junk}


@pytest.fixture(scope="module")
def image(files) -> Path:
    built = default_image(LORA_DIR / "lora.img", [DEFAULT], [str(stories260k()), str(files["tokenizer"]),
                                                             str(files["story"]), str(files["smol"]),
                                                             str(files["junk"])], None)
    copy = LORA_DIR / "lora-written.img"
    shutil.copyfile(built, copy)
    return copy


@pytest.fixture(scope="module")
def answers(files) -> dict:
    """The host program's greedy answers, without and with the adapter."""
    common = dict(chat=False, max_tokens=ANSWER["max_tokens"], ctx=ANSWER["ctx"], tokenizer=files["tokenizer"])
    smol = dict(max_tokens=ANSWER["max_tokens"], ctx=ANSWER["ctx"])
    return {"base": host_answer(stories260k(), PROMPT, **common),
            "story": host_answer(stories260k(), PROMPT, **common, extra=("--lora", str(files["story"]))),
            "smol base": host_answer(default_model(), CHAT_PROMPT, **smol),
            "smol": host_answer(default_model(), CHAT_PROMPT, **smol, extra=("--lora", str(files["smol"]))),
            "smol chat": host_chat(default_model(), CHAT_TURNS, **smol, extra=("--lora", files["smol"]))}


def test_lora_applies_survives_a_reboot_and_comes_off(image, answers):
    assert answers["story"].gen_ids != answers["base"].gen_ids, "the adapter does not change the answer"
    with Machine(snapshot=False).boot(image) as m:
        assert one_error(m.run("lora story")) == "error: lora: no model is loaded (load one with 'model NAME')"
        use_model(m, STORIES)
        configure(m, **ANSWER)
        assert os_answer(m, PROMPT).gen_ids == answers["base"].gen_ids
        out = m.run("lora story")
        assert out.strip() == ("applied story to stories260K.bin: rank 4, q,v,o,down, alpha 16 "
                               "('lora off' removes it)"), out
        assert os_answer(m, PROMPT).gen_ids == answers["story"].gen_ids
        bad = {"lora smol": r"error: lora: blk\.0\.\S+ has the shape of another model's adapter "
                            r"\(/MODELS/smol\.lora\.gguf\)",
               "lora junk": r"error: .* \(/MODELS/junk\.lora\.gguf\)",
               "lora none": r"error: lora: /MODELS/none\.lora\.gguf: .*",
               "lora ../story": r"error: lora: the adapter name may not contain '/' .*"}
        for command, line in bad.items():
            assert re.fullmatch(line, one_error(m.run(command))), command
        assert m.run("lora").strip() == "adapter story on stories260K.bin: rank 4, q,v,o,down, alpha 16"
        blocks = adapter_blocks(m.run("models", 60))
        assert blocks[STORIES] == ["*   + story.lora.gguf lora rank 4 q,v,o,down"], blocks
        assert blocks[SMOLLM] == ["    + smol.lora.gguf lora rank 8 q,v"], blocks
        configure(m, **TRAIN_SETTINGS)
        assert m.poweroff() is not None
    saved = mread(image, "/MYOS/SETTINGS.TXT").decode()
    assert "lora story\n" in saved
    assert all(f"{name} {value}\n" in saved for name, value in TRAIN_SETTINGS.items()), saved

    with Machine(snapshot=False).boot(image) as m:
        assert m.run("lora").strip() == "adapter story: chosen, applied when its model loads"
        shown = dict(line.split(None, 1) for line in m.run("set").splitlines() if line.strip())
        assert {name: shown[name] for name in TRAIN_SETTINGS} == TRAIN_SETTINGS
        out = m.run(f"ai {PROMPT}", 120)
        assert "loaded adapter story: rank 4, q,v,o,down, alpha 16" in out, out
        assert os_answer(m, PROMPT).gen_ids == answers["story"].gen_ids
        # The choice belongs to its model: another model loads without it
        # (a note says why), and it comes back with its model.
        out = m.run(f"model {SMOLLM}", 120)
        assert re.search(r"^note: the chosen adapter story is not applied: lora: \S+ has the shape of another "
                         r"model's adapter \(/MODELS/story\.lora\.gguf\)$", out, re.M), out
        assert m.run("lora").strip() == "adapter story: chosen, applied when its model loads"
        assert "loaded adapter story: rank 4, q,v,o,down, alpha 16" in m.run(f"model {STORIES}", 120)
        assert os_answer(m, PROMPT).gen_ids == answers["story"].gen_ids
        assert m.run("lora off").strip() == "removed story from stories260K.bin"
        assert os_answer(m, PROMPT).gen_ids == answers["base"].gen_ids
        # SmolLM2 answers in its chat template with its adapter as myos-llm does.
        assert answers["smol"].gen_ids != answers["smol base"].gen_ids, "the adapter does not change the answer"
        use_model(m, SMOLLM)
        assert m.run("lora smol").startswith(f"applied smol to {SMOLLM}: rank 8, q,v, alpha 16")
        assert os_answer(m, CHAT_PROMPT).gen_ids == answers["smol"].gen_ids
        # A conversation in `chat` follows the adapter as myos-llm --chat --lora does.
        with chat_mode(m):
            for turn, expected in zip(CHAT_TURNS, answers["smol chat"]):
                got = parse_chat_turn(os_chat_turn(m, turn))
                assert (got.prompt_ids, got.gen_ids) == (expected.prompt_ids, expected.gen_ids), turn
        assert m.run("lora off").strip() == f"removed smol from {SMOLLM}"
        assert m.poweroff() is not None
    assert "lora " not in mread(image, "/MYOS/SETTINGS.TXT").decode()
