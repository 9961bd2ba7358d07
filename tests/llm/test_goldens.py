"""Greedy generation of build/host/myos-llm against llama.cpp's goldens
(tests/llm/goldens/MODEL.json for SmolLM2, Qwen2.5-Coder and Gemma 3, made by
myos/goldens.py): the same prompt ids, and the same generated ids step by step
until the first divergence, which is only allowed at a step where llama.cpp's
own top-two logit gap is below 0.5."""
import json
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from myos.models import model_path

GOLDENS = Path(__file__).parent / "goldens"
MIN_GAP = 0.5


@pytest.fixture(scope="module")
def myos_llm(built):
    return built("host/myos-llm")


@pytest.fixture(scope="module", params=["smollm2", "qwen2.5-coder-0.5b", "gemma3-270m"])
def model(request):
    """(catalogue name, model file, its goldens)."""
    name = request.param
    return name, model_path(name), json.loads((GOLDENS / f"{name}.json").read_text())


def parse_ids(stdout: str, label: str) -> list[int]:
    lines = [ln for ln in stdout.splitlines() if ln.startswith(label + ":")]
    assert len(lines) == 1, f"expected one '{label}:' line in:\n{stdout}"
    return [int(x) for x in lines[0][len(label) + 1:].split()]


def run_case(myos_llm, model, case):
    cmd = [str(myos_llm), "-m", str(model), "-p", case["prompt"], "--temp", "0", "-n", str(case["n_predict"]),
           "--print-ids"] + (["--chat"] if case["mode"] == "chat" else [])
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return parse_ids(out.stdout, "prompt_ids"), parse_ids(out.stdout, "generated_ids")


def agreement(golden: list[int], gaps: list[float], ours: list[int]):
    """Steps compared and the first step where ours diverged without llama.cpp
    having hesitated there (None when all is well)."""
    for i, want in enumerate(golden):
        if i >= len(ours) or ours[i] != want:
            return i, (None if gaps[i] < MIN_GAP else i)
    assert len(ours) == len(golden), "generated past llama.cpp's end of turn"
    return len(golden), None


def test_goldens_file_is_substantial(model):
    name, _, goldens = model
    modes = [c["mode"] for c in goldens["cases"]]
    if name == "gemma3-270m":  # a base model: raw completion
        assert modes.count("raw") >= 10
    else:
        assert modes.count("chat") >= 10 and modes.count("raw") >= 2


def test_greedy_tokens_match_llama_cpp(myos_llm, model):
    name, path, goldens = model
    cases = goldens["cases"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda c: run_case(myos_llm, path, c), cases))
    compared = 0
    for case, (prompt_ids, gen_ids) in zip(cases, results):
        assert prompt_ids == case["prompt_ids"], case["prompt"]
        steps, bad = agreement(case["generated_ids"], case["top2_gap"], gen_ids)
        assert bad is None, (f"{case['prompt']!r}: step {bad} differs (llama.cpp gap {case['top2_gap'][bad]}):"
                             f" ours {gen_ids[:bad + 1]} vs {case['generated_ids'][:bad + 1]}")
        compared += steps
    print(f"{name}: {compared} greedy tokens equal to llama.cpp's over {len(cases)} prompts")
