/* sampler.h: choosing the next token from the model's logits.
 *
 * The chain follows llama.cpp's default order, each stage optional:
 *
 *   repetition penalty -> top-k -> top-p -> min-p -> temperature -> draw
 *
 * - repetition penalty: every distinct id among the last `repeat_last_n` tokens
 *   has its logit divided by `repeat_penalty` when positive, multiplied when
 *   negative or zero (1.0 = off).
 * - top-k: keep the k largest logits (0 = off). Ties rank the lower id first.
 * - top-p: softmax over what is left (temperature 1); keep the smallest prefix of
 *   the sorted candidates whose probability mass reaches `top_p` (>= 1 = off).
 * - min-p: keep candidates whose probability is at least `min_p` times the
 *   largest one, i.e. exp(logit - max_logit) >= min_p (0 = off).
 * - temperature: logits divided by `temperature`, then softmax and one draw.
 *   `temperature` <= 0 is greedy: the argmax after the penalty (lowest id on
 *   ties), no random number is consumed.
 *
 * Candidate order: ascending id until a stage sorts (top-k, top-p), then
 * descending logit (lower id first on ties). Softmax sums run sequentially in
 * candidate order in float, and exp is the sampler's own (sampler.c: built
 * from + - * only, 0 below -64), so results are reproducible bit for bit on
 * every build, whatever the platform's expf.
 *
 * The draw uses the sampler's own RNG so that the same seed gives the same
 * tokens on every build: splitmix64 turns the seed into the state of an
 * xorshift64* generator; a draw takes the top 24 bits of its output as
 * u = bits / 2^24 in [0,1) and picks the first candidate (in candidate order)
 * whose running sum of exp(l - max) exceeds u * total (the last one if
 * rounding leaves none). myos/reference_samplers.py reproduces all of this in
 * numpy, draw for draw.
 *
 * Speed: top-k is a heap selection (no sort of the vocabulary); top-p without
 * top-k buckets the logits and sorts only the buckets that hold the top p of
 * the mass; min-p alone is a linear filter.
 */
#ifndef LLM_SAMPLER_H
#define LLM_SAMPLER_H

#include <stdint.h>

typedef struct {
    float temperature;     /* <= 0: greedy */
    int32_t top_k;         /* <= 0: off */
    float top_p;           /* >= 1: off */
    float min_p;           /* <= 0: off */
    float repeat_penalty;  /* 1: off */
    int32_t repeat_last_n; /* how many recent tokens the penalty looks at */
    uint64_t seed;
} sampler_params;

typedef struct sampler sampler;

/* A sampler for a vocabulary of n_vocab ids (its work buffers are allocated
 * once here). NULL when out of memory or n_vocab is not in 1 .. 2^24. */
sampler *sampler_create(const sampler_params *p, int n_vocab);
/* Bytes sampler_create allocates for n_vocab. */
uint64_t sampler_bytes(int n_vocab);

/* The splitmix64 mix of x: the seed's scrambling, also a counter-based
 * generator (a LoRA adapter's random start). */
uint64_t sampler_splitmix64(uint64_t x);

/* Restart the random stream from the seed (same seed -> same draws again). */
void sampler_reset(sampler *s);

void sampler_free(sampler *s);

/* Pick the next token id. `logits` (n_vocab entries, n_vocab <= the size given
 * to sampler_create) are modified in place by the penalty. `recent` holds the
 * ids generated or fed so far, oldest first; only the last repeat_last_n are
 * considered. Returns the id, or -1 if n_vocab is out of range. */
int sampler_sample(sampler *s, float *logits, int n_vocab, const int32_t *recent, int n_recent);

/* The distribution the draw would use, without drawing: runs the chain up to
 * the final softmax and points *ids / *probs at the surviving candidates (in
 * candidate order) inside the sampler, valid until its next call. Greedy gives
 * the argmax with probability 1. Returns the count, or -1 as above. */
int sampler_candidates(sampler *s, float *logits, int n_vocab, const int32_t *recent, int n_recent,
                       const int32_t **ids, const float **probs);

#endif
