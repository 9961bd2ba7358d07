"""`train FILE [NAME]` in MyOS: the losses it prints and the adapter bytes it
writes to /MODELS/NAME.lora.gguf (read back from the disk image with mtools)
equal myos-llm --train's for the same text and settings, for stories260K and
for SmolLM2 on a file of chat turns (the model's template); Ctrl+C stops
after the current step and the adapter keeps those steps; every bad input
is one error line. One boot for the module, a few tiny steps each."""
import re
import shutil
from pathlib import Path

import pytest

from myos.image import default_image
from myos.models import DEFAULT, default_model, stories260k
from myos.qemu import Machine
from myos.torch_lora import OS_STEP as STEP, host_args, myos_train
from tests.ai import llama2c_tokenizer
from tests.ai.conftest import AI_BUILD, SMOLLM, STORIES, configure, host_answer, os_answer, use_model
from tests.fs.fatimage import mread
from tests.train.test_lora_qemu import ANSWER, PROMPT, STORY_TRAIN

pytestmark = pytest.mark.qemu

STORY_TEXT = llama2c_tokenizer.STORY
CHAT_TEXT = ("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n"
             "<|im_start|>assistant\nThe capital of France is Paris, a city on the Seine.<|im_end|>\n")
# Tiny trainings: QEMU emulates the CPU in software.
STORIES_TRAIN = {"train_ctx": 16, "train_steps": 3, "lora_rank": 4, "train_lr": 0.01,
                 "lora_targets": "q,k,v,o,gate,down,up", "train_seed": 5}
SMOLLM_TRAIN = {"train_ctx": 8, "train_steps": 2, "lora_rank": 8, "train_lr": 0.01, "lora_targets": "q,v",
                "train_seed": 0}
TRAIN_DIR = AI_BUILD / "train-qemu"


@pytest.fixture(scope="module")
def files() -> dict[str, Path]:
    TRAIN_DIR.mkdir(parents=True, exist_ok=True)
    texts = {"STORY.TXT": STORY_TEXT.encode(), "CHAT.TXT": CHAT_TEXT.encode(), "EMPTY.TXT": b"",
             "LATIN1.TXT": "Müller".encode("latin-1") + b" and more text after it\n", "SHORT.TXT": b"Tom ran.",
             "LONG.TXT": STORY_TEXT.encode() * 24}
    paths = {}
    for name, data in texts.items():
        paths[name] = TRAIN_DIR / name.lower()
        paths[name].write_bytes(data)
    paths["tokenizer"] = llama2c_tokenizer.write(TRAIN_DIR / "tokenizer.bin")
    return paths


@pytest.fixture(scope="module")
def image(files) -> Path:
    added = [str(stories260k()), str(files["tokenizer"])]
    added += [f"{path}=/TRAIN/{name}" for name, path in files.items() if name.endswith(".TXT")]
    built = default_image(TRAIN_DIR / "train.img", [DEFAULT], added, None)
    copy = TRAIN_DIR / "train-written.img"
    shutil.copyfile(built, copy)
    return copy


@pytest.fixture(scope="module")
def m(image):
    machine = Machine(snapshot=False).boot(image)
    yield machine
    machine.kill()


