"""`ai`, `chat`, `models`, `model` and `set` end to end in QEMU: the OS's
answers equal build/host/myos-llm's token for token (greedy and seeded
sampling), conversations remember, Ctrl+C stops a generation, models switch,
the VGA screen shows the answer, and every error is one clear line. One boot
for the whole module."""
import re
import time

import pytest

from myos.models import default_model, stories260k
from myos.qemu import Machine

from ..llm.settings_cases import RANGES, option_verdict
from .conftest import (SMALL, SMOLLM, STATUS, STORIES, UTF8_TEXT, configure, host_answer,
                       chat_mode, host_chat, os_answer, os_chat_turn, parse_chat_turn, tensor_mix, use_model, words)

pytestmark = pytest.mark.qemu

GREEDY_PROMPTS = [
    "What is the capital of France?",
    "Write a haiku about the sea.",
    "Name three colors.",
    "How many legs does a spider have?",
    "Say hello in Spanish.",
]


@pytest.fixture(scope="module")
def m(ai_image):
    machine = Machine().boot(ai_image)
    yield machine
    machine.kill()


def test_models_lists_files_from_their_headers(m):
    out = m.run("models")
    rows = out.splitlines()[1:]
    lines = {l.split()[0].lstrip("*"): l for l in rows if l.strip() and not l.startswith("    ")}
    # Each loadable file's row is followed by its tensors per block format.
    mix = {rows[i - 1].split()[0]: l.split()[1:] for i, l in enumerate(rows) if l.startswith("    tensors ")}
    assert lines[SMOLLM].split()[1:] == ["gguf", "llama", "134.5M", "Q4_1", "98.4", "MB", "8192"]
    assert mix[SMOLLM] == tensor_mix(default_model())
    assert lines[STORIES].split()[1:] == ["llama2c", "llama", "260.0K", "F32", "1.1", "MB", "512"]
    assert "not loadable: damaged header" in lines["damaged.gguf"]
    assert "not loadable: truncated" in lines["truncated.gguf"]
    assert "tokenizer.bin" not in out
    assert not any(l.startswith("*") for l in out.splitlines()), "nothing is loaded yet"


def test_greedy_answers_equal_the_host_program(m):
    configure(m, temperature=0, show_ids=1, **SMALL)
    use_model(m, SMOLLM)
    for prompt in GREEDY_PROMPTS:
        got = os_answer(m, prompt)
        want = host_answer(default_model(), prompt, **SMALL)
        assert got.prompt_ids == want.prompt_ids, prompt
        assert got.gen_ids == want.gen_ids, prompt
        assert words(got.text) == words(want.text), prompt
        assert int(got.status.group(1)) == len(want.gen_ids)
        assert int(got.status.group(3)) == len(want.prompt_ids)


@pytest.mark.parametrize("prompt, seed", [("Tell me about cats.", 42), ("Invent a name for a robot.", 7)])
def test_sampled_answer_equals_the_host_program(m, prompt, seed):
    configure(m, temperature=0.8, seed=seed, top_k=40, top_p=0.95, min_p=0.05, show_ids=1, **SMALL)
    use_model(m, SMOLLM)
    got = os_answer(m, prompt)
    want = host_answer(default_model(), prompt, temperature=0.8, seed=seed,
                       extra=("--top-k", "40", "--top-p", "0.95", "--min-p", "0.05"), **SMALL)
    assert got.gen_ids == want.gen_ids
    assert words(got.text) == words(want.text)


# The prompt is the rest of the line after "ai ", byte for byte.
VERBATIM_PROMPTS = [
    'Repeat exactly: "carpe   diem"',
    "  two leading and two trailing spaces  ",
    "tab\tseparated\t\twords",
    'a back\\slash, \\"escaped\\" quotes and a last one\\',
    ' "   " ',
]


def test_prompts_reach_the_model_verbatim(m):
    configure(m, temperature=0, show_ids=1, max_tokens=1, ctx=512)
    use_model(m, SMOLLM)
    for prompt in VERBATIM_PROMPTS:
        got = os_answer(m, prompt)
        want = host_answer(default_model(), prompt, max_tokens=1)
        assert got.prompt_ids == want.prompt_ids, repr(prompt)
    configure(m, **SMALL)


def test_system_prompt_is_used(m):
    configure(m, temperature=0, show_ids=1, **SMALL)
    use_model(m, SMOLLM)
    system = "You are a pirate. Always answer like a pirate."
    assert m.run(f"system {system}").strip() == ""
    got = os_answer(m, "Where is the treasure?")
    want = host_answer(default_model(), "Where is the treasure?", extra=("--system", system), **SMALL)
    assert got.prompt_ids == want.prompt_ids
    assert got.gen_ids == want.gen_ids
    assert m.run("system default").strip() == ""


