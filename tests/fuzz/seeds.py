"""Seed corpora for the fuzz targets, made from real files: the SmolLM2 GGUF's
header region (and truncations of it), stories260K.bin, a tiny but complete
GGUF (myos/tiny_gguf.py: every metadata type, every supported tensor type),
tiny llama2.c models and tokenizer.bin files, FAT32 disks made by mformat
and mcopy (tests/fuzz/fat_seeds.py); for the network targets, the requests
the OpenAI client and curl send, and TCP conversations in fuzz_tcp.c's
script format. The header probe (fuzz_probe) gets the model files of both
loaders' corpora; the prepared-weights reader (fuzz_prepared) the tiny
GGUF's prepared weights (made by build/host/myos-llm), whole, cut and
damaged; the block decoders (fuzz_blocks) random and zero blocks of every
type."""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

import numpy as np

from myos import BUILD, tiny_gguf
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


# The model fuzz_prepared loads, beside the corpora (its $FUZZ_PREPARED_MODEL).
PREPARED_MODEL = "prepared-model.gguf"


def write_corpora(root: Path, smollm2: Path, stories260k: Path) -> dict[str, Path]:
    """Seed directories for every target, under root (rebuilt each time)."""
    dirs = {name: root / name for name in ("fuzz_gguf", "fuzz_llama2c", "fuzz_tokenizer_bin", "fuzz_tokenizer",
                                           "fuzz_fat", "fuzz_http", "fuzz_json", "fuzz_tcp", "fuzz_probe",
                                           "fuzz_prepared", "fuzz_blocks")}
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

    # Prepared weights of the tiny model (which fuzz_prepared loads from
    # PREPARED_MODEL): whole, cut, and with damaged records.
    pm = root / PREPARED_MODEL
    pm.write_bytes(data)
    pp = dirs["fuzz_prepared"]
    r = subprocess.run([str(BUILD / "host" / "myos-llm"), "-m", str(pm), "--save-prepared", str(pp / "tiny.prp")],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    prepared = (pp / "tiny.prp").read_bytes()
    for cut in (16, 64, 80, len(prepared) // 2, len(prepared) - 1):
        (pp / f"tiny_cut{cut}.prp").write_bytes(prepared[:cut])
    (pp / "tiny_record.prp").write_bytes(prepared[:64] + b"\xff" * 16 + prepared[80:])

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
             "<|im_start|>user\nhi<|im_end|>", "1234567890 3.14", "a" * 300, "\xa0\u2028\u3000x",
             # User-defined tokens of Qwen2.5 and Gemma 3 (split out of the
             # text before BPE / SentencePiece), control token text, U+2581.
             "<tool_call>\n{\"name\": \"f\"}\n</tool_call><tool_call>", "<start_of_turn>user\nhi<end_of_turn>\n",
             "<table><tr><td>x</td></tr></table>\n\n\n\t\t\t", "<bos><eos><pad><unk><mask>[multimodal]",
             "a\u2581b \u2581\u2581 x      y", "<|fim_prefix|>def<|fim_suffix|><|fim_middle|>"]
    # The first byte picks the vocabulary: each text once for each of them.
    for k, s in enumerate(texts):
        for v in range(3):
            (x / f"text{k}_vocab{v}.txt").write_bytes(bytes([v]) + s.encode())
    (x / "invalid_utf8.bin").write_bytes(b"\xff\xfe\xc3(\xe2\x82 ok \xf0\x9f")

    # Block bytes for every type (the first byte picks it, the second the
    # rows; the target uses whole rows of what follows): random, so scales
    # are anything from zero to NaN, and all zero.
    rng = np.random.default_rng(7)
    for k in range(16):
        (dirs["fuzz_blocks"] / f"type{k}_random.bin").write_bytes(bytes([k, 19]) + rng.bytes(20 * 2048))
        (dirs["fuzz_blocks"] / f"type{k}_zero.bin").write_bytes(bytes([k, 3]) + bytes(4 * 2048))

    write_fat_seeds(dirs["fuzz_fat"], root / "fat-work")
    write_net_corpora(dirs)
    return dirs


CHAT_BODY = (b'{"model":"SmolLM2-135M-Instruct.Q4_1.gguf","messages":[{"role":"system","content":"Be brief."},'
             b'{"role":"user","content":"caf\\u00e9 \\ud83d\\udc27 \xc3\xa9"}],"temperature":0.7,"top_p":0.95,'
             b'"max_tokens":16,"seed":42,"stop":["\\n\\n","END"],"stream":true,"stream_options":{"include_usage":true}}')


def write_net_corpora(dirs: dict[str, Path]) -> None:
    h = dirs["fuzz_http"]
    requests = [
        b"GET /health HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n",
        b"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip, deflate\r\n"
        b"Connection: keep-alive\r\nAuthorization: Bearer sk-x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(CHAT_BODY) + CHAT_BODY,
        b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000\r\n\r\n",
        b"\r\nGET /v1/models?x=1 HTTP/1.0\nConnection: keep-alive\n\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]
    for k, r in enumerate(requests):
        (h / f"request{k}.txt").write_bytes(r)
    j = dirs["fuzz_json"]
    texts = [CHAT_BODY, b'[1,-0.5,2e10,1E-7,0,-0,true,false,null,"",{},[]]', b'{"a":{"b":{"c":[[[["deep"]]]]}}}',
             b'"\\"\\\\\\/\\b\\f\\n\\r\\t\\u0000\\u001f"', b' {"k" : "v" , "n" : 123456789012345678901234 } ',
             b"[" * 70 + b"]" * 70, b'{"x":1e400}', b'"\xed\xa0\x80"']
    for k, t in enumerate(texts):
        (j / f"json{k}.json").write_bytes(t)
    t = dirs["fuzz_tcp"]

    def step(kind: int, payload: bytes) -> bytes:
        return bytes([kind]) + struct.pack(">H", len(payload)) + payload

    def segment(flags: int, data: bytes = b"", seq: int = 0, ack: int = 0, window: int = 65535) -> bytes:
        return step(0, struct.pack(">HHIIBBHHH", 40000, 8080, seq, ack, 0x50, flags, window, 0, 0) + data)

    syn = step(0, struct.pack(">HHIIBBHHH", 40000, 8080, 0, 0, 0x60, 0x02, 65535, 0, 0) + b"\x02\x04\x05\xb4")
    request = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
    accept, read, write, close = step(3, b"\x00\x00"), step(3, b"\x01\x00\x10"), step(3, b"\x02\x00\x40"), \
        step(3, b"\x03\x00")
    conversations = {
        "handshake_request_close": syn + segment(0x10) + accept + segment(0x18, request) + read + write
        + segment(0x10) + close + segment(0x11) + step(2, b"\x40"),
        "peer_vanishes": syn + segment(0x10) + accept + write + step(2, b"\xff") * 8,
        "zero_window": syn + segment(0x10, window=0) + accept + write + step(2, b"\x20") * 4 + segment(0x10),
        "reset": syn + segment(0x10) + accept + segment(0x04) + read + close,
        "syn_only": syn + step(2, b"\xff") * 4,
    }
    for name, script in conversations.items():
        (t / f"{name}.bin").write_bytes(script)
