"""llm/sampler.c against myos/reference_samplers.py (same chain, same random
stream, same float operations: results equal bit for bit) on random logits,
and the invariants of each stage, through the host harness
build/tests/sampler_harness."""
import itertools
import subprocess

import numpy as np
import pytest

from myos.reference_samplers import Sampler, SamplerParams, candidates

F32 = np.float32


@pytest.fixture(scope="module")
def harness(built):
    return built("tests/sampler_harness")


def _hex(x) -> str:
    return float(F32(x)).hex()


def _case(mode, logits, p: SamplerParams, recent=(), draws=0) -> str:
    head = [mode, str(len(logits)), _hex(p.temperature), str(p.top_k), _hex(p.top_p), _hex(p.min_p),
            _hex(p.repeat_penalty), str(p.repeat_last_n), str(p.seed), str(len(recent)), str(draws)]
    return " ".join(head + [str(int(r)) for r in recent] + [_hex(x) for x in logits])


def run(harness, cases):
    """Run (mode, logits, params, recent, draws) cases in one process; one
    parsed result per case: a list of ids ('s') or (ids, probs) ('c')."""
    text = "\n".join(_case(*c) for c in cases) + "\n"
    out = subprocess.run([harness], input=text, capture_output=True, text=True, check=True, timeout=120)
    lines = out.stdout.splitlines()
    assert len(lines) == len(cases), out.stderr
    results = []
    for (mode, *_), line in zip(cases, lines):
        fields = line.split()
        if mode == "s":
            results.append([int(f) for f in fields])
        else:
            pairs = [f.split(":") for f in fields[1:]]
            assert int(fields[0]) == len(pairs)
            results.append((np.array([int(i) for i, _ in pairs]),
                            np.array([float.fromhex(p) for _, p in pairs], dtype=np.float32)))
    return results


def random_logits(rng, n, scale, ties=False):
    x = rng.normal(0.0, scale, n).astype(np.float32)
    return np.round(x) if ties else x  # rounding makes many exact ties


def softmax64(x):
    x = np.asarray(x, dtype=np.float64)
    e = np.exp(x - x.max())
    return e / e.sum()


PARAM_GRID = list(itertools.product(
    [0.0, 0.5, 0.8, 1.7],  # temperature
    [0, 1, 40, 300],  # top_k
    [1.0, 0.95, 0.5],  # top_p
    [0.0, 0.05, 0.3],  # min_p
    [1.0, 1.3],  # repeat_penalty
))


def test_matches_reference_on_random_logits(harness):
    """Every parameter set of the grid, several seeds and logit shapes: the same
    draws and the same final distribution as the numpy reference."""
    rng = np.random.default_rng(1234)
    cases, refs = [], []
    for i, (t, k, p, mp, pen) in enumerate(PARAM_GRID):
        n = int(rng.integers(50, 2000))
        logits = random_logits(rng, n, scale=[0.5, 2.0, 6.0][i % 3], ties=(i % 5 == 0))
        recent = rng.integers(-3, n + 3, size=int(rng.integers(0, 100)))  # some out of range
        params = SamplerParams(t, k, p, mp, pen, int(rng.integers(0, 80)), int(rng.integers(0, 2**64, dtype=np.uint64)))
        cases.append(("s", logits, params, recent, 25))
        cases.append(("c", logits, params, recent, 0))
        s = Sampler(params)
        refs.append([s.sample(logits, recent) for _ in range(25)])
        refs.append(candidates(logits, params, recent))
    for got, want, case in zip(run(harness, cases), refs, cases):
        if case[0] == "s":
            assert got == want, case[2]
        else:
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_array_equal(got[1], want[1])  # bit for bit: same operations, same order


