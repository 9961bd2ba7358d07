/* select.c: CPU feature detection, measuring the kernel variants and
 * choosing the fastest per weight format (see select.h). Runs them through
 * matmul.c, on its own test matrix and activations.
 *
 * The choice is made once for the machine, so it lives in this file's state.
 */
#include "matmul/select.h"

#include "matmul/matmul.h"
#include "params.h"
#include "platform.h"

/* The test matrix ranks the variants; the model's own matrices, whose
 * weights stream from memory (kernels rank differently on cached data),
 * then decide among the near-best (select_tune). Every measured call is a
 * whole product: under emulation a product of 8192 rows took tens of
 * milliseconds per variant and round, a second at every boot in all;
 * 2048 rows (Q4 0.6 MB, Q8 1.2 MB) still exceed most L1 and L2 caches. */
#define TEST_ROWS 2048
/* Rows of random blocks repacked for the test matrix; the rest repeat them
 * (the kernels' time does not depend on the values, and repacking all of
 * them cost more than a second under emulation, at every boot). */
#define TILE_ROWS 64
#define TEST_COLS 576 /* SmolLM2's width */
#define ROUNDS 3
/* Only the variants within this factor of the best one on the test matrix
 * are timed in its later rounds and then on the model (select_tune). On a
 * real CPU the test matrix sits in the cache and the model's weights
 * stream, which ranks the variants differently: on an EPYC host avx2 took
 * 0.030 ns/MAC on the test matrix and avx2-madd 0.036-0.041, but on
 * SmolLM2's matrices 0.084 against 0.045; with a factor of 1.5 avx2-madd
 * was sometimes left out and generation ran at 0.6x. Under emulation the
 * nearest other variant is 2.4x slower than avx2 (Q6_K scalar), so only
 * avx2 is timed again there. */
#define TUNE_SPREAD 2.0f

static const struct rq_variant *const variants[] = {
    &rq_variant_scalar,
    &rq_variant_avx2,
    &rq_variant_avx2_madd,
    &rq_variant_sse2,
};
#define N_VARIANTS (sizeof variants / sizeof variants[0])

static struct {
    int ready;
    struct select_report report;
    const struct rq_variant *measured[RQ_FORMATS];
    struct rq_act act; /* the timed activation, kept (it is rarely resized) */
} st;

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

/* XCR0: which register states the OS saves (bits 1, 2: SSE and AVX). Only
 * valid when CPUID reports OSXSAVE. */
static uint32_t xcr0_low(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    (void)hi;
    return lo;
}

static uint32_t detect(char vendor[13])
{
    uint32_t r[4], max, f = 0;
    cpuid(0, 0, r);
    max = r[0];
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    vendor[12] = 0;
    if (max < 1)
        return 0;
    cpuid(1, 0, r);
    if (r[3] & (1u << 26))
        f |= CPU_SSE2;
    if (r[2] & (1u << 9))
        f |= CPU_SSSE3;
    if (r[2] & (1u << 19))
        f |= CPU_SSE41;
    /* AVX needs the CPU bit and the OS having enabled the YMM state. */
    int avx = (r[2] & (1u << 28)) && (r[2] & (1u << 27)) && (xcr0_low() & 6u) == 6u;
    if (avx) {
        f |= CPU_AVX;
        if (r[2] & (1u << 12))
            f |= CPU_FMA;
        if (max >= 7) {
            cpuid(7, 0, r);
            if (r[1] & (1u << 5))
                f |= CPU_AVX2;
        }
    }
    return f;
}

const struct rq_variant *select_variant(uint32_t i)
{
    return i < N_VARIANTS ? variants[i] : NULL;
}

uint32_t select_cpu_features(void)
{
    char vendor[13];
    return detect(vendor);
}

