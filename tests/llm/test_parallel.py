"""llm_parallel_for on the host's threads (llm/host/platform_host.c): the
stress of llm/parallel_check.c (jobs empty, tiny and large, uneven cost per
index, each result checked against a serial computation) with 1, 2, 4 and 7
threads, and SIGINT (the host's Ctrl+C) arriving while jobs run; and
myos-llm --threads 1, 2, 4 printing the same tokens, greedy and seeded."""
import signal
import subprocess
import time

import pytest

from myos import BUILD
from myos.models import default_model

HARNESS = BUILD / "tests" / "parallel_harness"
MYOS_LLM = BUILD / "host" / "myos-llm"


def parse(line: str) -> dict:
    words = line.split()
    i = words.index("by_worker")
    fields = dict(zip(words[:i:2], (int(x) for x in words[1:i:2])))
    fields["by_worker"] = [int(x) for x in words[i + 1:]]
    return fields


@pytest.fixture(scope="module")
def harness():
    if not HARNESS.exists():
        pytest.fail(f"{HARNESS} is missing: run `make {HARNESS}`")
    return HARNESS


@pytest.mark.parametrize("threads", [1, 2, 4, 7])
def test_every_index_once_and_right(harness, threads):
    r = subprocess.run([harness, str(threads), "1000", "12345"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    res = parse(r.stdout.splitlines()[-1])
    assert res["jobs"] == 1000 and res["errors"] == 0 and res["stopped"] == 0
    assert res["workers"] == threads and len(res["by_worker"]) == threads
    assert sum(res["by_worker"]) == res["indices"] > 0


def test_sigint_stops_between_jobs(harness):
    p = subprocess.Popen([harness, "3", "100000000", "7"], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    time.sleep(0.5)
    p.send_signal(signal.SIGINT)
    out, _ = p.communicate(timeout=30)
    res = parse(out.splitlines()[-1])
    assert p.returncode == 0
    assert res["stopped"] == 1 and res["errors"] == 0 and 0 < res["jobs"] < 100000000


def test_bad_thread_count_is_refused(harness):
    r = subprocess.run([harness, "0", "10", "1"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "cannot start 0 threads" in r.stderr


@pytest.mark.parametrize("sampling", [["--temp", "0"], ["--temp", "0.8", "--seed", "42"]],
                         ids=["greedy", "seeded"])
def test_myos_llm_threads_print_the_same_tokens(sampling):
    outputs = []
    for threads in (1, 2, 4):
        r = subprocess.run([MYOS_LLM, "-m", default_model(), "-p", "Tell me a story about a fox.",
                            "-n", "24", "--threads", str(threads), "--print-ids"] + sampling,
                           capture_output=True, timeout=300)
        assert r.returncode == 0, r.stderr
        outputs.append(r.stdout)
    assert outputs[0] == outputs[1] == outputs[2]
    assert b"generated_ids:" in outputs[0]
