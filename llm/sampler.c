/* sampler.c: the sampling chain of sampler.h (penalty, top-k, top-p, min-p,
 * temperature, seeded draw). Every floating-point step is written in a fixed
 * order so myos/reference_samplers.py can reproduce it bit for bit.
 */
#include "sampler.h"
#include "buffers.h"
#include "params.h"

#include "platform.h"

typedef struct {
    float logit;
    int32_t id;
} cand;

struct sampler {
    sampler_params p;
    int cap;          /* vocabulary size the buffers hold */
    uint64_t rng;     /* xorshift64* state, never 0 */
    cand *c;          /* current candidates */
    cand *tmp;        /* selection output */
    int32_t *out_ids; /* sampler_candidates results */
    float *out_p;
    uint32_t *mark;   /* per-id stamp: already penalised in this call */
    uint32_t stamp;
};

/* ---- random numbers ---------------------------------------------------- */

uint64_t sampler_splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

void sampler_reset(sampler *s)
{
    s->rng = sampler_splitmix64(s->p.seed);
    if (s->rng == 0) /* xorshift's one fixed point */
        s->rng = 0x9E3779B97F4A7C15ull;
}

/* xorshift64*; the top 24 bits give a float in [0,1) that is exact. */
static float rng_uniform(sampler *s)
{
    uint64_t x = s->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    s->rng = x;
    uint64_t out = x * 0x2545F4914F6CDD1Dull;
    return (float)(uint32_t)(out >> 40) * (1.0f / 16777216.0f);
}

/* ---- exp for the softmax ------------------------------------------------ */

/* exp(x) for x <= 0 (a logit minus the maximum) from + - * and bit operations
 * only, so that every build computes the same bits: glibc's expf on the host
 * and the kernel's own expf may differ in the last place, and a seed must give
 * the same draws everywhere. x = k ln2 + r with |r| <= ln2/2 (ln2 split in two
 * so k ln2 is exact), e^r by its degree-7 Taylor polynomial (error < 1e-8),
 * times 2^k built from its bits. Below -64 it returns 0: e^-64 ~ 1.6e-28
 * vanishes next to the maximum's weight 1 in any sum, and the cut keeps every
 * weight and probability clear of denormals (which a kernel may flush). */
