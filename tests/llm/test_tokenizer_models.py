"""The tokenizers of the catalogue's Qwen2.5-Coder-0.5B-Instruct (GPT-2
byte-level BPE, `qwen2` pre-tokenizer, user-defined tokens such as
<tool_call>) and Gemma 3 270M (SentencePiece scores, 262,144 pieces, no merge
list, user-defined tokens), built from the real GGUF files by the engine's
loader alone (gguf_load_tokenizer, `tok_harness tokenizer`: no weights, any
architecture).

References: llama.cpp's own tokenizer (llama-cpp-python loading the same file
vocab only), which is the judge, and the HF `tokenizers` library built from
the same GGUF's arrays: for Qwen its vocab and merges with the qwen2 regex,
for Gemma a BPE whose merge list is every split of every piece into two
pieces, ranked by the merged piece's score (what SentencePiece's BPE and
llama.cpp's SPM tokenizer do: the best-scoring merge first), with byte
fallback. User-defined tokens are HF added tokens (not normalized, not
special); control tokens are not added, so their text stays plain text.
"""
import random

import llama_cpp
import pytest
from tokenizers import AddedToken, Tokenizer, models, normalizers, pre_tokenizers

from tests.llm.gguf_vocab import read_metadata
from tests.llm.test_tokenizer import QWEN2_RE, Harness, byte_level, hf_tokenizer, split
from tests.llm.tokenizer_cases import CASES

NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6
SPM_SPACE = "\u2581"
LLAMA_ATTR_CONTROL = 1 << 3  # llama.cpp's llama_token_attr


def read_vocab(path):
    meta = read_metadata(path)
    return {k.rsplit(".", 1)[1]: meta.get(k) for k in (
        "tokenizer.ggml.model", "tokenizer.ggml.pre", "tokenizer.ggml.tokens", "tokenizer.ggml.token_type",
        "tokenizer.ggml.scores", "tokenizer.ggml.merges", "tokenizer.ggml.add_bos_token",
        "tokenizer.ggml.add_space_prefix", "tokenizer.ggml.bos_token_id", "tokenizer.chat_template")}


def with_user_tokens(tok, user):
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in user])
    return tok


def hf_qwen(vocab, user):
    tok = hf_tokenizer(vocab, pre_tokenizers.Sequence([split(QWEN2_RE), byte_level(False)]))
    return with_user_tokens(tok, user)


def hf_sentencepiece(vocab, user):
    tokens, types, scores = vocab["tokens"], vocab["token_type"], vocab["scores"]
    ids = {}
    for i, t in enumerate(tokens):
        ids.setdefault(t, i)
    ranked = []
    for i, (t, ty) in enumerate(zip(tokens, types)):
        if ty not in (NORMAL, USER_DEFINED):
            continue  # plain text never produces the others
        for k in range(1, len(t)):
            if t[:k] in ids and t[k:] in ids:
                ranked.append((-scores[i], i, k))
    ranked.sort()
    merges = [(tokens[i][:k], tokens[i][k:]) for _, i, k in ranked]
    tok = Tokenizer(models.BPE(vocab=ids, merges=merges, byte_fallback=True))
    steps = [normalizers.Replace(" ", SPM_SPACE)]
    if vocab["add_space_prefix"]:
        steps.insert(0, normalizers.Prepend(SPM_SPACE))
    tok.normalizer = normalizers.Sequence(steps)
    return with_user_tokens(tok, user)


class Model:
    def __init__(self, name, path, harness_path):
        self.name = name
        self.vocab = read_vocab(path)
        self.harness = Harness(harness_path, "tokenizer", str(path))
        self.llama = llama_cpp.Llama(str(path), vocab_only=True, verbose=False)
        self.types = self.vocab["token_type"]
        # HF's added tokens: the user-defined ones, less those llama.cpp makes
        # control tokens by name (Gemma 3's </s>).
        user = [t for i, t in enumerate(self.vocab["tokens"]) if self.types[i] == USER_DEFINED
                and not self.llama._model.token_get_attr(i) & LLAMA_ATTR_CONTROL]
        self.hf = (hf_qwen if name == "qwen" else hf_sentencepiece)(self.vocab, user)

    def encode(self, text: str) -> list[int]:
        return self.harness.encode(text.encode())

    def llama_ids(self, text: str) -> list[int]:
        return self.llama.tokenize(text.encode(), add_bos=False, special=False)

    def hf_ids(self, text: str) -> list[int]:
        return self.hf.encode(text, add_special_tokens=False).ids

    def of_type(self, t):
        return [tok for tok, ty in zip(self.vocab["tokens"], self.types) if ty == t]


