"""Greedy-generation goldens from llama.cpp (through llama-cpp-python), for
tests/llm/test_goldens.py: the engine's greedy tokens must equal llama.cpp's at
least up to the first step where llama.cpp itself hesitates (its top-two logit
gap falls below 0.5), since tiny numeric differences may flip a near tie there.

llama.cpp runs single-threaded, greedy (argmax of the logits, lowest id on
ties), with its default F16 KV cache. Chat prompts go through the model's own
Jinja chat template (rendered with jinja2, default system prompt included) and
are tokenized with control tokens parsed; raw prompts are plain text. A model
without a template (Gemma 3 270M, a base model) gets raw prompts only.

    .venv/bin/python -m myos.goldens [MODEL ...] [-n N]

writes tests/llm/goldens/MODEL.json for each catalogue model named (all of
GOLDEN_MODELS by default).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from . import ROOT
from .models import model_path

OUT_DIR = ROOT / "tests" / "llm" / "goldens"
# Catalogue model -> tokens generated per prompt (fewer for the larger
# models: the test runs every prompt).
GOLDEN_MODELS = {"smollm2": 48, "qwen2.5-coder-0.5b": 32, "gemma3-270m": 32}

CHAT_PROMPTS = [
    "What is the capital of France?",
    "Tell me a short story about a brave little penguin.",
    "Write a haiku about the ocean.",
    "Explain what a CPU cache is in two sentences.",
    "List three fruits that are red.",
    "How do I reverse a list in Python?",
    "What is 12 times 12?",
    "Translate 'good morning' into Spanish.",
    "Give me a tip for sleeping better.",
    "Who wrote Romeo and Juliet?",
    "hi",
    "Summarize the water cycle for a ten year old.",
]
RAW_PROMPTS = [
    "Once upon a time, there was a little robot who",
    "The three primary colors are",
]
# For base models: raw completions only.
BASE_PROMPTS = RAW_PROMPTS + [
    "The capital of France is",
    "def fibonacci(n):",
    "Water boils at a temperature of",
    "The quick brown fox",
    "In the year 1969, astronauts",
    "My favourite recipe for pancakes:\n1.",
    "The largest planet in our solar system is",
    "Q: What is the opposite of hot?\nA:",
    "Photosynthesis is the process by which",
    "Dear Sir or Madam,\n",
]


def top_two_gap(logits: np.ndarray) -> float:
    top2 = np.partition(logits, -2)[-2:]
    return float(top2[1] - top2[0])


def generate(llm, prompt_ids: list[int], n_predict: int, stop_ids: set[int]):
    """Greedy continuation; returns (generated ids, top-two gap per step)."""
    llm.reset()
    llm.eval(prompt_ids)
    out, gaps = [], []
    for _ in range(n_predict):
        logits = np.asarray(llm.scores[llm.n_tokens - 1], dtype=np.float32)
        tok = int(np.argmax(logits))  # first maximum = lowest id on ties
        out.append(tok)
        gaps.append(top_two_gap(logits))
        if tok in stop_ids:
            break
        llm.eval([tok])
    return out, gaps


def chat_text(template: str, prompt: str) -> str:
    import jinja2

    return jinja2.Environment().from_string(template).render(
        messages=[{"role": "user", "content": prompt}], add_generation_prompt=True)


def build(model: Path, n_predict: int) -> dict:
    import llama_cpp
    from gguf import GGUFReader

    from .llama_ref import open_model

    fields = GGUFReader(model).fields
    template = fields["tokenizer.chat_template"].contents() if "tokenizer.chat_template" in fields else None
    llm = open_model(model, n_ctx=512, n_threads=1, n_threads_batch=1, logits_all=True, verbose=False)
    stop_ids = {llm.token_eos()}
    if template and "<|im_end|>" in template:
        stop_ids.update(llm.tokenize(b"<|im_end|>", add_bos=False, special=True))
    cases = []
    plan = (("chat", CHAT_PROMPTS), ("raw", RAW_PROMPTS)) if template else (("raw", BASE_PROMPTS),)
    for mode, prompts in plan:
        for prompt in prompts:
            text = chat_text(template, prompt) if mode == "chat" else prompt
            ids = llm.tokenize(text.encode(), add_bos=True, special=(mode == "chat"))
            gen, gaps = generate(llm, ids, n_predict, stop_ids)
            cases.append({"mode": mode, "prompt": prompt, "n_predict": n_predict, "prompt_ids": ids,
                          "generated_ids": gen, "top2_gap": [round(g, 4) for g in gaps],
                          "text": llm.detokenize(gen).decode("utf-8", errors="replace")})
    return {"model": model.name, "generator": f"llama-cpp-python {llama_cpp.__version__}",
            "settings": {"n_threads": 1, "temperature": 0, "kv_cache": "f16", "n_ctx": 512},
            "stop_ids": sorted(stop_ids), "cases": cases}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="*", default=list(GOLDEN_MODELS), help="catalogue model names")
    ap.add_argument("-n", "--n-predict", type=int, default=None, help="tokens per prompt")
    args = ap.parse_args(argv)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    for name in args.models:
        goldens = build(model_path(name), args.n_predict or GOLDEN_MODELS.get(name, 32))
        out = OUT_DIR / f"{name}.json"
        out.write_text(json.dumps(goldens, indent=1, ensure_ascii=False) + "\n")
        print(f"{out}: {len(goldens['cases'])} cases")


if __name__ == "__main__":
    main()