/* Deterministic pseudo-random bytes for the test matrix (no libc rand). */
static uint32_t next(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

/* A rows x cols matrix of `type` (cols whole blocks) with plausible scales:
 * d around 0.01, the minimum around -0.08 (Q4_1, Q5_1) or dmin around 0.01
 * (Q4_K, Q5_K); BF16 values of about +-0.01. */
static void fill_test_matrix(struct qtensor *t, uint32_t type, uint32_t rows, uint32_t cols, uint8_t *data)
{
    int k_quant = type == QT_Q4_K || type == QT_Q5_K || type == QT_Q6_K;
    uint32_t s = 12345, elems = k_quant ? QK_K : QK, block = (uint32_t)quant_row_bytes(type, elems);
    uint32_t nb = cols / elems;
    t->type = type;
    t->rows = rows;
    t->cols = cols;
    t->row_bytes = nb * block;
    t->data = data;
    t->packed = NULL;
    for (uint32_t i = 0; i < rows * nb; i++) {
        uint8_t *p = data + (size_t)i * block;
        for (uint32_t j = 0; j < block; j++)
            p[j] = (uint8_t)next(&s);
        if (type == QT_BF16) {
            for (uint32_t j = 1; j < block; j += 2)
                p[j] = (uint8_t)((p[j] & 0x80) | 0x3c); /* sign, exponent 2^-7 or 2^-6 */
            continue;
        }
        put16(p + (type == QT_Q6_K ? 208 : 0), quant_f32_to_f16(0.005f + (float)(next(&s) % 1000) * 1e-5f));
        if (type == QT_Q4_1 || type == QT_Q5_1)
            put16(p + 2, quant_f32_to_f16(-0.04f - (float)(next(&s) % 1000) * 8e-5f));
        else if (type == QT_Q4_K || type == QT_Q5_K)
            put16(p + 2, quant_f32_to_f16(0.005f + (float)(next(&s) % 1000) * 1e-5f));
    }
}

/* Runs v repeatedly for about budget_ns (at least once); ns per
 * multiply-accumulate. v has run on m before (evaluate's check), so caches
 * and the emulator's translated code are warm. */
static float measure(const struct rq_variant *v, const struct rq_matrix *m, const struct rq_act *a, float *y,
                     uint64_t budget_ns)
{
    uint64_t t0 = llm_time_ns(), t;
    uint32_t calls = 0;
    do {
        rq_variant_matmul(v, m, a, 1, y, 0);
        calls++;
        t = llm_time_ns() - t0;
    } while (t < budget_ns);
    return (float)(int64_t)t / ((float)calls * (float)(m->rows * m->cols));
}

/* The lowest ns/MAC of format f's exact variants in the report (0: none). */
static float best_ns(uint32_t f)
{
    float best = 0.0f;
    for (uint32_t i = 0; i < N_VARIANTS; i++) {
        float ns = st.report.v[i].ns_per_mac[f];
        if (st.report.v[i].exact && ns > 0.0f && (best == 0.0f || ns < best))
            best = ns;
    }
    return best;
}

/* The variant with the lowest ns/MAC in the report becomes the measured
 * choice for format f. */
static void choose(uint32_t f)
{
    float best = 0.0f;
    st.measured[f] = NULL;
    for (uint32_t i = 0; i < N_VARIANTS; i++) {
        float ns = st.report.v[i].ns_per_mac[f];
        if (ns > 0.0f && (!st.measured[f] || ns < best)) {
            best = ns;
            st.measured[f] = variants[i];
        }
    }
}

/* Hands the measured choice to matmul.c (unless a variant is forced). */
static void activate_measured(void)
{
    for (uint32_t f = 0; f < RQ_FORMATS; f++) {
        if (st.report.forced || !st.measured[f])
            continue;
        matmul_use(f, st.measured[f]);
        st.report.chosen[f] = st.measured[f]->name;
    }
}

/* A value like the model's activations, from seed. */
static float test_value(uint32_t *seed)
{
    return (float)((int32_t)(next(seed) % 2001) - 1000) * 1e-3f;
}

/* st.act for timing on `cols` columns: any valid vector times the same;
 * pairs for every variant. NULL when out of memory. */
static const struct rq_act *test_activation(uint32_t cols, uint32_t seed)
{
    if (cols > st.act.cap) {
        rq_act_free(&st.act);
        if (rq_act_init(&st.act, cols) != 0)
            return NULL;
    }
    float *x = llm_alloc(cols * sizeof(float), 64);
    if (!x)
        return NULL;
    for (uint32_t i = 0; i < cols; i++)
        x[i] = test_value(&seed);
    rq_act_quantize(&st.act, x, cols, 1);
    llm_free(x);
    return &st.act;
}

/* Values of one kind per block for checking the activation steps:
 * ordinary, wide-ranging, tiny (denormal), exact halves (the rounding's
 * ties), zero; then huge, infinite and NaN ones. */
#define ACT_CHECK_BLOCKS 8
#define ACT_CHECK_FINITE 5 /* blocks */
#define ACT_CHECK_COLS (ACT_CHECK_BLOCKS * 32)

static float act_check_value(uint32_t i, uint32_t *seed)
{
    float r = (float)((int32_t)(next(seed) % 2001) - 1000); /* exact integers: r * 0.5 has ties */
    switch (i / 32) {
    case 0: return r * 1e-3f;
    case 1: return r * r * r * 1e-5f;
    case 2: return r * 1e-42f;
    case 3: return r * 0.5f;
    case 4: return 0.0f;
    case 5: return r * 1e34f; /* beyond what the recipe takes as finite */
    case 6: return i % 32 == 7 ? __builtin_inff() : r;
    default: return i % 32 == 3 ? __builtin_nanf("") : r;
    }
}

/* The ns ACT_TIMING_CALLS calls of each step take on x[0 .. TEST_COLS),
 * the least of the rounds so far: [0] blocks, [1] transform. */
#define ACT_TIMING_CALLS 16
#define ACT_MARGIN 1.1f

static void time_act_steps(const struct rq_act_impl *impl, struct rq_act *a, const float *x, float best[2])
{
    for (int step = 0; step < 2; step++) {
        uint64_t t0 = llm_time_ns();
        for (uint32_t k = 0; k < ACT_TIMING_CALLS; k++) {
            if (step == 0)
                impl->blocks(a, x, TEST_COLS / 32);
            else
                impl->transform(a, TEST_COLS);
        }
        float ns = (float)(int64_t)(llm_time_ns() - t0);
        if (best[step] == 0.0f || ns < best[step])
            best[step] = ns;
    }
}

/* The activation steps: AVX2's where the CPU has it, they give the
 * portable results on the check values (rq_act_equal) and they are faster,
 * each step on its own (under emulation AVX2's rounding, with per-lane
 * variable shifts, is no faster; on a real CPU both steps win). 0, or -1 when
 * out of memory. */
static int choose_act_steps(uint32_t cpu)
{
    static struct rq_act_impl chosen;
    rq_act_use(&rq_act_portable);
    if ((rq_variant_avx2.needs & ~cpu) != 0)
        return 0;
    struct rq_act mine, ref;
    /* The check values, then activations like the model's for the timing. */
    float *x = llm_alloc((ACT_CHECK_COLS + TEST_COLS) * sizeof(float), 64), *timed = x + ACT_CHECK_COLS;
    int rc = -1;
    if (!x || rq_act_init(&mine, TEST_COLS) != 0)
        goto out_x;
    if (rq_act_init(&ref, TEST_COLS) != 0)
        goto out_mine;
    rc = 0;
    uint32_t seed = 99;
    for (uint32_t i = 0; i < ACT_CHECK_COLS; i++)
        x[i] = act_check_value(i, &seed);
    for (uint32_t i = 0; i < TEST_COLS; i++)
        timed[i] = test_value(&seed);
    /* Whole vectors, then the finite blocks alone (a non-finite block makes
     * p2 NaN, which would hide differences in the scale). */
    int same = 1;
    for (uint32_t pass = 0; pass < 2 && same; pass++) {
        uint32_t n = pass ? ACT_CHECK_FINITE * 32 : ACT_CHECK_COLS;
        rq_act_use(&rq_act_portable);
        rq_act_quantize(&ref, x, n, 1);
        rq_act_use(&rq_act_avx2);
        rq_act_quantize(&mine, x, n, 1);
        same = rq_act_equal(&mine, &ref);
    }
    rq_act_use(&rq_act_portable);
    if (!same) {
        llm_log("AVX2 activation quantization differs from the portable one: not used");
        goto out;
    }
    float portable[2] = { 0 }, avx2[2] = { 0 };
    for (uint32_t round = 0; round < ROUNDS; round++) {
        time_act_steps(&rq_act_portable, &ref, timed, portable);
        time_act_steps(&rq_act_avx2, &mine, timed, avx2);
    }
    /* A step nearly as fast either way stays portable: the timing cannot
     * tell them apart reliably. */
    chosen.blocks = avx2[0] * ACT_MARGIN < portable[0] ? rq_act_avx2.blocks : rq_act_portable.blocks;
    chosen.transform = avx2[1] * ACT_MARGIN < portable[1] ? rq_act_avx2.transform : rq_act_portable.transform;
    rq_act_use(&chosen);
out:
    rq_act_free(&ref);
out_mine:
    rq_act_free(&mine);
out_x:
    llm_free(x);
    return rc;
}

/* The file type of each format's test matrix. */
static const uint32_t test_types[RQ_FORMATS] = {
    [RQ_Q4] = QT_Q4_1, [RQ_Q8] = QT_Q8_0, [RQ_Q6] = QT_Q6_K, [RQ_Q5] = QT_Q5_1,
};

/* Its columns: SmolLM2's width, or whole super-blocks for Q6_K. */
static uint32_t test_cols(uint32_t f)
{
    return f == RQ_Q6 ? 512 : TEST_COLS;
}

const char *select_format_name(uint32_t format)
{
    return quant_type_name(test_types[format]);
}

uint64_t select_measure_bytes(void)
{
    if (st.ready)
        return 0;
    /* evaluate's: the test matrix's random rows, as blocks and repacked, and
     * the whole repacked matrix (the largest format), the reference and
     * each variant's results, the activation */
    uint64_t most = 0;
    for (uint32_t f = 0; f < RQ_FORMATS; f++) {
        uint64_t b = (uint64_t)TILE_ROWS * quant_row_bytes(test_types[f], test_cols(f)) +
                     rq_repacked_bytes(test_types[f], TILE_ROWS, test_cols(f)) +
                     rq_repacked_bytes(test_types[f], TEST_ROWS, test_cols(f));
        most = b > most ? b : most;
    }
    return most + 2 * TEST_ROWS * sizeof(float) + select_tune_bytes(TEST_COLS, 0);
}

uint64_t select_tune_bytes(uint32_t cols, uint32_t rows)
{
    /* test_activation only grows it; select_init's leaves TEST_COLS */
    uint32_t have = st.ready ? st.act.cap : TEST_COLS, act = cols > have ? cols : have;
    return rq_act_bytes(act) + (uint64_t)cols * sizeof(float) + (uint64_t)rows * sizeof(float);
}

/* Format f's test matrix: TILE_ROWS rows of random blocks repacked, then
 * repeated to TEST_ROWS (every array of the layout is group after group).
 * NULL with err set. */
static struct rq_matrix *test_matrix(uint32_t f, char *err, size_t errlen)
{
    uint32_t type = test_types[f], cols = test_cols(f);
    uint8_t *data = llm_alloc((size_t)TILE_ROWS * quant_row_bytes(type, cols), 64);
    struct rq_matrix *tile = NULL, *m = NULL;
    struct qtensor t;
    if (!data) {
        snprintf(err, errlen, "out of memory measuring the kernels");
        return NULL;
    }
    fill_test_matrix(&t, type, TILE_ROWS, cols, data);
    tile = rq_repack(&t, "the test matrix", NULL, err, errlen);
    llm_free(data);
    if (tile && (m = rq_alloc(type, TEST_ROWS, cols, 0, "the test matrix", err, errlen)) != NULL) {
        struct rq_array from[RQ_ARRAYS], to[RQ_ARRAYS];
        rq_arrays(tile, from);
        rq_arrays(m, to);
        for (uint32_t i = 0; i < RQ_ARRAYS; i++)
            for (uint64_t at = 0; at < to[i].bytes; at += from[i].bytes)
                memcpy((uint8_t *)to[i].ptr + at, from[i].ptr, (size_t)from[i].bytes);
    }
    rq_free(tile);
    return m;
}

/* Checks each variant against the scalar results and times it on format f. */
static int evaluate(uint32_t f, uint64_t budget_ns, char *err, size_t errlen)
{
    float *ref = llm_alloc(2 * TEST_ROWS * sizeof(float), 64);
    struct rq_matrix *m = NULL;
    const struct rq_act *a = test_activation(TEST_COLS, 777);
    int rc = -1;
    if (!ref || !a) {
        snprintf(err, errlen, "out of memory measuring the kernels");
        goto out;
    }
    m = test_matrix(f, err, errlen);
    if (!m)
        goto out;
    float *y = ref + TEST_ROWS;
    rq_variant_matmul(&rq_variant_scalar, m, a, 1, ref, 0);
    for (uint32_t i = 0; i < N_VARIANTS; i++) {
        if (!st.report.v[i].allowed || !variants[i]->fmt[f].group)
            continue;
        rq_variant_matmul(variants[i], m, a, 1, y, 0);
        if (memcmp(y, ref, TEST_ROWS * sizeof(float)) != 0) {
            llm_log("kernel %s differs from the scalar results on %s: not used", variants[i]->name,
                    quant_type_name(test_types[f]));
            st.report.v[i].exact = 0;
        }
    }
    /* Rounds of interleaved runs, each variant's best: a busy machine (other
     * processes, a host under the emulator) then disturbs every candidate
     * alike instead of deciding the ranking. After the first round only the
     * variants within TUNE_SPREAD of the best are timed again: under
     * emulation one product of the slow ones outlasts the budget, and the
     * rounds of all of them cost a quarter of a second at every boot. */
    for (uint32_t round = 0; round < ROUNDS; round++) {
        float best = round ? best_ns(f) : 0.0f;
        for (uint32_t i = 0; i < N_VARIANTS; i++) {
            float *kept = &st.report.v[i].ns_per_mac[f];
            if (!st.report.v[i].exact || !variants[i]->fmt[f].group || (round && *kept > TUNE_SPREAD * best))
                continue;
            float ns = measure(variants[i], m, a, y, budget_ns / ROUNDS);
            if (*kept == 0.0f || ns < *kept)
                *kept = ns;
        }
    }
    choose(f);
    rc = 0;
out:
    rq_free(m);
    llm_free(ref);
    return rc;
}

int select_measure(uint32_t budget_ms, char *err, size_t errlen)
{
    struct select_report *r = &st.report;
    const char *forced = r->forced;
    memset(r, 0, sizeof *r);
    r->cpu = detect(r->vendor);
    r->n = N_VARIANTS;
    for (uint32_t i = 0; i < N_VARIANTS; i++) {
        r->v[i].name = variants[i]->name;
        r->v[i].allowed = (variants[i]->needs & ~r->cpu) == 0;
        r->v[i].exact = r->v[i].allowed;
    }
    if (choose_act_steps(r->cpu) != 0) {
        snprintf(err, errlen, "out of memory measuring the kernels");
        return -1;
    }
    for (uint32_t f = 0; f < RQ_FORMATS; f++)
        if (evaluate(f, (uint64_t)budget_ms * 1000000u, err, errlen) != 0)
            return -1;
    st.ready = 1;
    activate_measured();
    /* A forced variant stays forced. */
    return forced ? select_force(forced, err, errlen) : 0;
}

/* The most multiply-accumulates a candidate is timed on per format: the
 * model's first matrices of that format up to this many. The layers repeat
 * themselves, and tens of megabytes of weights still stream from memory;
 * under emulation a pass of the scalar kernel over all of Qwen2.5's Q8
 * matrices took half a second, and a noisy boot can leave it within
 * TUNE_SPREAD of AVX2. */
#define TUNE_MACS (32u << 20)

/* Times format f's candidates on mats[0 .. n) (those of format f: macs
 * multiply-accumulates in all) and chooses among them: 0, or 1 when cancel
 * asked to stop (polled between matrices; the figures are then partial). */
static int tune_format(uint32_t f, struct rq_matrix *const *mats, uint32_t n, uint64_t macs,
                       const struct rq_act *a, float *y, const struct llm_cancel *cancel)
{
    /* Only variants near the best on the test matrix are timed again: a
     * pass over the model's weights with a kernel several times slower
     * costs a good part of a second under emulation and cannot win. With
     * one such variant (AVX2 under emulation) there is nothing to decide,
     * and its test-matrix figure stays. */
    float best = best_ns(f);
    uint32_t candidates = 0;
    for (uint32_t i = 0; i < N_VARIANTS; i++) {
        if (st.report.v[i].ns_per_mac[f] > TUNE_SPREAD * best)
            st.report.v[i].ns_per_mac[f] = 0.0f; /* not measured on the model */
        else if (st.report.v[i].exact && st.report.v[i].ns_per_mac[f] > 0.0f && variants[i]->fmt[f].group)
            candidates++;
    }
    if (candidates < 2)
        return 0;
    /* A second round only when the first was quick (a real CPU): under
     * emulation one pass of every variant already takes a second. */
    uint64_t start = llm_time_ns();
    for (uint32_t round = 0; round < 2 && (round == 0 || llm_time_ns() - start < 100000000u); round++) {
        for (uint32_t i = 0; i < N_VARIANTS; i++) {
            if (!st.report.v[i].exact || !variants[i]->fmt[f].group || st.report.v[i].ns_per_mac[f] == 0.0f)
                continue;
            uint64_t t0 = llm_time_ns();
            for (uint32_t k = 0; k < n; k++) {
                if (llm_cancel_requested(cancel))
                    return 1;
                if (mats[k]->format == f)
                    rq_variant_matmul(variants[i], mats[k], a, 1, y, 0);
            }
            float ns = (float)(int64_t)(llm_time_ns() - t0) / (float)(int64_t)macs;
            float *kept = &st.report.v[i].ns_per_mac[f];
            if (round == 0 || ns < *kept)
                *kept = ns;
        }
    }
    choose(f);
    return 0;
}

int select_tune(struct rq_matrix *const *mats, uint32_t n, const struct llm_cancel *cancel)
{
    uint32_t cols = 0, rows = 0;
    for (uint32_t k = 0; k < n; k++) {
        cols = mats[k]->cols > cols ? mats[k]->cols : cols;
        rows = mats[k]->rows > rows ? mats[k]->rows : rows;
    }
    if (!st.ready)
        return -1;
    const struct rq_act *a = test_activation(cols, 4242);
    float *y = llm_alloc(rows * sizeof(float), 64);
    if (!a || !y) {
        llm_free(y);
        return -1;
    }
    /* What a cancelled tuning puts back. */
    struct select_report report = st.report;
    const struct rq_variant *measured[RQ_FORMATS];
    memcpy(measured, st.measured, sizeof measured);
    for (uint32_t f = 0; f < RQ_FORMATS; f++) {
        uint64_t macs = 0;
        uint32_t end = 0; /* past the last matrix timed */
        for (; end < n && macs < TUNE_MACS; end++)
            if (mats[end]->format == f)
                macs += (uint64_t)mats[end]->rows * mats[end]->cols;
        if (macs && tune_format(f, mats, end, macs, a, y, cancel) != 0) {
            st.report = report;
            memcpy(st.measured, measured, sizeof measured);
            llm_free(y);
            return 1;
        }
    }
    st.report.tuned = 1;
    activate_measured();
    llm_free(y);
    return 0;
}

/* select_time_types's matrices: whole super-blocks of 256 columns, small
 * enough that repacking them (slow under emulation) costs less than
 * timing them. */
#define TYPE_ROWS 512
#define TYPE_COLS 768

int select_time_types(const uint32_t *types, uint32_t n, uint32_t budget_ms, float *ns_per_mac, char *err,
                      size_t errlen)
{
    if (n > SELECT_MAX_TYPES) {
        snprintf(err, errlen, "at most %u formats at once", (unsigned)SELECT_MAX_TYPES);
        return -1;
    }
    if (!st.ready && select_init(LLM_SELECT_BUDGET_MS, err, errlen) != 0)
        return -1;
    struct rq_matrix *mats[SELECT_MAX_TYPES] = { 0 };
    float *y = llm_alloc(TYPE_ROWS * sizeof(float), 64);
    const struct rq_act *a = test_activation(TYPE_COLS, 99);
    int rc = -1;
    if (!y || !a) {
        snprintf(err, errlen, "out of memory timing the formats");
        goto out;
    }
    for (uint32_t k = 0; k < n; k++) {
        if (!rq_repackable(types[k])) {
            snprintf(err, errlen, "%s matrices are not repacked", quant_type_name(types[k]));
            goto out;
        }
        uint8_t *data = llm_alloc((size_t)TYPE_ROWS * quant_row_bytes(types[k], TYPE_COLS), 64);
        if (!data) {
            snprintf(err, errlen, "out of memory timing %s", quant_type_name(types[k]));
            goto out;
        }
        struct qtensor t;
        fill_test_matrix(&t, types[k], TYPE_ROWS, TYPE_COLS, data);
        mats[k] = rq_repack(&t, "the test matrix", NULL, err, errlen);
        llm_free(data);
        if (!mats[k])
            goto out;
    }
    /* Single products in turn, each format's fastest: a product takes well
     * under a millisecond, so on a busy host (other processes, or an
     * emulator's host) some run undisturbed, while every longer sample
     * would include the time the host gave to others. */
    uint64_t best[SELECT_MAX_TYPES], end;
    for (uint32_t k = 0; k < n; k++) {
        rq_variant_matmul(matmul_variant(mats[k]->format), mats[k], a, 1, y, 0); /* warm */
        best[k] = ~0ull;
    }
    end = llm_time_ns() + (uint64_t)n * budget_ms * 1000000u;
    do {
        for (uint32_t k = 0; k < n; k++) {
            uint64_t t0 = llm_time_ns();
            rq_variant_matmul(matmul_variant(mats[k]->format), mats[k], a, 1, y, 0);
            uint64_t dt = llm_time_ns() - t0;
            best[k] = dt < best[k] ? dt : best[k];
        }
    } while (llm_time_ns() < end);
    for (uint32_t k = 0; k < n; k++)
        ns_per_mac[k] = (float)(int64_t)best[k] / (float)(TYPE_ROWS * TYPE_COLS);
    rc = 0;
out:
    for (uint32_t k = 0; k < n; k++)
        rq_free(mats[k]);
    llm_free(y);
    return rc;
}

int select_init(uint32_t budget_ms, char *err, size_t errlen)
{
    return st.ready ? 0 : select_measure(budget_ms, err, errlen);
}

int select_force(const char *name, char *err, size_t errlen)
{
    if (!st.ready && select_init(LLM_SELECT_BUDGET_MS, err, errlen) != 0)
        return -1;
    struct select_report *r = &st.report;
    if (strcmp(name, "auto") == 0) {
        r->forced = NULL;
        activate_measured();
        return 0;
    }
    for (uint32_t i = 0; i < N_VARIANTS; i++) {
        if (strcmp(name, variants[i]->name) != 0)
            continue;
        if (!r->v[i].allowed || !r->v[i].exact) {
            snprintf(err, errlen, "kernel %s cannot run on this CPU", name);
            return -1;
        }
        for (uint32_t f = 0; f < RQ_FORMATS; f++) {
            if (variants[i]->fmt[f].group) {
                matmul_use(f, variants[i]);
                r->chosen[f] = variants[i]->name;
            }
        }
        r->forced = variants[i]->name;
        return 0;
    }
    char names[64] = "";
    for (uint32_t i = 0; i < N_VARIANTS; i++)
        snprintf(names + strlen(names), sizeof names - strlen(names), "%s, ", variants[i]->name);
    snprintf(err, errlen, "unknown kernel '%s' (%sor auto)", name, names);
    return -1;
}

const struct select_report *select_get_report(void)
{
    return &st.report;
}
