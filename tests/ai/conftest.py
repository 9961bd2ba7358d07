"""Fixtures and helpers for the `ai` end-to-end tests: a disk image with extra
files (stories260K with a tokenizer built here, a truncated and a damaged
copy of the default model, a UTF-8 text), the OS's answers parsed from the
serial console, and the host program's answers for the same prompt and
settings, which the OS must equal token for token."""
import re
import struct
import subprocess
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from myos import BUILD
from myos.image import default_image
from myos.models import DEFAULT, default_model, stories260k
from myos.qemu import Machine

from . import llama2c_tokenizer

AI_BUILD = BUILD / "ai-tests"
MYOS_LLM = BUILD / "host" / "myos-llm"
SMOLLM = default_model().name
STORIES = "stories260K.bin"
UTF8_TEXT = "café, Müller, año, ½ °C ┌─┐ └─┘ ░▒▓ 日本 €"
STATUS = re.compile(r"^\[(\d+) tokens \| ([\d.]+) tok/s \| prompt (\d+) tok in ([\d.]+) s\]$", re.M)
# Short answers: QEMU emulates the CPU in software.
SMALL = {"max_tokens": 12, "ctx": 512}


@dataclass
class Answer:
    text: str
    prompt_ids: list[int]
    gen_ids: list[int]
    status: re.Match | None = None


def _ids(line: str, label: str) -> list[int]:
    assert line.startswith(label + ":"), line
    return [int(x) for x in line[len(label) + 1:].split()]


def words(text: str) -> str:
    """Text with every whitespace run made one space: undoes the word wrap,
    which only ever turns spaces into line breaks."""
    return " ".join(text.split())


def parse_os_answer(output: str) -> Answer:
    """`ai` output with `set show_ids 1`: the answer, the status line, the ids."""
    lines = output.splitlines()
    status = [i for i, l in enumerate(lines) if STATUS.match(l)]
    assert status, f"no status line in:\n{output}"
    s = status[-1]
    text_lines = [l for l in lines[:s] if not l.startswith(("loading ", "reading ", "loaded "))]
    return Answer("\n".join(text_lines), _ids(lines[s + 1], "prompt_ids"),
                  _ids(lines[s + 2], "generated_ids"), STATUS.match(lines[s]))


def _decode(raw: bytes) -> str:
    """The host program's stdout as the serial console reads the OS's: a last
    token may end inside a UTF-8 sequence."""
    return raw.decode(errors="replace")


def host_answer(model: Path, prompt: str, *, chat: bool = True, temperature: float = 0,
                max_tokens: int = 12, ctx: int = 512, seed: int | None = None,
                tokenizer: Path | None = None, extra: tuple = ()) -> Answer:
    cmd = [str(MYOS_LLM), "-m", str(model), "-p", prompt, "--temp", str(temperature),
           "-n", str(max_tokens), "--ctx", str(ctx), "--print-ids"]
    if chat:
        cmd.append("--chat")
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if tokenizer:
        cmd += ["--tokenizer", str(tokenizer)]
    out = _decode(subprocess.run(cmd + list(extra), capture_output=True, check=True,
                                 timeout=120).stdout)
    text, _, ids = out.rpartition("\nprompt_ids:")
    lines = ("prompt_ids:" + ids).splitlines()
    return Answer(text, _ids(lines[0], "prompt_ids"), _ids(lines[1], "generated_ids"))


def host_chat(model: Path, turns: list[str], *, max_tokens: int = 12, ctx: int = 512,
              extra: tuple = ()) -> list[Answer]:
    """The host program's interactive chat, fed the turns on stdin."""
    cmd = [str(MYOS_LLM), "-m", str(model), "--chat", "--temp", "0", "-n", str(max_tokens),
           "--ctx", str(ctx), "--print-ids", *map(str, extra)]
    out = _decode(subprocess.run(cmd, input="".join(t + "\n" for t in turns).encode(),
                                 capture_output=True, check=True, timeout=300).stdout)
    answers = []
    for m in re.finditer(r"(.*?)\nprompt_ids:([^\n]*)\ngenerated_ids:([^\n]*)\n", out, re.S):
        answers.append(Answer(m.group(1), [int(x) for x in m.group(2).split()],
                              [int(x) for x in m.group(3).split()]))
    assert len(answers) == len(turns), out
    return answers


