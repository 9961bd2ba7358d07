"""A llama2.c tokenizer.bin made for the tests: stories260K's own 512-token
tokenizer is not available, so one of the same shape is trained here with the
`tokenizers` library (byte-pair encoding, SentencePiece-style spaces) on a
fixed English text. The model then writes odd text, which is fine: the tests
compare the OS's output with the host program's on the same two files.

Layout (llama2.c): int32 max_token_length, then per token float32 score,
int32 byte length, bytes. Ids 0-2 are <unk> <s> </s>, 3-258 the byte tokens
<0x00>..<0xFF>, the rest the trained pieces, scored by merge order (earlier
merges first) as SentencePiece scores BPE pieces.
"""
import struct
from pathlib import Path

from tokenizers import Tokenizer, models, pre_tokenizers, trainers

N_VOCAB = 512
SPECIAL = ["<unk>", "<s>", "</s>"]
BYTE_TOKENS = [f"<0x{b:02X}>" for b in range(256)]

# Short, repetitive sentences much like the children's stories the model was
# trained on.
STORY = """Once upon a time, there was a little girl named Lily. She loved to play
outside in the sun. One day, she saw a big red ball in the park. She wanted to
play with it. Her mom said, "Be careful, Lily!" Lily smiled and ran to the ball.
Tom was a happy dog. He liked to run and jump. He had a friend, a small cat named
Kitty. They played together every day and they were very happy.
The boy had a toy car. It was blue and fast. He wanted to show it to his friend.
They went to the garden and looked at the flowers. The bird sang a song.
Sam found a shiny stone near the river. He showed it to his sister, and she
laughed. "It is so pretty!" she said. They took it home and put it on a shelf.
At night, the moon was bright and the stars were twinkling in the sky.
"""


def training_text() -> str:
    return STORY * 4


def pieces() -> list[str]:
    """The trained pieces with real spaces, in merge order (characters first)."""
    n_pieces = N_VOCAB - len(SPECIAL) - len(BYTE_TOKENS)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
    trainer = trainers.BpeTrainer(vocab_size=n_pieces, show_progress=False)
    tok.train_from_iterator(training_text().splitlines(), trainer)
    vocab = sorted(tok.get_vocab().items(), key=lambda kv: kv[1])
    out = [p.replace("\u2581", " ") for p, _ in vocab]
    assert len(out) == n_pieces, len(out)
    return out


def write(path: Path) -> Path:
    trained = pieces()
    tokens = SPECIAL + BYTE_TOKENS + trained
    out = [struct.pack("<i", max(len(t.encode()) for t in tokens))]
    for i, t in enumerate(tokens):
        score = -float(i - len(SPECIAL) - len(BYTE_TOKENS)) if i >= len(SPECIAL) + len(BYTE_TOKENS) else 0.0
        data = t.encode()
        out.append(struct.pack("<fi", score, len(data)) + data)
    path.write_bytes(b"".join(out))
    return path
