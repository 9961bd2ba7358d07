"""The OpenAI-compatible API's part of `make bench`: in one boot under QEMU
software emulation, the `ai` command's generation speed, then through
`serve` and the network the same prompt streamed by the API (tokens/s
between the first and the last piece, and the time to the first one), and
GET /health requests/s with 8 concurrent keep-alive clients. Writes its
section of docs/benchmarks.md.

    python -m myos bench --api-only
"""
from __future__ import annotations

import http.client
import json
import os
import re
import threading
import time

from .bench_engine import write_doc_section
from .serve import Server

BEGIN, END = "<!-- api-tcg: begin -->", "<!-- api-tcg: end -->"
PROMPT = "Write a short story about a robot who learns to paint."
TOKENS = 48
HEALTH_CLIENTS, HEALTH_SECONDS = 8, 10.0
STATUS = re.compile(r"\[(\d+) tokens \| ([\d.]+) tok/s \| prompt (\d+) tok in ([\d.]+) s\]")


def stream_once(server: Server, model: str) -> dict:
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": PROMPT}], "temperature": 0,
                       "max_tokens": TOKENS, "stream": True, "stream_options": {"include_usage": True}})
    c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    start = time.monotonic()
    c.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    pieces, usage, buf = [], None, b""
    while True:
        data = r.read1(65536)
        if not data:
            break
        buf += data
        while b"\n\n" in buf:
            event, buf = buf.split(b"\n\n", 1)
            payload = event[6:]
            if payload == b"[DONE]":
                continue
            chunk = json.loads(payload)
            if chunk.get("usage"):
                usage = chunk["usage"]
            elif chunk["choices"] and chunk["choices"][0]["delta"].get("content"):
                pieces.append(time.monotonic())
    c.close()
    return {"ttft": pieces[0] - start, "rate": (len(pieces) - 1) / (pieces[-1] - pieces[0]),
            "pieces": len(pieces), "tokens": usage["completion_tokens"], "prompt_tokens": usage["prompt_tokens"]}


def health_rate(server: Server) -> float:
    count = [0] * HEALTH_CLIENTS
    stop = time.monotonic() + HEALTH_SECONDS

    def client(i):
        c = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        while time.monotonic() < stop:
            c.request("GET", "/health")
            r = c.getresponse()
            r.read()
            if r.status == 200:
                count[i] += 1
        c.close()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(HEALTH_CLIENTS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(count) / (time.monotonic() - start)


def run() -> dict:
    ai = f"ai {PROMPT}"
    server = Server(commands=("set temperature 0", f"set max_tokens {TOKENS}", ai)).start()
    try:
        status = STATUS.search(server.outputs[ai])
        assert status, server.outputs[ai]
        result = {"ai_rate": float(status.group(2)), "ai_tokens": int(status.group(1)),
                  "ai_prompt_s": float(status.group(4))}
        result["api"] = stream_once(server, server.served_model)
        result["health"] = health_rate(server)
        result["load"] = os.getloadavg()[0]
    finally:
        server.stop()
    return result


def section(r: dict) -> str:
    api = r["api"]
    return "\n".join([
        BEGIN, "## The OpenAI-compatible API under QEMU software emulation (TCG)", "",
        f"`make bench` (`python -m myos bench`) — {time.strftime('%Y-%m-%d')}, qemu-system-i386 (TCG, "
        f"`-cpu max`, one vCPU), user network with 127.0.0.1 forwarded, one boot: `ai` with the prompt "
        f"\"{PROMPT}\" ({TOKENS} greedy tokens), then `serve` and the same prompt as a streamed chat "
        f"completion; GET /health by {HEALTH_CLIENTS} keep-alive clients for {HEALTH_SECONDS:.0f} s.", "",
        "| measure | value |", "|---|---|",
        f"| `ai` generation | {r['ai_rate']:.2f} tok/s ({r['ai_tokens']} tokens) |",
        f"| API streamed generation (first to last piece) | {api['rate']:.2f} tok/s ({api['pieces']} pieces, "
        f"{api['tokens']} tokens) |",
        f"| API / `ai` | {api['rate'] / r['ai_rate'] * 100:.1f}% |",
        f"| API time to first token ({api['prompt_tokens']}-token prompt) | {api['ttft'] * 1000:.0f} ms |",
        f"| `ai` prompt time, same prompt | {r['ai_prompt_s'] * 1000:.0f} ms |",
        f"| GET /health, {HEALTH_CLIENTS} concurrent clients | {r['health']:.0f} requests/s |",
        "", f"Host load average during the run: {r['load']:.1f} on {os.cpu_count()} CPUs (other jobs share the "
        "host; the two generation figures come from the same boot, one after the other). The `ai` figure "
        "includes showing every piece on VGA and the serial line, which the API does not do.", "", END])


def main() -> int:
    text = section(run())
    write_doc_section(BEGIN, END, text)
    print(text)
    return 0