def test_matches_reference_full_vocabulary(harness):
    """SmolLM2-sized vocabulary with the chain's expensive paths: top-p without
    top-k (growing sorted prefix) and min-p alone (linear filter)."""
    rng = np.random.default_rng(7)
    param_sets = [SamplerParams(0.8, 40, 0.95, 0.05, 1.1, 64, 42),
                  SamplerParams(1.0, 0, 0.9, 0.0, 1.0, 64, 3),
                  SamplerParams(1.0, 0, 0.999, 0.0, 1.0, 64, 4),
                  SamplerParams(0.7, 0, 1.0, 0.02, 1.0, 64, 5),
                  SamplerParams(1.2, 0, 1.0, 0.0, 1.0, 64, 6)]
    cases, refs = [], []
    for params in param_sets:
        logits = random_logits(rng, 49152, scale=3.0)
        recent = rng.integers(0, 49152, 64)
        cases.append(("s", logits, params, recent, 8))
        s = Sampler(params)
        refs.append([s.sample(logits, recent) for _ in range(8)])
    assert run(harness, cases) == refs


def test_greedy_is_argmax_lowest_id_on_ties(harness):
    logits = np.array([0.5, 3.0, -1.0, 3.0, 2.9], dtype=np.float32)
    for k, p, mp in [(0, 1.0, 0.0), (2, 0.5, 0.3)]:
        params = SamplerParams(0.0, k, p, mp, 1.0, 64, 9)
        draws, (ids, probs) = run(harness, [("s", logits, params, (), 5), ("c", logits, params, (), 0)])
        assert draws == [1] * 5
        assert list(ids) == [1] and list(probs) == [1.0]


def test_greedy_applies_the_penalty_first(harness):
    logits = np.array([0.5, 3.0, -1.0, 2.0], dtype=np.float32)
    params = SamplerParams(0.0, 0, 1.0, 0.0, 2.0, 64, 0)
    assert run(harness, [("s", logits, params, [1], 1)]) == [[3]]  # 3.0 / 2 < 2.0


def test_top_k_keeps_the_k_largest(harness):
    rng = np.random.default_rng(5)
    for k in [1, 7, 40, 499]:
        logits = random_logits(rng, 500, 2.0, ties=(k == 7))
        (ids, probs), = run(harness, [("c", logits, SamplerParams(1.0, k, 1.0, 0.0, 1.0, 64, 0), (), 0)])
        assert len(ids) == k
        order = np.lexsort((np.arange(500), -logits))
        assert list(ids) == list(order[:k])
        np.testing.assert_allclose(probs, softmax64(logits[ids]), rtol=1e-5)


def test_top_p_keeps_the_smallest_set_reaching_p(harness):
    rng = np.random.default_rng(6)
    for p in [0.1, 0.5, 0.9, 0.99]:
        logits = random_logits(rng, 3000, 2.5)
        (ids, _), = run(harness, [("c", logits, SamplerParams(1.0, 0, p, 0.0, 1.0, 64, 0), (), 0)])
        full = softmax64(logits)
        order = np.argsort(-logits, kind="stable")
        assert list(ids) == list(order[: len(ids)])  # a prefix of the ranking
        mass = full[ids].sum()
        assert mass >= p - 1e-5
        assert mass - full[ids[-1]] < p + 1e-5  # one fewer would not reach p


def test_min_p_threshold_is_relative_to_the_top_probability(harness):
    rng = np.random.default_rng(8)
    for mp in [0.01, 0.1, 0.5]:
        logits = random_logits(rng, 2000, 3.0)
        (ids, _), = run(harness, [("c", logits, SamplerParams(1.0, 0, 1.0, mp, 1.0, 64, 0), (), 0)])
        full = softmax64(logits)
        ratio = full / full.max()
        clear = np.abs(ratio - mp) > 1e-5  # leave rounding-close ones out of the check
        assert set(np.nonzero((ratio >= mp) & clear)[0]) <= set(ids)
        assert not set(np.nonzero((ratio < mp) & clear)[0]) & set(ids)


