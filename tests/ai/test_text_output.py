"""The text path of `ai` on the host: the word wrap (kernel/ai/wrap.c) and the
UTF-8 -> code page 437 decoder of the VGA screen (kernel/drivers/cp437.c),
built by make as test programs, and the generated glyph table kept current."""
import random
import subprocess
import sys

import pytest

from myos import BUILD, ROOT

WRAP = BUILD / "tests" / "ai" / "wrap_harness"
CP437 = BUILD / "tests" / "ai" / "cp437_harness"
COLS = 79
PLACEHOLDER = 0xFE


def wrap(text: str, piece: int = 1, indent: int = 0) -> str:
    return subprocess.run([str(WRAP), str(piece), str(indent)], input=text.encode(),
                          capture_output=True, check=True).stdout.decode()


def story(seed: int) -> str:
    rng = random.Random(seed)
    vocab = ["the", "a", "dragon", "knight", "café", "naïve", "über", "日本語", "castle,", "and",
             "supercalifragilisticexpialidocious", "x" * 100, "—", "½", "ok."]
    parts = []
    for _ in range(300):
        parts.append(rng.choice(vocab))
        parts.append(rng.choice([" ", " ", " ", "  ", "\n", "\n\n", "\t"]))
    return "".join(parts)


@pytest.mark.parametrize("seed", range(6))
def test_wrap_keeps_words_whole_and_lines_short(seed):
    text = story(seed)
    piece = [1, 2, 3, 5, 8, 64][seed]
    out = wrap(text, piece)
    lines = out.split("\n")
    assert all(len(line) <= COLS for line in lines), max(lines, key=len)
    # Only whitespace changes: the words come out in order, and only words
    # longer than a line are cut (into full lines).
    assert "".join(out.split()) == "".join(text.split())
    long_words = [w for w in text.split() if len(w) > COLS]
    cut = [w for w in out.split() if w not in text.split()]
    assert all(any(c in w for w in long_words) for c in cut)
    assert out.endswith("\n") and not out.endswith("\n\n\n\n")


def test_wrap_breaks_at_the_last_space_that_fits():
    words = ["word%02d" % i for i in range(30)]  # 6 characters each
    out = wrap(" ".join(words))
    assert out.split("\n")[0] == " ".join(words[:11])  # 11 * 7 - 1 = 76 <= 79 < 83
    assert wrap("a\nb\n") == "a\nb\n"


def test_wrap_leaves_room_for_the_answer_marker():
    """The marker takes the first two columns of the answer's first line."""
    line = "x" * 39 + " " + "y" * 39  # 79 characters: a full line
    assert wrap(line) == line + "\n"
    assert wrap(line, indent=2) == "x" * 39 + "\n" + "y" * 39 + "\n"
    assert wrap("", indent=2) == "", "no text, no line"
    assert wrap("\r", indent=2) == "\n", "text came (the marker with it): its line ends"


def test_wrap_shows_control_characters_as_replacement():
    assert wrap("bell\x07 ok\r\n") == "bell\ufffd ok\n"


def glyph(ch: str) -> int:
    """The VGA byte for a character: its CP437 code, else the placeholder."""
    try:
        return ch.encode("cp437")[0]
    except UnicodeEncodeError:
        return PLACEHOLDER


def test_cp437_decoder_matches_python_codec():
    chars = [chr(c) for c in range(0x20, 0x7F)] + [bytes([b]).decode("cp437") for b in range(0x80, 0x100)]
    chars += ["日", "€", "😀", "\u2581", "ß"]
    text = "".join(random.Random(1).choices(chars, k=4000))
    got = subprocess.run([str(CP437)], input=text.encode(), capture_output=True, check=True).stdout
    assert got == bytes(glyph(c) for c in text)


@pytest.mark.parametrize("raw, shown", [
    (b"\xc3", b""),                       # incomplete: nothing yet
    (b"\xc3A", bytes([PLACEHOLDER]) + b"A"),  # broken sequence, then the byte that broke it
    (b"\x80", bytes([PLACEHOLDER])),      # stray continuation byte
    (b"\xc0\x80", bytes([PLACEHOLDER])),  # overlong NUL
    (b"\xed\xa0\x80", bytes([PLACEHOLDER])),  # UTF-16 surrogate
    (b"\xff", bytes([PLACEHOLDER])),
])
def test_cp437_decoder_handles_malformed_utf8(raw, shown):
    got = subprocess.run([str(CP437)], input=raw, capture_output=True, check=True).stdout
    assert got == shown


def test_cp437_table_is_current():
    r = subprocess.run([sys.executable, "-m", "myos.gen_cp437", "--check"], cwd=ROOT,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
