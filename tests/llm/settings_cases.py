"""The numeric settings the OS's `set` and build/host/myos-llm accept (the
sampling ones and the training ones; lora_targets, a list, is tested with
the training), with the ranges a llama.cpp user expects, values around
every range, and the host program's verdict on one value. Shared by
tests/llm/test_settings.py (the host program) and tests/ai/test_ai.py (the
OS), so that both are held to the same table."""
import subprocess

from myos import BUILD

MYOS_LLM = BUILD / "host" / "myos-llm"
NO_MODEL = "/nonexistent/model.gguf"  # an accepted command line stops at opening it

U64 = "u64"
# name -> (myos-llm option, kind, lowest, highest)
RANGES = {
    "temperature": ("--temp", float, 0, 100),
    "top_k": ("--top-k", int, 0, 1 << 20),
    "top_p": ("--top-p", float, 0, 1),
    "min_p": ("--min-p", float, 0, 1),
    "repeat_penalty": ("--repeat-penalty", float, 0.01, 100),
    "repeat_last_n": ("--repeat-last-n", int, -1, 1 << 20),
    "seed": ("--seed", U64, 0, 2**64 - 1),
    "max_tokens": ("--n-predict", int, -1, 1 << 20),
    "ctx": ("--ctx-size", int, 1, 1 << 20),
    "lora_rank": ("--lora-rank", int, 1, 256),
    "lora_alpha": ("--lora-alpha", float, 0.001, 100000),
    "train_steps": ("--steps", int, 0, 1000000),
    "train_lr": ("--lr", float, 0, 10),
    "train_ctx": ("--train-ctx", int, 2, 4096),
    "train_seed": ("--train-seed", U64, 0, 2**64 - 1),
}
# llama.cpp's short spellings of the same options.
SHORT = {"max_tokens": "-n", "ctx": "-c", "seed": "-s"}
NOT_NUMBERS = ["x", "1,5", "0x10", "inf", "nan", "1e", ".", "--1", "1 2"]


def range_text(name: str) -> str:
    """The range as every error line ends: "(0 to 1)"."""
    _, kind, lo, hi = RANGES[name]
    fmt = (lambda v: f"{v:g}") if kind is float else str
    return f"({fmt(lo)} to {fmt(hi)})"


def boundary_values(name: str) -> list[tuple[str, bool]]:
    """(value, accepted) at, just past and beside one setting's range."""
    _, kind, lo, hi = RANGES[name]
    if kind is U64:
        return [("0", True), (str(hi), True), ("-1", False), (str(hi + 1), False), ("1.5", False),
                ("1e3", False), ("+7", False)] + [(v, False) for v in NOT_NUMBERS]
    if kind is int:
        return [(str(lo), True), (str(hi), True), (str(lo - 1), False), (str(hi + 1), False),
                (f"{lo}.5", False), (f"{hi / 2:.0f}.0", True), ("1e2", True), ("1e300", False)] + \
            [(v, False) for v in NOT_NUMBERS]
    step = max(abs(hi), 1) * 1e-4
    return [(f"{lo:g}", True), (f"{hi:g}", True), (f"{lo - step:g}", False), (f"{hi + step:g}", False),
            (f"{(lo + hi) / 2:g}", True), ("1e-1", True), ("+0.5", True), ("1e300", False)] + \
        [(v, False) for v in NOT_NUMBERS]


def option_verdict(option: str, value: str) -> tuple[bool, str]:
    """(accepted, stderr) of myos-llm for one option value."""
    r = subprocess.run([str(MYOS_LLM), "-m", NO_MODEL, "-p", "x", option, value], capture_output=True,
                       text=True, timeout=30)
    if r.returncode == 1:
        assert f"cannot open {NO_MODEL}" in r.stderr, r.stderr
        return True, r.stderr
    assert r.returncode == 2, r.stderr
    return False, r.stderr