def test_temperature_scales_the_distribution(harness):
    logits = np.array([1.0, 2.0, 0.0, -1.0], dtype=np.float32)
    for t in [0.25, 1.0, 3.0]:
        (ids, probs), = run(harness, [("c", logits, SamplerParams(t, 0, 1.0, 0.0, 1.0, 64, 0), (), 0)])
        np.testing.assert_allclose(probs, softmax64(logits[ids] / t), rtol=1e-5)


def test_penalty_divides_positive_multiplies_negative_once_within_window(harness):
    logits = np.array([2.0, -2.0, 1.0, 0.5, 3.0], dtype=np.float32)
    recent = [4, 0, 1, 0, 0, 1, 7, -1]  # id 4 falls outside the last 7; 7, -1 out of range
    (ids, probs), = run(harness, [("c", logits, SamplerParams(1.0, 0, 1.0, 0.0, 2.0, 7, 0), recent, 0)])
    expect = np.array([1.0, -4.0, 1.0, 0.5, 3.0])
    np.testing.assert_allclose(probs[np.argsort(ids)], softmax64(expect), rtol=1e-5)


def test_draws_follow_the_distribution(harness):
    logits = np.log(np.array([0.5, 0.25, 0.15, 0.1], dtype=np.float32))
    draws, = run(harness, [("s", logits, SamplerParams(1.0, 0, 1.0, 0.0, 1.0, 64, 77), (), 20000)])
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, [0.5, 0.25, 0.15, 0.1], atol=0.015)


def test_same_seed_same_stream_other_seed_other_stream(harness):
    rng = np.random.default_rng(9)
    logits = random_logits(rng, 1000, 1.0)
    p = SamplerParams(1.0, 0, 1.0, 0.0, 1.0, 64, 2024)
    q = SamplerParams(1.0, 0, 1.0, 0.0, 1.0, 64, 2025)
    a, b, c = run(harness, [("s", logits, p, (), 200), ("s", logits, p, (), 200), ("s", logits, q, (), 200)])
    assert a == b
    assert a != c
    assert len(set(a)) > 50  # a flat distribution: the stream really varies


@pytest.mark.parametrize("t,k,p,mp", [(0.0, 0, 1.0, 0.0), (0.8, 40, 0.95, 0.05), (1.0, 0, 0.9, 0.0),
                                      (1.0, 0, 1.0, 0.1), (1e-30, 0, 1.0, 0.0), (1.0, 10**6, 1.0, 5.0)])
def test_hostile_logits_and_parameters_still_give_a_valid_id(harness, t, k, p, mp):
    """NaN and infinite logits, a temperature that overflows the division,
    top-k beyond the vocabulary, min-p above 1: an id in range, never a crash."""
    logits = np.array([np.nan, np.inf, -np.inf, 1.0, np.nan, 2.0, -np.inf, 0.0], dtype=np.float32)
    flat = np.full(8, -np.inf, dtype=np.float32)
    params = SamplerParams(t, k, p, mp, 1.5, 64, 1)
    for draws in run(harness, [("s", logits, params, [0, 1, 2, 99], 20), ("s", flat, params, (), 20)]):
        assert all(0 <= d < 8 for d in draws)


def test_tiny_temperature_is_greedy(harness):
    logits = np.array([0.5, 3.0, 2.9999, -1.0], dtype=np.float32)
    draws, = run(harness, [("s", logits, SamplerParams(1e-30, 0, 1.0, 0.0, 1.0, 64, 5), (), 50)])
    assert draws == [1] * 50


def test_own_exp_is_accurate():
    """The sampler's libm-free exp (reproduced bit for bit by the reference,
    as the probability comparisons above check) is within ~1 ulp of exp."""
    from myos.reference_samplers import exp_neg

    x = np.linspace(-64, 0, 1_000_001, dtype=np.float32)
    want = np.exp(x.astype(np.float64))
    assert np.max(np.abs(exp_neg(x) - want) / want) < 1.5e-7
    assert list(exp_neg([-64.5, -np.inf, np.nan, 0.0])) == [0.0, 0.0, 0.0, 1.0]