def one_error(out: str) -> str:
    lines = [line for line in out.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out
    return lines[0]


def os_train(m, command: str, timeout: float = 300) -> tuple[list[str], str]:
    out = m.run(command, timeout)
    return [s.group(3) for s in STEP.finditer(out)], out


def host_train(model, data, out, settings, *extra) -> list[str]:
    # The host's losses as printed (the same %.6f).
    return [f"{x:.6f}" for x in myos_train(model, data, out, *host_args(settings), *extra)[0]]


def test_no_model_loaded(m):
    assert one_error(m.run("train /TRAIN/STORY.TXT")) == \
        "error: train: no model is loaded (load one with 'model NAME')"


def test_stories260k_trains_as_the_host_program(m, image, files, tmp_path):
    use_model(m, STORIES)
    configure(m, **STORIES_TRAIN)
    losses, out = os_train(m, "train /TRAIN/STORY.TXT")
    assert "saved /MODELS/STORY.lora.gguf after 3 steps ('lora STORY' applies it)" in out, out
    host = tmp_path / "story.gguf"
    assert losses == host_train(stories260k(), files["STORY.TXT"], host, STORIES_TRAIN,
                                "--tokenizer", files["tokenizer"])
    assert mread(image, "/MODELS/STORY.lora.gguf") == host.read_bytes()


def test_ai_answers_with_what_train_learned(m, image, files):
    use_model(m, STORIES)
    configure(m, **ANSWER)
    m.run("lora off")
    before = os_answer(m, PROMPT).gen_ids
    configure(m, **dict(STORY_TRAIN, train_seed=0))
    _, out = os_train(m, "train /TRAIN/STORY.TXT learned")
    assert "saved /MODELS/learned.lora.gguf after 12 steps" in out, out
    assert m.run("lora learned").strip().startswith("applied learned to stories260K.bin: rank 4, q,v,o,down")
    adapter = TRAIN_DIR / "learned.lora.gguf"   # the OS's own, read back from the disk
    adapter.write_bytes(mread(image, "/MODELS/learned.lora.gguf"))
    host = host_answer(stories260k(), PROMPT, chat=False, max_tokens=ANSWER["max_tokens"], ctx=ANSWER["ctx"],
                       tokenizer=files["tokenizer"], extra=("--lora", str(adapter)))
    after = os_answer(m, PROMPT).gen_ids
    assert after == host.gen_ids and after != before, (before, after)
    assert m.run("lora off").strip() == "removed learned from stories260K.bin"


def test_ctrl_c_stops_after_the_step_and_keeps_it(m, image, files, tmp_path):
    use_model(m, STORIES)
    configure(m, **dict(STORIES_TRAIN, train_steps=500))
    m.write("train /TRAIN/STORY.TXT stopped\r")
    m.wait_for(r"step 1/500 ", 60)
    m.write("\x03")
    tail = m.wait_for(r"(?s)(.*?)myos> ", 60).group(1).decode(errors="replace")
    done = int(re.search(r"\^C: stopped after step (\d+) of 500", tail).group(1))
    assert 1 <= done < 500
    assert re.search(rf"saved /MODELS/stopped\.lora\.gguf after {done} steps? ", tail), tail
    host = tmp_path / "stopped.gguf"
    host_train(stories260k(), files["STORY.TXT"], host, dict(STORIES_TRAIN, train_steps=done),
               "--tokenizer", files["tokenizer"])
    assert mread(image, "/MODELS/stopped.lora.gguf") == host.read_bytes()


@pytest.mark.parametrize("command, line", [
    ("train /TRAIN/NONE.TXT", "error: train: /TRAIN/NONE.TXT: "),
    ("train /TRAIN/EMPTY.TXT", "error: train: the file is empty (/TRAIN/EMPTY.TXT)"),
    ("train /TRAIN/LATIN1.TXT", "error: train: the file is not UTF-8 text (byte 1) (/TRAIN/LATIN1.TXT)"),
    ("train /TRAIN/SHORT.TXT", "error: train: the file is "),
    ("train /TRAIN/STORY.TXT ../x", "error: train: the adapter name may not contain '/'"),
])
def test_bad_input_is_one_line(m, command, line):
    use_model(m, STORIES)
    configure(m, **STORIES_TRAIN)
    assert one_error(m.run(command)).startswith(line)


def test_file_shorter_than_one_chunk(m):
    use_model(m, STORIES)
    configure(m, **STORIES_TRAIN)
    assert re.fullmatch(r"error: train: the file is \d+ tokens, shorter than one chunk of train_ctx \+ 1 = 17 "
                        r"\(/TRAIN/SHORT.TXT\)", one_error(m.run("train /TRAIN/SHORT.TXT")))


def test_not_enough_memory_for_the_training_state(m):
    use_model(m, STORIES)
    configure(m, **dict(STORIES_TRAIN, train_ctx=4096))
    line = one_error(m.run("train /TRAIN/LONG.TXT"))
    assert re.fullmatch(r"error: train: not enough memory for the training state: 4096 tokens per step at rank 4 "
                        r"need [\d.]+ MiB, [\d.]+ MiB are free \(lower train_ctx or lora_rank\)", line), line
    configure(m, **STORIES_TRAIN)


def test_smollm2_chat_turns_train_as_the_host_program(m, image, files, tmp_path):
    use_model(m, SMOLLM)
    configure(m, **SMOLLM_TRAIN)
    losses, out = os_train(m, "train /TRAIN/CHAT.TXT", 600)
    steps = [float(s.group(5)) for s in STEP.finditer(out)]
    print(f"SmolLM2 in QEMU, {SMOLLM_TRAIN['train_ctx']} tokens per step: {steps} s per step")
    host = tmp_path / "chat.gguf"
    assert losses == host_train(default_model(), files["CHAT.TXT"], host, SMOLLM_TRAIN)
    assert mread(image, "/MODELS/CHAT.lora.gguf") == host.read_bytes()
