"""Seed corpora for the fuzz targets, made from real files: the SmolLM2 GGUF's
header region (and truncations of it), stories260K.bin, a tiny but complete
GGUF (myos/tiny_gguf.py: every metadata type, every supported tensor type),
tiny llama2.c models and tokenizer.bin files, and FAT32 disks made by mformat
and mcopy (tests/fuzz/fat_seeds.py). The header probe (fuzz_probe) gets the
model files of both loaders' corpora."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from myos import tiny_gguf
from tests.fuzz.fat_seeds import write_fat_seeds


def tiny_llama2c(vocab: int, shared: bool = True) -> bytes:
    """A llama2.c .bin with small random weights (dim 8, 1 layer)."""
    dim, hidden, layers, heads, seq = 8, 16, 1, 2, 16
    head = dim // heads
    n = vocab * dim + layers * (2 * dim + 4 * dim * dim + 3 * dim * hidden) + dim + seq * head
    n += 0 if shared else vocab * dim
    hdr = struct.pack("<7i", dim, hidden, layers, heads, heads, vocab if shared else -vocab, seq)
    return hdr + np.random.default_rng(vocab).normal(0, 0.2, n).astype("<f4").tobytes()


def tokenizer_bin(vocab: int = 512) -> bytes:
    """A llama2.c tokenizer.bin: <unk> <s> </s>, the 256 byte tokens, then
    letters, spaced letters and common words with descending scores."""
    pieces = ["<unk>", "\n<s>\n", "\n</s>\n"] + [f"<0x{b:02X}>" for b in range(256)]
    words = "the and was he she it a to of in they said day one time upon once little big happy".split()
    extra = [chr(c) for c in range(97, 123)] + [" " + chr(c) for c in range(97, 123)]
    extra += [" " + w for w in words] + words
    i = 0
    while len(pieces) < vocab:
        pieces.append(extra[i] if i < len(extra) else f"x{i}")
        i += 1
    out = struct.pack("<i", max(len(p.encode()) for p in pieces))
    for k, p in enumerate(pieces[:vocab]):
        data = p.encode()
        out += struct.pack("<fi", -float(k), len(data)) + data
    return out


def write_corpora(root: Path, smollm2: Path, stories260k: Path) -> dict[str, Path]:
    """Seed directories for every target, under root (rebuilt each time)."""
    dirs = {name: root / name for name in ("fuzz_gguf", "fuzz_llama2c", "fuzz_tokenizer_bin", "fuzz_tokenizer",
                                           "fuzz_fat", "fuzz_probe")}
    for d in dirs.values():
        d.mkdir(parents=True, exist_ok=True)

    g = dirs["fuzz_gguf"]
    tiny = g / "tiny.gguf"
    tiny_gguf.write(tiny, ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], bos=1, eos=2,
                    chat_template="{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
                                  "<|im_end|>\n{% endfor %}")
    data = tiny.read_bytes()
    (g / "tiny_v2.gguf").write_bytes(data[:4] + struct.pack("<I", 2) + data[8:])
    for cut in (8, 24, 100, len(data) // 2, len(data) - 1):
        (g / f"tiny_cut{cut}.gguf").write_bytes(data[:cut])
    with open(smollm2, "rb") as f:
        header = f.read(1 << 21)  # the key/value and tensor-info region (~1.7 MB)
    for cut in (4096, 65536, len(header)):
        (g / f"smollm2_head{cut}.gguf").write_bytes(header[:cut])

    b = dirs["fuzz_llama2c"]
    stories = stories260k.read_bytes()
    (b / "stories260K.bin").write_bytes(stories)
    for cut in (27, 28, 1000):
        (b / f"stories_cut{cut}.bin").write_bytes(stories[:cut])
    (b / "tiny_shared.bin").write_bytes(tiny_llama2c(32))
    (b / "tiny_unshared.bin").write_bytes(tiny_llama2c(32, shared=False))

    t = dirs["fuzz_tokenizer_bin"]
    tok = tokenizer_bin(512)
    (t / "tokenizer512.bin").write_bytes(tok)
    for cut in (3, 4, 100, len(tok) // 2):
        (t / f"tokenizer_cut{cut}.bin").write_bytes(tok[:cut])

    # The probe reads headers: both formats' files, whole and cut, and an
    # empty one.
    pr = dirs["fuzz_probe"]
    for src in list(g.iterdir()) + list(b.iterdir()):
        (pr / src.name).write_bytes(src.read_bytes())
    (pr / "empty.gguf").write_bytes(b"")

    x = dirs["fuzz_tokenizer"]
    texts = ["Hello world", "", "  \t\n\n  ", "don't we'll I'M", "def f(x):\n    return x**2\n",
             "http://example.com/a?b=c", "Ünïcödé café naïve", "日本語のテキスト", "🐧🎉👍🏽",
             "<|im_start|>user\nhi<|im_end|>", "1234567890 3.14", "a" * 300, "\xa0\u2028\u3000x"]
    for k, s in enumerate(texts):
        (x / f"text{k}.txt").write_bytes(s.encode())
    (x / "invalid_utf8.bin").write_bytes(b"\xff\xfe\xc3(\xe2\x82 ok \xf0\x9f")

    write_fat_seeds(dirs["fuzz_fat"], root / "fat-work")
    return dirs