static float exp_neg(float x)
{
    if (!(x >= -64.0f)) /* NaN too */
        return 0.0f;
    if (x > 0.0f)
        x = 0.0f;
    int k = (int)(x * 0x1.715476p+0f - 0.5f); /* round(x / ln2), x <= 0 */
    float r = (x - (float)k * 0x1.62e4p-1f) - (float)k * 0x1.7f7d1cp-20f;
    float p = 0x1.a01a02p-13f;
    p = p * r + 0x1.6c16c2p-10f;
    p = p * r + 0x1.111112p-7f;
    p = p * r + 0x1.555556p-5f;
    p = p * r + 0x1.555556p-3f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    uint32_t bits = (uint32_t)(k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* ---- lifetime ---------------------------------------------------------- */

/* Far beyond any real vocabulary, and small enough that the buffer sizes
 * below cannot overflow a 32-bit size_t. */

#define SAMPLER_BUFFERS 5
/* The candidates (twice: sorting needs room), the ids and probabilities of
 * what is kept, the repeat-penalty marks. */
static uint32_t sampler_plan(sampler *s, int n_vocab, struct llm_buf *plan)
{
    uint64_t n = (uint64_t)(n_vocab > 0 ? n_vocab : 0);
    const struct llm_buf b[SAMPLER_BUFFERS] = {
        { (void **)&s->c, n * sizeof(cand), 16 },          { (void **)&s->tmp, n * sizeof(cand), 16 },
        { (void **)&s->out_ids, n * sizeof(int32_t), 16 }, { (void **)&s->out_p, n * sizeof(float), 16 },
        { (void **)&s->mark, n * sizeof(uint32_t), 16 },
    };
    memcpy(plan, b, sizeof b);
    return SAMPLER_BUFFERS;
}

uint64_t sampler_bytes(int n_vocab)
{
    sampler s;
    struct llm_buf plan[SAMPLER_BUFFERS];
    return sizeof s + buffers_bytes(plan, sampler_plan(&s, n_vocab, plan));
}

sampler *sampler_create(const sampler_params *p, int n_vocab)
{
    if (n_vocab <= 0 || n_vocab > (int)LLM_MAX_VOCAB)
        return NULL;
    sampler *s = llm_alloc(sizeof *s, 16);
    if (!s)
        return NULL;
    memset(s, 0, sizeof *s);
    s->p = *p;
    /* min-p above 1 would keep nothing; 1 keeps the ties of the maximum. */
    if (s->p.min_p > 1.0f)
        s->p.min_p = 1.0f;
    s->cap = n_vocab;
    size_t n = (size_t)n_vocab;
    struct llm_buf plan[SAMPLER_BUFFERS];
    if (buffers_alloc(plan, sampler_plan(s, n_vocab, plan)) != 0) {
        llm_free(s);
        return NULL;
    }
    memset(s->mark, 0, n * sizeof(uint32_t));
    sampler_reset(s);
    return s;
}

void sampler_free(sampler *s)
{
    if (!s)
        return;
    struct llm_buf plan[SAMPLER_BUFFERS];
    buffers_free(plan, sampler_plan(s, 0, plan));
    llm_free(s);
}

/* ---- stages ------------------------------------------------------------ */

/* The ranking every stage uses: larger logit first, lower id on ties. */
static int better(cand a, cand b)
{
    return a.logit > b.logit || (a.logit == b.logit && a.id < b.id);
}

static void apply_penalty(sampler *s, float *logits, int n, const int32_t *recent, int n_recent)
{
    float pen = s->p.repeat_penalty;
    if (pen == 1.0f || s->p.repeat_last_n <= 0 || !recent || n_recent <= 0)
        return;
    if (++s->stamp == 0) { /* stamp wrapped: forget every old mark */
        memset(s->mark, 0, (size_t)s->cap * sizeof(uint32_t));
        s->stamp = 1;
    }
    int from = n_recent > s->p.repeat_last_n ? n_recent - s->p.repeat_last_n : 0;
    for (int i = from; i < n_recent; i++) {
        int32_t id = recent[i];
        if (id < 0 || id >= n || s->mark[id] == s->stamp)
            continue; /* out of range, or already penalised once */
        s->mark[id] = s->stamp;
        if (logits[id] <= 0.0f)
            logits[id] *= pen;
        else
            logits[id] /= pen;
    }
}

/* Sift the heap element at i down; the heap's root is its worst element. */
static void sift_down(cand *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, worst = i;
        if (l < n && better(h[worst], h[l]))
            worst = l;
        if (l + 1 < n && better(h[worst], h[l + 1]))
            worst = l + 1;
        if (worst == i)
            return;
        cand t = h[i];
        h[i] = h[worst];
        h[worst] = t;
        i = worst;
    }
}

/* Turn h[0..m) into a heap whose root is its worst element. */
static void heap_build(cand *h, int m)
{
    for (int i = m / 2 - 1; i >= 0; i--)
        sift_down(h, m, i);
}

/* Sort a heap from heap_build best first: the worst goes last, repeatedly. */
static void heap_sort(cand *h, int m)
{
    for (int end = m - 1; end > 0; end--) {
        cand t = h[0];
        h[0] = h[end];
        h[end] = t;
        sift_down(h, end, 0);
    }
}

/* The m best of c[0..n) into out[0..m), best first: a bounded heap, so
 * O(n log m) instead of sorting the whole vocabulary. */
static void select_top(const cand *c, int n, int m, cand *out)
{
    memcpy(out, c, (size_t)m * sizeof(cand));
    heap_build(out, m);
    for (int i = m; i < n; i++) {
        if (better(c[i], out[0])) {
            out[0] = c[i];
            sift_down(out, m, 0);
        }
    }
    heap_sort(out, m);
}

static float max_logit(const cand *c, int n)
{
    float m = c[0].logit;
    for (int i = 1; i < n; i++)
        if (c[i].logit > m)
            m = c[i].logit;
    return m;
}

/* Length of the shortest prefix of the sorted c[] whose mass reaches p, or -1
 * if the whole of c[0..m) does not reach it. Probabilities are exp(l - max)/z. */
static int mass_prefix(const cand *c, int m, float max, float z, float p)
{
    float cum = 0.0f;
    for (int i = 0; i < m; i++) {
        cum += exp_neg(c[i].logit - max) / z;
        if (cum >= p)
            return i + 1;
    }
    return -1;
}

/* Top-p without a prior sort buckets the candidates by logit: bucket 0 holds
 * the largest, each spans TOP_P_RANGE / TOP_P_BUCKETS logits, the last holds
 * everything further down. Only the buckets up to the one where the mass
 * reaches p are sorted: they are exactly the top of the full order. */
#define TOP_P_BUCKETS 128
#define TOP_P_RANGE 24.0f

static int bucket_of(float logit, float max)
{
    float d = (max - logit) * (TOP_P_BUCKETS / TOP_P_RANGE);
    return d < (float)(TOP_P_BUCKETS - 1) ? (int)d : TOP_P_BUCKETS - 1; /* NaN: last */
}

static int apply_top_p(sampler *s, int n, int *sorted)
{
    cand *c = s->c;
    float *e = s->out_p; /* scratch until the final softmax */
    float max = *sorted ? c[0].logit : max_logit(c, n);
    float z = 0.0f;
    for (int i = 0; i < n; i++) {
        e[i] = exp_neg(c[i].logit - max);
        z += e[i];
    }
    if (*sorted) {
        int k = mass_prefix(c, n, max, z, s->p.top_p);
        return k > 0 ? k : n;
    }
    float mass[TOP_P_BUCKETS] = {0};
    for (int i = 0; i < n; i++)
        mass[bucket_of(c[i].logit, max)] += e[i];
    int last = 0;
    for (float cum = mass[0] / z; cum < s->p.top_p && last < TOP_P_BUCKETS - 1;)
        cum += mass[++last] / z;
    for (;; last++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (bucket_of(c[i].logit, max) <= last)
                s->tmp[m++] = c[i];
        heap_build(s->tmp, m);
        heap_sort(s->tmp, m);
        int k = mass_prefix(s->tmp, m, max, z, s->p.top_p);
        if (k > 0 || last == TOP_P_BUCKETS - 1) {
            if (k < 0)
                k = m; /* rounding kept the total just under p: keep all */
            memcpy(c, s->tmp, (size_t)k * sizeof(cand));
            *sorted = 1;
            return k;
        }
        /* The bucket sums rounded differently from the exact walk: widen. */
    }
}

static int apply_min_p(sampler *s, int n, int sorted)
{
    cand *c = s->c;
    float max = sorted ? c[0].logit : max_logit(c, n);
    int k = 0;
    for (int i = 0; i < n; i++) {
        if (exp_neg(c[i].logit - max) >= s->p.min_p)
            c[k++] = c[i];
        else if (sorted)
            break;
    }
    return k > 0 ? k : 1; /* only NaN logits can fail every test: keep one */
}

/* Penalty, greedy or top-k/top-p/min-p; leaves the survivors in s->c and
 * returns how many there are (0 for greedy, whose pick is in s->c[0]). */
static int filter(sampler *s, float *logits, int n, const int32_t *recent, int n_recent)
{
    apply_penalty(s, logits, n, recent, n_recent);
    cand *c = s->c;
    if (s->p.temperature <= 0.0f) {
        int best = 0;
        for (int i = 1; i < n; i++)
            if (logits[i] > logits[best])
                best = i;
        c[0].logit = logits[best];
        c[0].id = best;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        c[i].logit = logits[i];
        c[i].id = i;
    }
    int sorted = 0;
    if (s->p.top_k > 0 && s->p.top_k < n) {
        select_top(c, n, s->p.top_k, s->tmp);
        n = s->p.top_k;
        memcpy(c, s->tmp, (size_t)n * sizeof(cand));
        sorted = 1;
    }
    if (s->p.top_p < 1.0f)
        n = apply_top_p(s, n, &sorted);
    if (s->p.min_p > 0.0f)
        n = apply_min_p(s, n, sorted);
    return n;
}

/* exp((l - max) / T) of each survivor into s->out_p; returns their sum.
 * Subtracting before dividing keeps a tiny T from overflowing to inf - inf. */
static float weights(sampler *s, int n)
{
    float max = max_logit(s->c, n), z = 0.0f;
    for (int i = 0; i < n; i++) {
        s->out_p[i] = exp_neg((s->c[i].logit - max) / s->p.temperature);
        z += s->out_p[i];
    }
    return z;
}

int sampler_sample(sampler *s, float *logits, int n_vocab, const int32_t *recent, int n_recent)
{
    if (!s || n_vocab <= 0 || n_vocab > s->cap)
        return -1;
    int n = filter(s, logits, n_vocab, recent, n_recent);
    if (n == 0)
        return s->c[0].id;
    float z = weights(s, n);
    float target = rng_uniform(s) * z, cum = 0.0f;
    for (int i = 0; i < n; i++) {
        cum += s->out_p[i];
        if (cum > target)
            return s->c[i].id;
    }
    return s->c[n - 1].id;
}

int sampler_candidates(sampler *s, float *logits, int n_vocab, const int32_t *recent, int n_recent,
                       const int32_t **ids, const float **probs)
{
    if (!s || n_vocab <= 0 || n_vocab > s->cap)
        return -1;
    int n = filter(s, logits, n_vocab, recent, n_recent);
    if (n == 0) {
        s->out_ids[0] = s->c[0].id;
        s->out_p[0] = 1.0f;
        n = 1;
    } else {
        float z = weights(s, n);
        for (int i = 0; i < n; i++) {
            s->out_ids[i] = s->c[i].id;
            s->out_p[i] /= z;
        }
    }
    *ids = s->out_ids;
    *probs = s->out_p;
    return n;
}