def test_system_prompt_reaches_the_model_verbatim(m):
    configure(m, temperature=0, show_ids=1, max_tokens=1, ctx=512)
    use_model(m, SMOLLM)
    system = ' Be "brief".  Very\tbrief, \\ no more. '
    assert m.run(f"system {system}").strip() == ""
    assert m.run("system") == system + "\n"
    got = os_answer(m, "Hi")
    want = host_answer(default_model(), "Hi", max_tokens=1, extra=("--system", system))
    assert got.prompt_ids == want.prompt_ids
    assert m.run("system default").strip() == ""
    configure(m, **SMALL)


def test_vga_shows_the_streamed_answer(m):
    configure(m, temperature=0, show_ids=0, **SMALL)
    use_model(m, SMOLLM)
    out = m.run(f"ai {GREEDY_PROMPTS[0]}", 600)
    answer = [l for l in out.splitlines() if l.strip() and not STATUS.match(l)]
    screen = m.vga_text()
    # The answer's wrapped lines are consecutive rows above the status line,
    # the first after the marker (glyph 0x02, which Python's cp437 leaves a control).
    answer[0] = "\x02 " + answer[0]
    status_row = max(i for i, row in enumerate(screen) if STATUS.match(row))
    assert screen[status_row - len(answer):status_row] == answer


def test_the_answer_stands_out_on_vga(m):
    """A marker glyph in yellow, the answer in light cyan, the status line in
    dark grey; the command line and the next prompt stay light grey."""
    configure(m, temperature=0, show_ids=0, color=0, **SMALL)
    use_model(m, SMOLLM)
    m.run("clear")
    m.run(f"ai {GREEDY_PROMPTS[0]}", 600)
    raw = m.vga_raw()
    rows = [[(raw[2 * (r * 80 + c)], raw[2 * (r * 80 + c) + 1]) for c in range(80)] for r in range(25)]

    def text_attrs(row):
        return {attr for ch, attr in row if ch != 0x20}

    assert bytes(ch for ch, _ in rows[0]).decode("cp437").startswith("myos> ai ")
    assert text_attrs(rows[0]) == {0x07}
    assert rows[1][0] == (0x02, 0x0E), "the marker: glyph 0x02, yellow on black"
    status = next(r for r in range(2, 25) if rows[r][0] == (ord("["), 0x08))
    assert all(text_attrs(rows[r]) == {0x0B} for r in range(2, status)), "the answer: light cyan"
    assert {attr for ch, attr in rows[1][2:] if ch != 0x20} == {0x0B}
    assert text_attrs(rows[status]) == {0x08}, "the status line: dark grey"
    assert text_attrs(rows[status + 1]) == {0x07}, "the next prompt: plain again"


def test_serial_colours_only_with_set_color(m):
    """color 0: the answer on serial is myos-llm's text, byte for byte; color
    1: the marker and ANSI SGR colours around it and the status line."""
    configure(m, temperature=0, show_ids=0, **SMALL)
    use_model(m, SMOLLM)
    prompt = GREEDY_PROMPTS[0]
    want = host_answer(default_model(), prompt, **SMALL).text
    assert "\n" not in want and len(want) < 77, "one line: no wrap to undo"
    configure(m, color=0)
    plain = m.run(f"ai {prompt}", 600)
    assert re.fullmatch(re.escape(want) + r"\n\[\d+ tokens \| [\d.]+ tok/s \| prompt \d+ tok in [\d.]+ s\]\n",
                        plain), repr(plain)
    configure(m, color=1)
    coloured = m.run(f"ai {prompt}", 600)
    configure(m, color=0)
    assert re.fullmatch("\x1b\\[93m\u263b \x1b\\[96m" + re.escape(want) + "\n"
                        r"\x1b\[90m\[\d+ tokens \| [\d.]+ tok/s \| prompt \d+ tok in [\d.]+ s\]\n\x1b\[0m",
                        coloured), repr(coloured)


def test_vga_shows_utf8_as_code_page_437(m):
    m.run("clear")
    out = m.run("cat /AITEST/UTF8.TXT")
    assert out.strip() == UTF8_TEXT, "serial keeps UTF-8"
    shown = "".join(c if c.encode("cp437", "replace") != b"?" else "\u25a0" for c in UTF8_TEXT)
    assert any(row == shown for row in m.vga_text()), m.vga_text()


