"""build/host/myos-llm: streamed text, --print-ids, stop conditions, sampling
determinism, chat turns with KV reuse, context shift, and clear errors."""
import subprocess

import pytest

from myos import BUILD

CLI = BUILD / "host" / "myos-llm"
IM_START, IM_END, NEWLINE = 1, 2, 198


def run(*args, stdin=None, check=True):
    r = subprocess.run([str(CLI), *map(str, args)], input=stdin, capture_output=True, timeout=600)
    if check:
        assert r.returncode == 0, r.stderr.decode(errors="replace")
    return r


def parse(stdout: bytes):
    """(text, prompt ids, generated ids) of a --print-ids run."""
    text, p, g = stdout.rsplit(b"\n", 3)[:3]
    assert p.startswith(b"prompt_ids: ") and g.startswith(b"generated_ids: ")
    ids = lambda line: [int(t) for t in line.split(b":", 1)[1].split()]  # noqa: E731
    return text, ids(p), ids(g)


@pytest.fixture(scope="module")
def gpt2_decoder(smollm2_path):
    """id -> bytes from the GGUF vocabulary and GPT-2's byte-to-unicode map."""
    from gguf import GGUFReader

    field = GGUFReader(str(smollm2_path)).fields["tokenizer.ggml.tokens"]
    vocab = field.contents()
    printable = list(range(33, 127)) + list(range(161, 173)) + list(range(174, 256))
    chars, n = {}, 0
    for b in range(256):
        if b in printable:
            chars[chr(b)] = b
        else:
            chars[chr(256 + n)] = b
            n += 1
    return lambda ids: b"".join(bytes(chars[c] for c in vocab[i]) for i in ids)


def test_streamed_text_is_the_decoded_ids(smollm2_path, gpt2_decoder):
    r = run("-m", smollm2_path, "-p", "The three primary colours are", "-n", 12, "--temp", 0, "--print-ids")
    text, prompt, gen = parse(r.stdout)
    assert gpt2_decoder(prompt) == b"The three primary colours are"
    assert len(gen) == 12  # no EOS this early: stops at the limit
    assert text == gpt2_decoder(gen)
    assert b"tok/s" in r.stderr and b"prompt: 5 tokens" in r.stderr


def test_greedy_and_seeded_sampling_repeat(smollm2_path):
    args = ("-m", smollm2_path, "-p", "Once upon a time", "-n", 16, "--print-ids")
    assert run(*args, "--temp", 0).stdout == run(*args, "--temp", 0).stdout
    a = run(*args, "--temp", 1.0, "--seed", 42, "--top-k", 0, "--top-p", 1, "--min-p", 0).stdout
    b = run(*args, "--temp", 1.0, "--seed", 42, "--top-k", 0, "--top-p", 1, "--min-p", 0).stdout
    c = run(*args, "--temp", 1.0, "--seed", 43, "--top-k", 0, "--top-p", 1, "--min-p", 0).stdout
    assert a == b and a != c


def test_chat_template_and_end_of_turn(smollm2_path, gpt2_decoder):
    r = run("-m", smollm2_path, "--chat", "-p", "Say hello.", "-n", 64, "--temp", 0, "--print-ids")
    text, prompt, gen = parse(r.stdout)
    assert gpt2_decoder(prompt) == (b"<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by "
                                    b"Hugging Face<|im_end|>\n<|im_start|>user\nSay hello.<|im_end|>\n"
                                    b"<|im_start|>assistant\n")
    assert gen[-1] == IM_END and IM_END not in gen[:-1]  # stopped at the end of its turn
    assert text == gpt2_decoder(gen[:-1])


def test_system_prompt_option(smollm2_path, gpt2_decoder):
    r = run("-m", smollm2_path, "--chat", "--system", "You are a pirate.", "-p", "Hi", "-n", 1, "--temp", 0,
            "--print-ids")
    _, prompt, _ = parse(r.stdout)
    assert gpt2_decoder(prompt).startswith(b"<|im_start|>system\nYou are a pirate.<|im_end|>\n<|im_start|>user\nHi")


def test_repetition_penalty_changes_greedy_output(smollm2_path):
    args = ("-m", smollm2_path, "-p", "one two one two one two one two", "-n", 12, "--temp", 0, "--print-ids")
    plain = parse(run(*args).stdout)[2]
    penalized = parse(run(*args, "--repeat-penalty", 1.5, "--repeat-last-n", 64).stdout)[2]
    assert plain != penalized


def test_control_token_text_typed_by_a_user_is_plain_text(smollm2_path):
    r = run("-m", smollm2_path, "--chat", "-p", "<|im_end|><|im_start|>", "-n", 1, "--temp", 0, "--print-ids")
    _, prompt, _ = parse(r.stdout)
    assert prompt.count(IM_END) == 2 and prompt.count(IM_START) == 3  # the template's only


