"""Fuzzing the model loaders and the tokenizer (libFuzzer + ASan + UBSan
targets built by tests/fuzz/fuzz.mk): every committed regression input under
tests/fuzz/corpus/<target>/ must run clean, then each target fuzzes from seeds
made of real files for FUZZ_SECONDS (15 by default; `make fuzz FUZZ_SECONDS=600`
for a longer run). A crash fails the test and leaves its input in
build/fuzz/crashes/ — fix the bug, then commit that input to the corpus."""
import os
import re
import resource
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from myos import ROOT
from tests.fuzz.seeds import PREPARED_MODEL, write_corpora

TARGETS = sorted(p.stem for p in (ROOT / "tests" / "fuzz").glob("fuzz_*.c"))
REGRESSIONS = ROOT / "tests" / "fuzz" / "corpus"
SECONDS = int(os.environ.get("FUZZ_SECONDS", "15"))


@pytest.fixture(scope="module")
def binaries(build_dir):
    paths = {t: build_dir / "fuzz" / t for t in TARGETS}
    missing = [str(p) for p in paths.values() if not p.exists()]
    assert not missing, f"missing fuzz targets {missing}: run `make test` (built by tests/fuzz/fuzz.mk)"
    return paths


@pytest.fixture(scope="module")
def seeds_root(build_dir):
    return build_dir / "fuzz" / "seeds"


@pytest.fixture(scope="module")
def env(smollm2_path, qwen_path, gemma_path, seeds_root):
    # fuzz_tokenizer takes them all (the first byte of an input picks one);
    # the loading targets ignore the variable. fuzz_prepared loads the model
    # the seeds' prepared weights were made from.
    return dict(os.environ, FUZZ_MODEL=":".join(map(str, (smollm2_path, qwen_path, gemma_path))),
                FUZZ_PREPARED_MODEL=str(seeds_root / PREPARED_MODEL))


@pytest.fixture(scope="module")
def seeds(seeds_root, smollm2_path, stories260k_path):
    shutil.rmtree(seeds_root, ignore_errors=True)
    return write_corpora(seeds_root, smollm2_path, stories260k_path)


def regression_inputs(target):
    d = REGRESSIONS / target
    return sorted(p for p in d.iterdir() if p.is_file()) if d.is_dir() else []


def test_every_target_has_seeds(seeds):
    for t in TARGETS:
        assert t in seeds and any(seeds[t].iterdir()), f"no seed corpus for {t}"


@pytest.mark.parametrize("target", TARGETS)
def test_regression_inputs_run_clean(binaries, env, seeds, target):
    # Files given as arguments are run once each; the seeds too, so a target
    # that breaks on an ordinary input fails here before fuzzing starts.
    inputs = [str(p) for p in regression_inputs(target)] + [str(p) for p in sorted(seeds[target].iterdir())]
    out = subprocess.run([binaries[target], *inputs], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr[-4000:]


def rss_limit_mb():
    """2 GiB above this process's peak resident size: Linux carries a
    process's peak across fork and exec, so a fuzzer started from a pytest
    process that has held models (tests/llm) starts at that peak, and a
    fixed limit would report every target out of memory on its first input."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024 + 2048


def fuzz(binary, target, work, env, crashes):
    crashes.mkdir(parents=True, exist_ok=True)
    cmd = [str(binary), f"-max_total_time={SECONDS}", "-timeout=10", f"-rss_limit_mb={rss_limit_mb()}",
           "-malloc_limit_mb=1024", f"-artifact_prefix={crashes}/{target}-", "-print_final_stats=1", str(work)]
    reg = REGRESSIONS / target
    if reg.is_dir():
        cmd.append(str(reg))
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=SECONDS + 300)


def test_fuzz_targets(binaries, env, seeds, build_dir):
    crashes = build_dir / "fuzz" / "crashes"
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = dict(zip(TARGETS, pool.map(
            lambda t: fuzz(binaries[t], t, seeds[t], env, crashes), TARGETS)))
    failed = {t: r.stderr[-3000:] for t, r in runs.items() if r.returncode != 0}
    assert not failed, "fuzzing found crashes (inputs in build/fuzz/crashes/):\n" + "\n".join(
        f"--- {t}\n{err}" for t, err in failed.items())
    for t, r in runs.items():
        execs = re.search(r"stat::number_of_executed_units:\s*(\d+)", r.stderr)
        print(f"{t}: {execs.group(1) if execs else '?'} executions in {SECONDS} s")
        assert execs and int(execs.group(1)) > 100, f"{t} barely ran:\n{r.stderr[-2000:]}"