@pytest.fixture(scope="module")
def tokenizer_of(built, qwen_path, gemma_path):
    """name -> Model, each built once for the module."""
    loaded, paths = {}, {"qwen": qwen_path, "gemma": gemma_path}

    def get(name):
        if name not in loaded:
            loaded[name] = Model(name, paths[name], built("tests/tok_harness"))
        return loaded[name]
    yield get
    for m in loaded.values():
        m.harness.close()


@pytest.fixture(scope="module", params=["qwen", "gemma"])
def model(request, tokenizer_of):
    return tokenizer_of(request.param)


@pytest.fixture(scope="module")
def qwen(tokenizer_of):
    return tokenizer_of("qwen")


@pytest.fixture(scope="module")
def gemma(tokenizer_of):
    return tokenizer_of("gemma")


def test_header_facts(model):
    v, (n_vocab, bos, _, _, create_ns) = model.vocab, model.harness.info()
    if model.name == "qwen":
        assert (v["model"], v["pre"], len(v["tokens"])) == ("gpt2", "qwen2", 151936)
        assert len(v["merges"]) > 100000
    else:
        assert (v["model"], len(v["tokens"]), v["merges"], v["add_bos_token"]) == ("llama", 262144, None, True)
        assert v["chat_template"] is None
        assert bos == v["bos_token_id"]
    assert n_vocab == len(v["tokens"])
    # What the references are built from is what llama.cpp read.
    lm = model.llama._model
    for i in range(0, n_vocab, 7):
        assert lm.token_get_text(i) == v["tokens"][i], i
        if v["scores"]:
            assert lm.token_get_score(i) == v["scores"][i], i
    assert model.of_type(USER_DEFINED), "no user-defined tokens: the splitting below would test nothing"
    print(f"\n{model.name}: tokenizer built in {create_ns / 1e6:.0f} ms, "
          f"{len(model.of_type(USER_DEFINED))} user-defined, {len(model.of_type(CONTROL))} control tokens")
    assert create_ns < 2e9


def test_ids_match_llama_cpp(model):
    bad = [s for s in CASES if model.encode(s) != model.llama_ids(s)]
    print(f"\n{model.name}: {len(CASES) - len(bad)}/{len(CASES)} strings equal to llama.cpp")
    assert not bad, f"{len(bad)}/{len(CASES)} differ, first: {bad[0]!r}"


def test_ids_match_hf_tokenizers(model):
    bad = [s for s in CASES if model.encode(s) != model.hf_ids(s)]
    print(f"\n{model.name}: {len(CASES) - len(bad)}/{len(CASES)} strings equal to HF tokenizers")
    assert not bad, f"{len(bad)}/{len(CASES)} differ, first: {bad[0]!r}"


def user_texts(model, count=60):
    """Texts around a sample of the vocab's user-defined tokens."""
    rng = random.Random(12)
    user = model.of_type(USER_DEFINED)
    sample = rng.sample(user, min(count, len(user)))
    named = [t for t in ("<tool_call>", "</tool_call>", "<start_of_turn>", "<table>", "</td>") if t in user]
    out = []
    for k, u in enumerate(named + sample):
        other = sample[(k + 1) % len(sample)]
        out += [u, f"x{u}y", f"Hello {u} world", f"{u}{u}", f" {u}\n{other} end", f"{u}  {other}{u}"]
    return out


def test_user_defined_tokens_are_split_out_as_llama_cpp_does(model):
    texts = user_texts(model)
    bad = [t for t in texts if model.encode(t) != model.llama_ids(t)]
    print(f"\n{model.name}: {len(texts) - len(bad)}/{len(texts)} texts with user-defined tokens equal to llama.cpp")
    assert not bad, f"{len(bad)}/{len(texts)} differ, first: {bad[0]!r}"
    index = {t: i for i, t in enumerate(model.vocab["tokens"])}
    for t in texts[:40]:
        if t in index:  # a text that is one user-defined token is that token
            assert model.encode(t) == [index[t]]