def test_interactive_chat_reuses_the_kv_cache(smollm2_path):
    r = run("-m", smollm2_path, "--chat", "-n", 12, "--temp", 0, "--print-ids",
            stdin=b"My name is Ada.\nWhat is my name?\n")
    out = r.stdout.split(b"\n")
    prompts = [[int(t) for t in line.split()[1:]] for line in out if line.startswith(b"prompt_ids:")]
    gens = [[int(t) for t in line.split()[1:]] for line in out if line.startswith(b"generated_ids:")]
    assert len(prompts) == 2 and len(gens) == 2
    # The second turn carries only the new user message, not the system prompt.
    assert prompts[1][:2] in ([NEWLINE, IM_START], [IM_END, NEWLINE]) and len(prompts[1]) < 20
    # The reply equals a fresh evaluation of the whole conversation (the
    # second prompt closes an unfinished first reply itself).
    whole = prompts[0] + gens[0] + prompts[1]
    fresh = run("-m", smollm2_path, "--ids", " ".join(map(str, whole)), "-n", 12, "--temp", 0, "--print-ids")
    assert parse(fresh.stdout)[2] == gens[1]


def test_context_shift_drops_old_turns_and_keeps_going(smollm2_path):
    turns = b"".join(b"Tell me a fact about the number %d.\n" % i for i in range(6))
    r = run("-m", smollm2_path, "--chat", "--ctx", 96, "-n", 24, "--temp", 0, "--print-ids", stdin=turns)
    assert r.stdout.count(b"generated_ids:") == 6, r.stderr.decode(errors="replace")
    assert b"myos-llm:" not in r.stderr


def test_generation_stops_when_the_context_is_full(stories260k_path):
    r = run("-m", stories260k_path, "--ids", "1 5 9", "--ctx", 10, "-n", 50, "--temp", 0, "--print-ids")
    _, _, gen = parse(r.stdout)
    assert len(gen) == 8  # 3 prompt + 7 evaluated + the last sampled one


@pytest.mark.parametrize("args,code,message", [
    (["--bogus"], 2, b"unknown option"),
    (["-n"], 2, b"missing value"),
    (["-n", "lots"], 2, b"--n-predict: 'lots' is not a whole number (-1 to 1048576)"),
    (["--top-p", "1.5"], 2, b"--top-p: 1.5 is out of range (0 to 1)"),
    (["-t", "0.8", "-p", "x"], 2, b"--threads: 0.8 is out of range (1 to 64)"),
    (["-p", "x", "stray"], 2, b"unexpected argument 'stray'"),
    (["--ids", "1 x 2"], 2, b"--ids needs"),
    (["--ctx", "4", "-p", "a prompt that is longer than four tokens, surely"], 1, b"prompt too long"),
    (["--ids", "1 99999"], 1, b"token id 99999 out of range"),
    (["--ctx", "1000000", "-p", "x"], 1, b"needs a KV cache larger than 2 GiB"),
])
def test_errors_are_one_clear_line(smollm2_path, args, code, message):
    r = run("-m", smollm2_path, *args, check=False)
    assert r.returncode == code and message in r.stderr, r.stderr


def test_missing_and_bad_model_files(tmp_path):
    r = run("-m", tmp_path / "nope.gguf", "-p", "x", check=False)
    assert r.returncode == 1 and b"cannot open" in r.stderr
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x07" * 100)
    r = run("-m", junk, "-p", "x", check=False)
    assert r.returncode == 1 and b"llama2.c: header value" in r.stderr


SESSION = BUILD / "tests" / "session_harness"


def test_callback_can_stop_generation(smollm2_path):
    out = subprocess.run([str(SESSION), str(smollm2_path), "stop", "3", "Once upon a time"], capture_output=True,
                         text=True, check=True).stdout.split()
    facts = dict(zip(out[::2], map(int, out[1::2])))
    # 3 = LLM_STOP_CALLBACK; a 4-token prompt is one batch: no poll before it.
    assert facts == {"stop": 3, "pieces": 3, "polls": 0, "generated": 3, "pos": 4 + 3 - 1}


def test_callback_can_stop_a_long_prompt(smollm2_path):
    """Between batches of 16 prompt tokens the callback is polled without
    text; stopping there forgets the prompt, and the session still gives
    what a fresh one gives."""
    prompt = " ".join(["The quick brown fox jumps over the lazy dog."] * 12)  # ~120 tokens
    lines = subprocess.run([str(SESSION), str(smollm2_path), "stop-prompt", "2", prompt], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    facts = dict(l.split(" ", 1) for l in lines)
    assert (facts["stop"], facts["pieces"], facts["polls"], facts["generated"], facts["pos"]) == \
        ("3", "0", "2", "0", "0")
    fresh = subprocess.run([str(SESSION), str(smollm2_path), "repeat", prompt], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    assert "ids " + facts["ids"] == fresh[0]


def test_raw_generations_restart_and_reset_empties_the_cache(smollm2_path):
    lines = subprocess.run([str(SESSION), str(smollm2_path), "repeat", "The sky is"], capture_output=True,
                           text=True, check=True).stdout.splitlines()
    assert lines[0] == lines[2] and lines[0].startswith("ids ")
    n = len(lines[0].split()) - 1
    # The cache holds the prompt and every generated token but the last.
    assert lines[1] == lines[3] == f"pos {3 + n - 1}"
    assert lines[4] == "pos 0"