def test_chat_remembers_earlier_turns(m):
    configure(m, temperature=0, show_ids=1, **SMALL)
    use_model(m, SMOLLM)
    turns = ["My name is Tom and my cat is called Felix.", "What is my cat called?"]
    want = host_chat(default_model(), turns, **{"max_tokens": SMALL["max_tokens"], "ctx": SMALL["ctx"]})
    with chat_mode(m):
        for turn, expected in zip(turns, want):
            got = parse_chat_turn(os_chat_turn(m, turn))
            assert got.prompt_ids == expected.prompt_ids, turn
            assert got.gen_ids == expected.gen_ids, turn
        # The second turn's prompt is that turn alone: the first is remembered.
        assert len(want[1].prompt_ids) < len(want[0].prompt_ids)
        # After /reset the same question starts a new conversation.
        m.write("/reset\r")
        m.wait_for(r"\(conversation forgotten\)\r?\nyou> ", 30)
        got = parse_chat_turn(os_chat_turn(m, turns[1]))
        fresh = host_answer(default_model(), turns[1], **SMALL)
        assert (got.prompt_ids, got.gen_ids) == (fresh.prompt_ids, fresh.gen_ids)


def test_chat_turns_reach_the_model_verbatim(m):
    configure(m, temperature=0, show_ids=1, max_tokens=1, ctx=512)
    use_model(m, SMOLLM)
    turns = ['  say "hi"   to\tme \\ ', "a second, \"plain\" turn"]
    want = host_chat(default_model(), turns, max_tokens=1, ctx=512)
    with chat_mode(m):
        for turn, expected in zip(turns, want):
            got = parse_chat_turn(os_chat_turn(m, turn))
            assert got.prompt_ids == expected.prompt_ids, repr(turn)
    configure(m, **SMALL)


def test_chat_drops_the_oldest_turns_when_the_context_fills(m):
    configure(m, temperature=0, show_ids=1, max_tokens=12, ctx=96)
    use_model(m, SMOLLM)
    turns = ["My name is Tom.", "I like green apples.", "What do I like?"]
    want = host_chat(default_model(), turns, max_tokens=12, ctx=96)
    with chat_mode(m):
        outputs = []
        for turn, expected in zip(turns, want):
            outputs.append(os_chat_turn(m, turn))
            assert parse_chat_turn(outputs[-1]).gen_ids == expected.gen_ids, turn
    notice = "(context full: the oldest turns were forgotten)"
    assert [notice in o for o in outputs] == [False, False, True], outputs
    configure(m, **SMALL)


@pytest.mark.parametrize("how", ["serial", "sendkey"])
def test_ctrl_c_stops_generation_and_the_model_stays(m, how):
    use_model(m, STORIES)
    # Greedy, a context of 32768 and no token limit: this model (with the test
    # tokenizer) goes on for thousands of tokens; only Ctrl+C ends it in time.
    configure(m, temperature=0, max_tokens=65536, ctx=32768, show_ids=0)
    m.write("ai Once upon a time\r")
    m.wait_for(r"ai Once upon a time\r?\n.", 30)  # the first piece of the answer
    time.sleep(0.5)
    if how == "serial":
        m.write("\x03")
    else:
        m.sendkey("ctrl", "c")
    stopped = m.wait_for(r"\^C \(stopped\)\r?\n\[(\d+) tokens", 60)
    assert int(stopped.group(1)) < 65536
    m.wait_for(r"myos> ", 10)
    configure(m, max_tokens=5, ctx=512)
    out = m.run("ai Once upon a time", 60)
    assert "loading" not in out, "the model stayed loaded"
    assert STATUS.search(out).group(1) == "5"


def test_ctrl_c_stops_a_long_prompt(m):
    """A prompt of ~370 tokens (digits are single tokens) takes half a
    minute to read under emulation; Ctrl+C ends it at the next batch of 16
    tokens, and the next answer is still the host program's."""
    use_model(m, SMOLLM)
    configure(m, temperature=0, show_ids=1, **SMALL)
    long_prompt = " ".join("0123456789" * 3 for _ in range(12))
    m.write(f"ai {long_prompt}\r")
    m.wait_for(r"0123456789\r?\n", 30)  # the echo: evaluation has begun
    time.sleep(1.0)
    started = time.monotonic()
    m.sendkey("ctrl", "c")
    m.wait_for(r"\^C \(stopped\)\r?\n\[0 tokens \| stopped during the prompt, after [\d.]+ s\]", 20)
    assert time.monotonic() - started < 15
    m.wait_for(r"myos> ", 10)
    prompt = GREEDY_PROMPTS[0]
    got = os_answer(m, prompt)
    assert got.gen_ids == host_answer(default_model(), prompt, **SMALL).gen_ids