def tensor_mix(model: Path) -> list[str]:
    """The tensors per block format as `models` prints them ("F32:61", ...,
    in the order of ggml's type numbers), read by the gguf package."""
    import gguf
    counts = Counter(t.tensor_type for t in gguf.GGUFReader(str(model)).tensors)
    return [f"{kind.name}:{counts[kind]}" for kind in sorted(counts)]


def configure(m: Machine, **settings) -> None:
    for name, value in settings.items():
        out = m.run(f"set {name} {value}")
        assert "error" not in out, out


def use_model(m: Machine, name: str) -> None:
    """Makes `name` the current model unless it already is (loads take time)."""
    current = m.run("model")
    if f"current model: {name}" not in current:
        out = m.run(f"model {name}", timeout=120)
        assert f"loaded {name}" in out, out


@contextmanager
def chat_mode(m: Machine):
    """Inside `chat` at its first `you> ` prompt; /bye back to the shell after."""
    m.write("chat\r")
    m.wait_for(r"you> ", 60)
    yield
    m.write("/bye\r")
    m.wait_for(r"myos> ", 30)


def os_chat_turn(m: Machine, turn: str, timeout: float = 600) -> str:
    """One turn typed at `chat`'s `you> ` prompt: what the OS printed up to
    the next one."""
    start = len(m.transcript)
    m.write(turn + "\r")
    m.wait_for(r"you> ", timeout)
    return m.transcript[start:].rpartition("you> ")[0]


def parse_chat_turn(output: str) -> Answer:
    """os_chat_turn's output with `set show_ids 1`, as parse_os_answer."""
    return parse_os_answer(output.split("\n", 1)[1])  # drop the echoed line


def os_answer(m: Machine, prompt: str, timeout: float = 600) -> Answer:
    return parse_os_answer(m.run(f"ai {prompt}", timeout))


# ---------------------------------------------------------------- files

@pytest.fixture(scope="session")
def tokenizer_bin() -> Path:
    AI_BUILD.mkdir(parents=True, exist_ok=True)
    return llama2c_tokenizer.write(AI_BUILD / "tokenizer.bin")


def truncated_copy(src: Path, dest: Path, fraction: float = 0.4) -> Path:
    """The first part of a model: its header is whole, its tensors are not."""
    with open(src, "rb") as f:
        dest.write_bytes(f.read(int(src.stat().st_size * fraction)))
    return dest


def damaged_copy(src: Path, dest: Path) -> Path:
    """A GGUF whose metadata count (bytes 16..24) says 2^40 keys."""
    with open(src, "rb") as f:
        head = bytearray(f.read(4 << 20))
    head[16:24] = struct.pack("<Q", 1 << 40)
    dest.write_bytes(bytes(head))
    return dest


@pytest.fixture(scope="session")
def ai_image(tokenizer_bin) -> Path:
    """The default image plus stories260K, its tokenizer, broken model files
    and a UTF-8 text file."""
    utf8 = AI_BUILD / "utf8.txt"
    utf8.write_text(UTF8_TEXT + "\n", encoding="utf-8")
    files = [str(stories260k()), str(tokenizer_bin),
             str(truncated_copy(default_model(), AI_BUILD / "truncated.gguf")),
             str(damaged_copy(default_model(), AI_BUILD / "damaged.gguf")),
             f"{utf8}=/AITEST/UTF8.TXT"]
    return default_image(AI_BUILD / "ai.img", [DEFAULT], files, None)
