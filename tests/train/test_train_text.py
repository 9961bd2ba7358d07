"""The training text's tokens (llm/train/train_text.c): a file of ChatML turns
trains on the conversation as the model's own chat template renders it
(SmolLM2's Jinja template rendered by jinja2, tokenized by llama.cpp with
control tokens parsed), plain text stays plain, and a malformed turn is one
error line."""
import subprocess

import jinja2
import llama_cpp
import pytest
from gguf import GGUFReader

from myos.torch_lora import MYOS_LLM, myos_train

TURNS = [("user", "What is the capital of France?"),
         ("assistant", "The capital of France is Paris, a city on the Seine."),
         ("user", "And of Italy? Write <|im_start|> as text."),
         ("assistant", "Rome.")]


def chat_file(turns) -> str:
    return "".join(f"<|im_start|>{role}\n{text}<|im_end|>\n" for role, text in turns)


@pytest.fixture(scope="module")
def vocab(smollm2_path):
    return llama_cpp.Llama(str(smollm2_path), vocab_only=True, verbose=False)


def test_chat_turns_train_in_the_models_template(smollm2_path, vocab, tmp_path):
    turns = TURNS[:2]
    data = tmp_path / "chat.txt"
    data.write_text(chat_file(turns))
    _, tokens = myos_train(smollm2_path, data, tmp_path / "a.gguf", "--steps", 0, "--train-ctx", 8)
    template = GGUFReader(smollm2_path).fields["tokenizer.chat_template"].contents()
    rendered = jinja2.Environment().from_string(template).render(
        messages=[{"role": r, "content": t} for r, t in turns], add_generation_prompt=False)
    assert "You are a helpful AI assistant named SmolLM" in rendered  # the template's default system turn
    assert tokens == vocab.tokenize(rendered.encode(), add_bos=False, special=True)


def test_control_token_text_inside_a_turn_stays_text(smollm2_path, vocab, tmp_path):
    data = tmp_path / "chat.txt"
    data.write_text(chat_file(TURNS))
    _, tokens = myos_train(smollm2_path, data, tmp_path / "a.gguf", "--steps", 0, "--train-ctx", 8)
    im_start = vocab.tokenize(b"<|im_start|>", add_bos=False, special=True)
    assert len(im_start) == 1
    # One <|im_start|> id per turn, the default system turn's included: the
    # one written inside the third turn's text (a turn ends only at
    # <|im_end|>) is plain text.
    assert tokens.count(im_start[0]) == len(TURNS) + 1
    plain = vocab.tokenize(b"And of Italy? Write <|im_start|> as text.", add_bos=False, special=False)
    assert any(tokens[i:i + len(plain)] == plain for i in range(len(tokens)))


def test_plain_text_is_not_a_conversation(smollm2_path, vocab, tmp_path):
    data = tmp_path / "plain.txt"
    text = "Notes: <|im_start|> appears here, but the file does not begin with a turn."
    data.write_text(text)
    _, tokens = myos_train(smollm2_path, data, tmp_path / "a.gguf", "--steps", 0, "--train-ctx", 8)
    assert tokens == vocab.tokenize(text.encode(), add_bos=False, special=False)


@pytest.mark.parametrize("text, message", [
    ("<|im_start|>user\nHello<|im_end|>\nstray words", "chat turn 2: text outside <|im_start|>...<|im_end|> (byte 33)"),
    ("<|im_start|>robot\nHello<|im_end|>\n", "chat turn 1: the role must be system, user or assistant"),
    ("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\nHi", "chat turn 2 has no <|im_end|>"),
])
def test_a_malformed_turn_is_one_error_line(smollm2_path, tmp_path, text, message):
    data = tmp_path / "bad.txt"
    data.write_text(text)
    r = subprocess.run([str(MYOS_LLM), "-m", str(smollm2_path), "--train", str(data), "--lora-out",
                        str(tmp_path / "a.gguf"), "--train-ctx", "4"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 1
    errors = [line for line in r.stderr.splitlines() if line.startswith("myos-llm:")]
    assert errors == [f"myos-llm: {data}: train: {message}"], r.stderr