def test_user_defined_tokens_match_hf(model):
    texts = user_texts(model)
    bad = [t for t in texts if model.encode(t) != model.hf_ids(t)]
    assert not bad, f"{len(bad)}/{len(texts)} differ, first: {bad[0]!r}"


def test_control_token_text_stays_plain_text(model):
    controls = model.of_type(CONTROL)
    control_ids = {i for i, ty in enumerate(model.types) if ty == CONTROL}
    texts = [f"say {c} now" for c in controls[:200]] + ["".join(controls[:30])]
    for t in texts:
        ids = model.encode(t)
        assert not set(ids) & control_ids, (t, ids)
    bad = [t for t in texts if model.encode(t) != model.llama_ids(t)]
    assert not bad, f"{len(bad)}/{len(texts)} differ from llama.cpp, first: {bad[0]!r}"


def test_random_strings_match_llama_cpp(model):
    rng = random.Random(7)
    pool = list("aAzZ09 \t\n\r'.,;:!?-_()[]{}<>/\\\"éßøДжλπ日本語한국어😀🐧\u00a0\u2003\u200b\u0301\u2581")
    pool += ["  ", "\n\n", "    ", "def ", "<", ">", "</"] + user_texts(model, 10)[:20]
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 40))) for _ in range(300)]
    bad = [t for t in texts if model.encode(t) != model.llama_ids(t)]
    assert not bad, f"{len(bad)}/{len(texts)} differ, first: {bad[0]!r}"


def test_round_trip(model):
    for s in CASES:
        if SPM_SPACE in s and model.name == "gemma":
            continue  # SentencePiece decodes a literal U+2581 as a space
        assert model.harness.decode(model.encode(s)) == s.encode(), s


def test_encoding_speed(model):
    """A few hundred characters of prompt, the size that must tokenize well
    under a second in the OS (emulation is some tens of times slower)."""
    text = " ".join(CASES)[:600]
    n, ns = model.harness.bench(text.encode(), 20)
    print(f"\n{model.name}: {len(text)} chars -> {n} tokens in {ns / 1e3:.0f} us")
    assert ns < 5e6, f"{ns / 1e6:.1f} ms for {len(text)} characters"


def test_qwen2_pre_tokenizer_takes_digits_one_by_one(qwen):
    for text in ["12345", "x = 1000000007;", "3.14159", "v2.3.1"]:
        ids = qwen.encode(text)
        assert ids == qwen.llama_ids(text)
        digits = [i for i in ids if qwen.vocab["tokens"][i].isdigit()]
        assert all(len(qwen.vocab["tokens"][i]) == 1 for i in digits)
        assert len(digits) == sum(c.isdigit() for c in text)


def test_gemma_sentencepiece_without_merges(gemma):
    """Whitespace, newlines and byte fallback, the parts of SentencePiece a
    vocab of 262k pieces without merges has to get right."""
    texts = [" ", "  leading", "trailing  ", "a\nb", "\n\n\nx", "tab\there", "\U0001F9EC\u2E80 rare",
             "\x00\x01 bytes", "mixed 日本語 and English", "a" * 500, " " * 40, "\n" * 33]
    for t in texts:
        assert gemma.encode(t) == gemma.llama_ids(t), t
    # Broken UTF-8, also just before a space: llama.cpp cuts the escaped
    # text by lead bytes, so a broken sequence takes bytes of the U+2581.
    for data in [b"\xe7 x", b"a\xe2\x96? \x81 y", b"\xf0 \xf0  z", b"\xff\xfe", b"ok \xe6\x97", b"\x80\x80 a"]:
        assert gemma.harness.encode(data) == gemma.llama.tokenize(data, add_bos=False, special=False), data
    # A character without a piece falls back to its UTF-8 bytes.
    rare = next(c for c in map(chr, range(0x2E80, 0x2FFF)) if c not in gemma.vocab["tokens"])
    pieces = [gemma.vocab["tokens"][i] for i in gemma.encode(rare)]
    assert pieces == [f"<0x{b:02X}>" for b in rare.encode()]