def test_switch_to_a_llama2c_model(m, tokenizer_bin):
    configure(m, temperature=0, show_ids=1, max_tokens=40, ctx=512)
    out = m.run(f"model {STORIES}", 60)
    assert f"loaded {STORIES}" in out
    assert m.run("models").count("*") == 1
    assert f"* {STORIES}" in m.run("models")
    got = os_answer(m, "Once upon a time")
    want = host_answer(stories260k(), "Once upon a time", chat=False, max_tokens=40,
                       tokenizer=tokenizer_bin)
    assert got.prompt_ids == want.prompt_ids
    assert got.gen_ids == want.gen_ids
    assert words(got.text) == words(want.text)


def test_chat_needs_a_chat_template(m):
    use_model(m, STORIES)
    assert m.run("chat").startswith("error: stories260K.bin has no chat template")


@pytest.mark.parametrize("command, message", [
    ("ai", "error: empty prompt"),
    ("ai  \t  ", "error: empty prompt"),
    ("set foo 1", "error: unknown setting 'foo'"),
    ("set top_p 2", "error: top_p: 2 is out of range (0 to 1)"),
    ("set ctx 0", "error: ctx: 0 is out of range (1 to 1048576)"),
    ("set temperature warm", "error: temperature: 'warm' is not a number"),
    ("set top_k 2.5", "error: top_k: '2.5' is not a whole number"),
    ("set max_tokens 1e300", "error: max_tokens: 1e300 is out of range"),
    ("set seed -1", "error: seed: '-1' is not a whole number"),
    ("model nothere.gguf", "error: nothere.gguf: /MODELS/nothere.gguf:"),
    ("model damaged.gguf", "error: damaged.gguf: damaged header: impossible key or tensor count"),
    ("model truncated.gguf", "error: truncated.gguf: truncated (or damaged): the tensor data runs past"),
])
def test_errors_are_one_line_and_the_shell_goes_on(m, command, message):
    out = m.run(command, 120)
    errors = [l for l in out.splitlines() if l.startswith("error:")]
    assert len(errors) == 1 and errors[0].startswith(message), out
    assert m.run("echo still here").strip() == "still here"


def test_a_refused_value_leaves_the_setting_as_it_was(m):
    def shown():
        return dict(line.split(None, 1) for line in m.run("set").splitlines() if " " in line.strip())
    before = shown()["seed"]
    configure(m, seed=42)
    for bad in ["12x", "x", "99999999999999999999"]:
        out = m.run(f"set seed {bad}")
        assert out.startswith(f"error: seed: '{bad}' is not a whole number"), out
        assert shown()["seed"] == "42", bad
    configure(m, seed=before)


# Around the ranges: the OS refuses what myos-llm refuses, with the same words.
SET_CASES = [("temperature", "100"), ("temperature", "100.01"), ("top_p", "1.0001"), ("repeat_penalty", "0.01"),
             ("repeat_penalty", "0"), ("repeat_last_n", "-1"), ("max_tokens", "-2"), ("ctx", "1048576"),
             ("top_k", "2.5"), ("seed", "18446744073709551616"), ("min_p", "0x10"), ("temperature", "0.8"),
             ("lora_rank", "257"), ("lora_alpha", "0.0009"), ("train_steps", "1000001"), ("train_lr", "10"),
             ("train_ctx", "1"), ("train_seed", "18446744073709551615")]


def test_set_accepts_and_refuses_what_myos_llm_does(m):
    def shown():
        return dict(line.split(None, 1) for line in m.run("set").splitlines() if " " in line.strip())
    before = shown()
    for name, value in SET_CASES:
        option = RANGES[name][0]
        accepted, err = option_verdict(option, value)
        out = m.run(f"set {name} {value}").strip()
        if accepted:
            assert out == "" and shown()[name] == value, out
        else:
            assert out == "error: " + err.strip().replace(f"myos-llm: {option}: ", f"{name}: ", 1), out
    configure(m, **{name: before[name] for name in RANGES})


def test_prompt_longer_than_the_context(m):
    use_model(m, SMOLLM)
    configure(m, ctx=16, max_tokens=4)
    out = m.run("ai " + "tell me a story about a dragon and a knight " * 3, 300)
    assert out.startswith("error: prompt too long"), out
    configure(m, **SMALL)


def test_a_context_too_large_for_memory(m):
    use_model(m, SMOLLM)
    configure(m, ctx=32768)
    out = m.run("ai hello", 60)
    assert out.startswith("error: out of memory for the KV cache"), out
    configure(m, **SMALL)
    assert STATUS.search(m.run("ai Say hi.", 600)), "the model stayed loaded and works"
